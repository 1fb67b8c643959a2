"""The payload pass: every member read once for completeness, integrity, secrets and config."""

from __future__ import annotations

import functools
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from rexport.checks import integrity, lockfiles, secrets, version
from rexport.checks.captured import check_captured
from rexport.checks.completeness import IndexEntry, Tracker
from rexport.checks.index_keys import KeyedReads, expected_keys
from rexport.checks.scanned_files import scanned_for_secrets
from rexport.digests import PARTS, PartsHasher, Tap, digest_bytes, part_count, parts_of
from rexport.findings import CATALOGUE, CodeFilter, Finding, pointer
from rexport.jobs import WHOLE_MAX, Job, JobRunner, run_jobs
from rexport.json_values import IndexColumns, get, string
from rexport.limits import CONFIG_CAP
from rexport.paths import MANIFEST
from rexport.progress import ProgressBar
from rexport.schema.minors import defines
from rexport.sources import Entry, Source
from rexport.sources.base import ContainerError, Scanned

PIPELINE_MIN = 8 << 20  # streaming members from this size overlap reading and hashing
PROGRESS_MIN = 256 << 20  # below this a progress bar would only flicker
# With hashing threads, smaller files of a random-access source are read by the calling
# thread: a hop to a thread costs more than hashing them does (the GIL is what they share).
INLINE_MAX = 64 << 10
_SHA256 = ("sha256",)
# parts smaller than this are hashed with the file, here: a task each would cost more than they
# do, and a hostile part size of one byte would make a task of every byte
PART_TASK_MIN = 1 << 20


class _Member(NamedTuple):
    """One member being read, as its Job carries it back to be judged."""

    path: str
    indexed: IndexEntry | None  # its index entry; None: unlisted, or its size already wrong
    scanner: secrets.TextScanner | None  # scans its text for credentials
    capture: list[bytes] | None  # its bytes, kept to be parsed (a config file)
    limit: int  # bytes to read at most (one more is read, to tell a file grown past it)
    parts: PartsHasher | None = None  # hashes its sha256-parts as it is read (DIG-05)


class _Plan(NamedTuple):
    """How to read one member: the member, what to hash, who else reads its bytes."""

    member: _Member
    algorithms: tuple[str, ...]
    taps: list[Tap]


def _read_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "this member cannot be read" rather than a bug.

    Archive modules are only consulted when the source already imported them, which keeps
    a directory validation from paying for their import.
    """
    errors: list[type[BaseException]] = [OSError, EOFError, zlib.error, NotImplementedError,
                                         ContainerError]
    for module, name in (("tarfile", "TarError"), ("zipfile", "BadZipFile"),
                         ("lzma", "LZMAError"), ("gzip", "BadGzipFile")):
        loaded = sys.modules.get(module)
        if loaded is not None:
            errors.append(getattr(loaded, name))
    if "zipfile" in sys.modules:
        errors.append(RuntimeError)  # zipfile's "encrypted, password required"
    return tuple(errors)


class PayloadPass:
    """One pass over the members: completeness, sizes and digests, text scan, config capture."""

    def __init__(self, manifest: dict[str, Any], tracker: Tracker, source: Source, *,
                 jobs: int, reported: CodeFilter, progress: bool,
                 columns: IndexColumns | None = None, executor: JobRunner | None = None) -> None:
        self.manifest = manifest
        self.tracker = tracker
        self.columns = columns  # the index as columns (json_values), when the caller has it
        self.hashing = reported("REX-I102")
        self.scanning = reported("REX-K102")
        self.unreadable = "REX-U103" if source.container == "directory" else "REX-X118"
        self.workers = jobs if source.random_access else 1
        # a streaming source cannot read two members at once, but it can inflate one
        # chunk while the previous one is hashed
        self.pipeline = not source.random_access and jobs > 1
        self.config_path = string(get(manifest, "config", "path"))
        self.schema_path = string(get(manifest, "config", "hyperparameters_schema"))
        self.lockfile_paths = lockfiles.pip_requirements(manifest)
        self.compared = lockfiles.lockfiles_to_read(manifest)  # their pins (ENV-09)
        # sha256-parts are verified where the manifest's version defines them (VER-02)
        self.parts = defines(version.judged_by(manifest), ("files", "*", "digests", PARTS))
        self.captured: dict[str, bytes] = {}
        self.keyed: list[tuple[tuple[int, str], Finding]] = []
        self.files = 0
        self.bytes = 0
        self.progress = self._progress_bar() if progress else None
        self.errors = _read_errors()
        self.executor = executor

    def run(self, source: Source) -> list[Finding]:
        """Read every member of ``source`` once; return the findings in index order, then
        the parsed files'."""
        # what the files read ahead should be, worked out while they are still being read
        expected = self._expected() if self.hashing and source.scanning() else None
        scanned = source.scanned() if expected is not None else None
        entries = source.entries() if scanned is None or expected is None \
            else self._matched(scanned, expected)
        keyed = None
        if self.hashing and self.executor is None and not source.random_access:
            # a stream's small members: judged by their key as they come, where they can be
            keyed = KeyedReads(self._expected(), self.tracker, below=WHOLE_MAX,
                               errors=self.errors)
        jobs = self._dispatch(entries, keyed)
        results = run_jobs(jobs, workers=self.workers, errors=self.errors) \
            if self.executor is None else self.executor.run(jobs, self.errors)
        try:
            for result in results:
                if result.error is not None:
                    self._failed(result.job.context, result.error)
                else:
                    self._judge(result.job.context, result.size, result.digests)
        finally:
            if self.progress is not None:
                self.progress.close()
        self.keyed.sort(key=lambda item: item[0])
        return [f for _, f in self.keyed] + check_captured(
            self.manifest, self.captured, config=self.config_path, schema=self.schema_path,
            requirements=self.lockfile_paths, compared=self.compared)

    def _matched(self, scanned: Scanned, expected: dict[str, str]) -> list[Entry]:
        """Judge at once the files read ahead that are exactly as indexed; return the others.

        A file whose "size/sha256/path" is that of its index entry, where that entry asks for
        SHA-256 alone and its file is neither scanned nor parsed, is what the member-by-member
        pass would judge without a finding: only its path and bytes are counted here. No
        object is made per such file; the others are judged one by one, as usual.
        """
        matched = expected.keys() & scanned.keys
        self.tracker.seen.update(map(expected.__getitem__, matched))
        rest = [scanned.entry(key) for key in scanned.keys if key not in matched]
        done = scanned.total - sum(e.size for e in rest)
        self.files += len(matched)
        self.bytes += done
        if self.progress is not None:
            self.progress.tick(done)
        return rest + scanned.rest

    def _expected(self) -> dict[str, str]:
        return expected_keys(self.tracker, self.columns, scanning=self.scanning, parsed=(
            self.config_path, self.schema_path, *self.lockfile_paths, *self.compared))

    def _add(self, path: str, index: IndexEntry | None, found: list[Finding]) -> None:
        if not found:
            return
        # index order, whatever the storage order: the same export gives the same report
        # as a directory and as any archive
        key = (index.position if index is not None else sys.maxsize, path)
        self.keyed.extend((key, f) for f in found)

    def _plan(self, entry: Entry) -> _Plan | None:
        """What to do with one member: None when it needs no reading (not a file, refused,
        seen before, or nothing to hash, scan or parse), else its _Member, what to hash and
        who else reads its bytes. A wrong size is reported here, before any reading."""
        tracker = self.tracker
        path = entry.path
        kind = entry.kind
        if kind == "dir" or path == MANIFEST or path in tracker.seen:
            return None  # a repeated member is the source's X107, read once only
        if not entry.safe:
            tracker.see(path, kind="refused")  # never opened: the safety finding says why
            return None
        if kind != "file":
            tracker.see(path, kind=kind)
            return None
        index = tracker.see_file(path)
        # size first: a file of the wrong size is not worth hashing (spec IDX-05), though
        # it is still scanned and parsed, so that one run reports all that is wrong
        size = entry.size
        resized = index is not None and index.size is not None and size != index.size
        if resized:
            assert index is not None
            self._add(path, index, integrity.check_size(index, size))
        algorithms = integrity.algorithms(index) if index is not None and self.hashing \
            and not resized else ()
        taps: list[Tap] = []
        scanner = None
        if self.scanning and scanned_for_secrets(
                path, index.media_type if index is not None else None, size):
            scanner = secrets.TextScanner(path)
            taps.append(scanner.feed)
        capture: list[bytes] | None = None
        if path == self.config_path or path == self.schema_path \
                or path in self.lockfile_paths:
            if size <= CONFIG_CAP:
                capture = []
                taps.append(functools.partial(_keep, capture))
            else:
                self._add(path, index, [Finding.of(
                    "REX-P107", f"{path!r} is {size} bytes; files that are read "
                    f"whole are parsed up to {CONFIG_CAP}", file=path)])
        elif path in self.compared and size <= CONFIG_CAP:
            capture = []
            taps.append(functools.partial(_keep, capture))
        parts = None
        if algorithms and index is not None and self.parts:
            parsed = parts_of(index.digests.get(PARTS))
            if parsed is not None:
                parts = PartsHasher(parsed[0])
                taps.append(parts.feed)
        if not algorithms and not taps:
            return None
        limit = index.size if index is not None and index.size is not None \
            and not resized else size
        member = _Member(path, None if resized else index, scanner, capture, limit, parts)
        return _Plan(member, algorithms, taps)

    def _dispatch(self, entries: Iterable[Entry], keyed: KeyedReads | None) -> Iterator[Job]:
        """The Jobs for the pool, one a member to read; a member the source already hashed,
        and a small file of a source that reads it whole, are judged here, in this thread:
        a Job and a hop to a thread cost more than they do. ``keyed`` judges first what it
        can of a stream's small members."""
        # with threads, files big enough to be worth a thread go to them
        inline = INLINE_MAX if self.workers > 1 else WHOLE_MAX
        tick = self.progress.tick if self.progress is not None else None
        for entry in entries:
            if keyed is not None:
                judged = keyed.judge(entry)
                if type(judged) is int:  # as indexed: counted, nothing to report
                    self.files += 1
                    self.bytes += judged
                    if tick is not None:
                        tick(judged)
                    continue
                assert isinstance(judged, Entry)
                entry = judged
            plan = self._plan(entry)
            if plan is None:
                continue
            member, algorithms, taps = plan
            hashed = entry.hashed
            if hashed is not None and algorithms == _SHA256 and not taps:
                # the source read it already: more than limit + 1 bytes says no more
                size = min(hashed[0], member.limit + 1)
                if tick is not None:
                    tick(size)
                self._judge(member, size, {"sha256": hashed[1]})
            elif entry.reader is not None and member.limit < inline and self.executor is None:
                self._read_whole(member, entry.reader, algorithms, taps)
            elif self._by_parts(member, taps, entry.opener):
                assert member.parts is not None and self.executor is not None
                yield self.executor.parts_job(entry.opener or entry.open, member.parts.part_size,
                                              member.limit, member._replace(parts=None))
            else:
                # with an executor, the opener itself: it sends a portable one to its workers
                # (rexport.executors.tasks.portable)
                opener = entry.opener if self.executor is not None else None
                yield Job(open=opener or entry.open, read=entry.reader,
                          algorithms=algorithms, taps=taps,
                          limit=member.limit,
                          pipelined=self.pipeline and entry.size >= PIPELINE_MIN,
                          progress=tick, context=member)

    def _by_parts(self, member: _Member, taps: list[Tap],
                  opener: Callable[[], Any] | None) -> bool:
        """Whether the executor verifies this file by its parts, in parallel, and not its
        whole-file digests (VAL-12): a file of several parts that its workers can open, with
        nothing else to read it."""
        return (self.executor is not None and member.parts is not None and len(taps) == 1
                and self.executor.splits and self.executor.portable(opener)
                and member.parts.part_size >= PART_TASK_MIN
                and part_count(member.limit, member.parts.part_size) > 1)

    def _read_whole(self, member: _Member, reader: Callable[[int], bytes],
                    algorithms: tuple[str, ...], taps: list[Tap]) -> None:
        try:
            data = reader(member.limit + 1)  # one byte more tells a file grown past its size
        except self.errors as exc:
            self._failed(member, exc)
            return
        view = memoryview(data)
        for tap in taps:
            tap(view)
        if self.progress is not None:
            self.progress.tick(len(data))
        self._judge(member, len(data), digest_bytes(data, algorithms))

    def _failed(self, member: _Member, error: BaseException) -> None:
        path, index = member.path, member.indexed
        # a reader that knows what went wrong says so with its code (X115, X118, ...)
        code = getattr(error, "code", None)
        code = code if isinstance(code, str) and code in CATALOGUE else self.unreadable
        self._add(path, index, [Finding.of(
            code, f"{path!r} could not be read: {error}", file=path)])

    def _judge(self, member: _Member, size: int, digests: dict[str, str]) -> None:
        path, index, scanner, capture, limit, parts = member
        self.files += 1
        self.bytes += size
        by_parts = digests.pop(PARTS, None)  # an executor's parts (see _by_parts)
        if index is not None and size == index.size and size <= limit \
                and (parts is not None or by_parts is not None):
            computed = by_parts.split() if by_parts is not None else \
                parts.finish() if parts is not None else []
            self._add(path, index, integrity.check_parts(index, size, computed))
            if by_parts is not None:
                self._add(path, index, [Finding.of(
                    "REX-I108", f"{path!r} was verified by its {len(computed)} parts, in "
                    "parallel; its whole-file digests were not recomputed",
                    pointer=pointer("files", index.position, "digests"))])
        if index is not None:
            listed = size == index.size and size <= limit
            if listed:
                recorded = index.digests
                for name, value in digests.items():
                    if recorded.get(name) != value:
                        listed = False
                        break
            if not listed:  # else the common case, all as listed, told without findings
                found = integrity.check_size(index, size, more=size > limit)
                # a file that changed size since it was listed: its digests say nothing more
                self._add(path, index, found or integrity.check_digests(index, digests))
        if scanner is not None:
            self._add(path, index, scanner.finish())
        if capture is not None and size <= limit:
            self.captured[path] = b"".join(capture)

    def _progress_bar(self) -> ProgressBar | None:
        if not sys.stderr.isatty():
            return None
        total = sum(self.columns.sizes) if self.columns is not None else sum(
            e.size or 0 for e in self.tracker.index.values())
        return ProgressBar(total) if total >= PROGRESS_MIN else None


def _keep(kept: list[bytes], view: memoryview) -> None:
    kept.append(bytes(view))  # a tap's view is valid during the call only
