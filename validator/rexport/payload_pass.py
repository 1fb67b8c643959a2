"""The payload pass: every member read once for completeness, integrity, secrets and config."""

from __future__ import annotations

import functools
import sys
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from rexport import parsing
from rexport.checks import integrity, lockfiles, references, secrets
from rexport.checks.completeness import MANIFEST, IndexEntry, Tracker
from rexport.digests import WHOLE_MAX, Job, digest_bytes, run_jobs
from rexport.findings import CATALOGUE, Finding
from rexport.sources import Entry, Source
from rexport.sources.base import ContainerError

Keep = Callable[[str], bool]
# what a member's Job carries back: path, index entry (None: not compared), text scanner,
# capture sink and the byte limit read up to
_Context = tuple[str, "IndexEntry | None", "secrets.TextScanner | None", "list[bytes] | None", int]

TEXT_SCAN_MAX = 2 << 20  # embedded files scanned for credentials: text-like, at most 2 MiB
CAPTURE_MAX = 16 << 20  # config, hyperparameters schema, pip lockfiles parsed: at most 16 MiB
PIPELINE_MIN = 8 << 20  # streaming members from this size overlap reading and hashing
PROGRESS_MIN = 256 << 20  # below this a progress bar would only flicker
# With hashing threads, smaller files of a random-access source are read by the calling
# thread: a hop to a thread costs more than hashing them does (the GIL is what they share).
INLINE_MAX = 64 << 10
_SHA256 = ("sha256",)

# spec SEC-02 names these media types and names; "it MAY scan more": code and
# configuration formats are added, data formats (csv, logs) are not
_TEXT_MEDIA = frozenset({
    "application/json", "application/yaml", "application/x-yaml", "application/toml",
    "application/xml", "application/javascript", "application/x-sh", "application/x-python",
    "application/sql", "application/x-ipynb+json"})
_TEXT_SUFFIXES = frozenset({
    ".py", ".ipynb", ".sh", ".txt", ".md", ".json", ".yaml", ".yml", ".toml", ".ini", ".cfg",
    ".env", ".pem", ".key", ".diff", ".patch",
    ".pyi", ".r", ".jl", ".m", ".bash", ".zsh", ".ps1", ".bat", ".js", ".ts", ".java",
    ".scala", ".go", ".rs", ".c", ".h", ".cc", ".cpp", ".hpp", ".sql", ".rst", ".tex",
    ".conf", ".properties", ".xml", ".html", ".netrc", ".npmrc", ".pypirc"})
_TEXT_NAMES = frozenset({
    ".env", ".netrc", ".pypirc", ".npmrc", ".git-credentials", "credentials", "id_rsa",
    "id_ecdsa", "id_ed25519", "dockerfile", "makefile"})


@functools.lru_cache(maxsize=256)
def _text_media(media_type: str) -> bool:
    media = media_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in _TEXT_MEDIA or media.endswith(
        ("+json", "+xml", "+yaml"))


# what a text-like name ends with: a quick "no" for all others, without taking the path apart
_TEXT_ENDINGS = tuple(sorted(_TEXT_SUFFIXES | {"/" + name for name in _TEXT_NAMES}))


def scanned_for_secrets(path: str, index: IndexEntry | None, size: int) -> bool:
    """Whether an embedded file is scanned for credentials (REX-K102): text-like and at most
    TEXT_SCAN_MAX bytes. The packer asks the same question, so that it refuses exactly what
    would make its export fail validation."""
    return size <= TEXT_SCAN_MAX and _text_like(path, index)


def _text_like(path: str, index: IndexEntry | None) -> bool:
    """Whether to scan a file for credentials: its media type or its name says text.

    Either suffices, so that a wrong media type does not hide a key in train.py.
    """
    if index is not None and index.media_type and _text_media(index.media_type):
        return True
    lowered = path.lower()
    if not lowered.endswith(_TEXT_ENDINGS) and lowered not in _TEXT_NAMES:
        return False
    name = path[path.rfind("/") + 1:].lower()
    if name in _TEXT_NAMES:
        return True
    dot = name.rfind(".")
    return dot > 0 and name[dot:] in _TEXT_SUFFIXES


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
                 jobs: int, keep: Keep, progress: bool) -> None:
        self.manifest = manifest
        self.tracker = tracker
        self.hashing = keep("REX-I102")
        self.scanning = keep("REX-K102")
        self.unreadable = "REX-U103" if source.container == "directory" else "REX-X118"
        self.workers = jobs if source.random_access else 1
        # a streaming source cannot read two members at once, but it can inflate one
        # chunk while the previous one is hashed
        self.pipeline = not source.random_access and jobs > 1
        config = manifest.get("config")
        config = config if isinstance(config, dict) else {}
        self.config_path = _string(config.get("path"))
        self.schema_path = _string(config.get("hyperparameters_schema"))
        self.lockfile_paths = lockfiles.pip_requirements(manifest)
        self.captured: dict[str, bytes] = {}
        self.keyed: list[tuple[tuple[int, str], Finding]] = []
        self.files = 0
        self.bytes = 0
        self.progress = self._progress_bar() if progress else None
        self.errors = _read_errors()

    def run(self, entries: Iterable[Entry]) -> list[Finding]:
        """Read every member once; return the findings in index order, then the parsed files'."""
        try:
            for result in run_jobs(self._jobs(entries), workers=self.workers,
                                   errors=self.errors):
                if result.error is not None:
                    self._failed(result.job.context, result.error)
                else:
                    self._judge(result.job.context, result.size, result.digests)
        finally:
            if self.progress is not None:
                self.progress.close()
        self.keyed.sort(key=lambda item: item[0])
        return [f for _, f in self.keyed] + self._parse_captured()

    def _add(self, path: str, index: IndexEntry | None, found: list[Finding]) -> None:
        if not found:
            return
        # index order, whatever the storage order: the same export gives the same report
        # as a directory and as any archive
        key = (index.position if index is not None else sys.maxsize, path)
        self.keyed.extend((key, f) for f in found)

    def _jobs(self, entries: Iterable[Entry]) -> Iterator[Job]:
        """The Jobs for the pool; small files of a source that reads them whole are read and
        judged here, in this thread: a Job and a hop to a thread cost more than they do."""
        tracker = self.tracker
        seen = tracker.seen
        # with threads, files big enough to be worth a thread go to them
        inline = INLINE_MAX if self.workers > 1 else WHOLE_MAX
        for entry in entries:
            path = entry.path
            kind = entry.kind
            if kind == "dir" or path == MANIFEST or path in seen:
                continue  # a repeated member is the source's X107, read once only
            if not entry.safe:
                tracker.see(path, kind="refused")  # never opened: the safety finding says why
                continue
            if kind != "file":
                tracker.see(path, kind=kind)
                continue
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
            taps: list[Callable[[bytes], None]] = []
            scanner = None
            if self.scanning and scanned_for_secrets(path, index, size):
                scanner = secrets.TextScanner(path)
                taps.append(scanner.feed)
            sink: list[bytes] | None = None
            if path == self.config_path or path == self.schema_path \
                    or path in self.lockfile_paths:
                if size <= CAPTURE_MAX:
                    sink = []
                    taps.append(sink.append)
                else:
                    self._add(path, index, [Finding.of(
                        "REX-P107", f"{path!r} is {size} bytes; files that are read "
                        f"whole are parsed up to {CAPTURE_MAX}", file=path)])
            if not algorithms and not taps:
                continue
            limit = index.size if index is not None and index.size is not None \
                and not resized else size
            context = (path, None if resized else index, scanner, sink, limit)
            hashed = entry.hashed
            if hashed is not None and algorithms == _SHA256 and not taps:
                # the source read it already: more than limit + 1 bytes says no more
                size = min(hashed[0], limit + 1)
                if self.progress is not None:
                    self.progress.tick(size)
                self._judge(context, size, {"sha256": hashed[1]})
                continue
            reader = entry.reader
            if reader is not None and limit < inline:
                self._read_whole(context, reader, algorithms, taps)
                continue
            yield Job(open=entry.open, read=reader, algorithms=algorithms, taps=taps,
                      limit=limit, pipelined=self.pipeline and size >= PIPELINE_MIN,
                      progress=self.progress.tick if self.progress is not None else None,
                      context=context)

    def _read_whole(self, context: _Context, reader: Callable[[int], bytes],
                    algorithms: tuple[str, ...], taps: list[Callable[[bytes], None]]) -> None:
        try:
            data = reader(context[4] + 1)  # one byte more tells a file grown past its size
        except self.errors as exc:
            self._failed(context, exc)
            return
        for tap in taps:
            tap(data)
        if self.progress is not None:
            self.progress.tick(len(data))
        self._judge(context, len(data), digest_bytes(data, algorithms))

    def _failed(self, context: _Context, error: BaseException) -> None:
        path, index = context[0], context[1]
        # a reader that knows what went wrong says so with its code (X115, X118, ...)
        code = getattr(error, "code", None)
        code = code if isinstance(code, str) and code in CATALOGUE else self.unreadable
        self._add(path, index, [Finding.of(
            code, f"{path!r} could not be read: {error}", file=path)])

    def _judge(self, context: _Context, size: int, digests: dict[str, str]) -> None:
        # index is None for a file whose size was already found wrong: nothing to compare
        path, index, scanner, sink, limit = context
        self.files += 1
        self.bytes += size
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
        if sink is not None and size <= limit:
            self.captured[path] = b"".join(sink)

    def _parse_captured(self) -> list[Finding]:
        found: list[Finding] = []
        if self.config_path in self.captured:
            data = self.captured[self.config_path]
            found.extend(_load(self.config_path, data)[1])
        if self.schema_path in self.captured:
            # a JSON Schema whatever its name (spec CFG-05)
            document, problems = parsing.load_json(
                self.captured[self.schema_path], file=self.schema_path, max_bytes=CAPTURE_MAX)
            found.extend(problems)
            if document is not None:
                found.extend(references.check_config_schema(
                    self.manifest, document, file=self.schema_path))
        for path in sorted(self.lockfile_paths & self.captured.keys()):
            found.extend(lockfiles.check_requirements(path, self.captured[path]))
        return found

    def _progress_bar(self) -> _Progress | None:
        total = sum(e.size or 0 for e in self.tracker.index.values())
        if total < PROGRESS_MIN or not sys.stderr.isatty():
            return None
        return _Progress(total)


def _load(path: str, data: bytes) -> tuple[Any, list[Finding]]:
    """Parse a captured config file by its suffix, in any case: YAML or JSON (spec CFG-02);
    other formats are carried, not parsed."""
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if suffix in ("yaml", "yml"):
        return parsing.load_yaml(data, file=path, max_bytes=CAPTURE_MAX)
    if suffix == "json":
        return parsing.load_json(data, file=path, max_bytes=CAPTURE_MAX)
    return None, []


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class _Progress:
    """A tqdm bar on stderr, safe to tick from the hashing threads."""

    def __init__(self, total: int) -> None:
        from tqdm import tqdm  # only paid for when a bar is shown

        self.bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                        desc="hashing", file=sys.stderr, leave=False)
        self.lock = threading.Lock()

    def tick(self, n: int) -> None:
        with self.lock:
            self.bar.update(n)

    def close(self) -> None:
        self.bar.close()
