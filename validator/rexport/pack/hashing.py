"""Hash every member once (in parallel with --jobs), scanning embedded bytes for credentials."""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rexport import bytesearch
from rexport.checks.secret_patterns import PEM_HEADER
from rexport.digests import Tap, hash_stream
from rexport.jobs import default_jobs, stoppable
from rexport.pack.members import Member
from rexport.progress import ProgressBar


@dataclass
class Hashed:
    """A member's size and digests, the stat signature it had, and credentials seen in it."""

    size: int
    digests: dict[str, str]
    signature: tuple[int, int] | None
    secrets: list[str] = field(default_factory=list)


class ValueTap:
    """Look for known secret values (bytes) in a stream fed chunk by chunk, across boundaries.

    Each chunk is searched where it lies, without the interpreter lock (bytesearch), and the
    seam with the previous chunk apart, in a few bytes from each side."""

    def __init__(self, values: Mapping[bytes, str]) -> None:
        self._values = [(value, reason) for value, reason in values.items() if value]
        self._overlap = max((len(v) for v, _ in self._values), default=1) - 1
        self._tail = b""
        self.found: set[str] = set()

    def __call__(self, chunk: memoryview) -> None:
        seam = self._tail + bytes(chunk[:self._overlap])
        for value, reason in self._values:
            if reason not in self.found and (value in seam
                                             or bytesearch.find(chunk, value) >= 0):
                self.found.add(reason)
        if not self._overlap:
            return
        # the view is not ours to keep: only its last bytes are copied
        self._tail = seam[-self._overlap:] if len(chunk) < self._overlap \
            else bytes(chunk[-self._overlap:])


def signature(path: Path) -> tuple[int, int]:
    """(size, mtime in ns): compared again when writing, to catch a file changed meanwhile."""
    st = path.stat()
    return st.st_size, st.st_mtime_ns


# A private key block in any file, however large or binary. (The secret scanner's PEM rule,
# on bytes.) Every match starts with _PEM_START, which memmem finds faster than the pattern's
# own search, and without the interpreter lock (bytesearch): the hashing threads search at once.
_PEM = re.compile(PEM_HEADER.pattern.encode("ascii"))
_PEM_START = b"-----BEGIN "
# What may begin a header the next chunk completes: a prefix of the pattern, at the very end
# of a chunk; it is carried into the next chunk's search, up to _PEM_CARRY bytes (the
# pattern's words have no length limit, but a header longer than this is no key's).
_PEM_PARTIAL = re.compile(rb"-{1,5}(?:B(?:E(?:G(?:I(?:N(?: [A-Z0-9 ]*-{0,5})?)?)?)?)?)?\Z")
_PEM_CARRY = 1 << 16


def holds_key(chunk: memoryview) -> bool:
    """True when ``chunk`` holds a private key header (the pattern's search, sped up)."""
    # from the first possible start on, the pattern decides (no slower than it alone)
    at = bytesearch.find(chunk, _PEM_START)
    return at >= 0 and _PEM.search(chunk, at) is not None


def _unfinished_header(end: bytes) -> bytes:
    """What ``end`` ends with that a header may go on from: from its last b"-----BEGIN" (a
    later one would break an earlier one), or some dashes and letters of that in its last
    10 bytes; b"" when nothing."""
    at = end.rfind(_PEM_START[:-1])
    if at >= 0 and _PEM_PARTIAL.match(end, at):
        return end[at:]
    short = _PEM_PARTIAL.search(end, max(0, len(end) - 10))
    return end[short.start():] if short else b""


# Every byte of an unfinished header is one of these: it begins after the last other byte
_HEADER_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -"
_PEEK = 64


def _carried(tail: bytes, chunk: memoryview) -> bytes:
    """What the stream so far (``tail`` then ``chunk``) ends with that a header may go on
    from. Most chunks end in a byte no header has, a few bytes from the end: only those
    few are copied and searched (not the _PEM_CARRY bytes a header may reach back)."""
    n = len(chunk)
    last = bytes(chunk[-_PEEK:]) if n >= _PEEK else tail[-(_PEEK - n):] + bytes(chunk)
    kept = len(last.rstrip(_HEADER_BYTES))
    if kept:
        return _unfinished_header(last[kept:])
    # the last bytes could all be a header's: look back as far as one may reach
    end = bytes(chunk[-_PEM_CARRY:]) if n >= _PEM_CARRY else (tail + bytes(chunk))[-_PEM_CARRY:]
    return _unfinished_header(end)


class KeyTap:
    """Look for a private key header in a stream fed chunk by chunk."""

    def __init__(self) -> None:
        self._tail = b""
        self.found = False

    def __call__(self, chunk: memoryview) -> None:
        if self.found:
            return
        if self._tail and _PEM.search(self._tail + chunk[:_PEM_CARRY]):
            self.found = True
            return
        self.found = holds_key(chunk)
        # the view is not ours to keep: _carried copies what it keeps
        self._tail = _carried(self._tail, chunk)


def _scanner(member: Member, size: int) -> Any | None:
    """The validator's own credential scanner, for the files the validator scans (REX-K102).

    The same choice of files as the validator's (checks.scanned_files.scanned_for_secrets), so the
    packer refuses exactly what would make its export fail validation.
    """
    from rexport.checks.scanned_files import scanned_for_secrets
    from rexport.checks.secrets import TextScanner

    if not scanned_for_secrets(member.path, member.media_type, size):
        return None
    return TextScanner(member.path)


# Where a member's bytes go as they are hashed: a context giving what writes them, or None
# when they are there already (writers.DirectoryOutput.file: a cloned file).
Output = Callable[[Member], AbstractContextManager[Tap | None]]


def _hash_one(member: Member, algorithms: Sequence[str], scan: bool,
              known: Mapping[bytes, str], progress: Callable[[int], None] | None,
              output: Output | None = None) -> Hashed:
    taps: list[Tap] = []
    scanner = _scanner(member, member.size()) if scan else None
    if scanner is not None:
        taps.append(scanner.feed)
    key_tap = KeyTap() if scan and scanner is None else None
    if key_tap is not None:
        taps.append(key_tap)
    value_tap = ValueTap(known) if known else None
    if value_tap is not None:
        taps.append(value_tap)
    sig = signature(member.source) if isinstance(member.source, Path) else None
    with member.open() as fp, output(member) if output is not None else nullcontext() as write:
        if write is not None:
            taps.append(write)  # the buffer hashed is the buffer written: one read
        size, digests = hash_stream(fp, algorithms, taps=taps, progress=progress)
    secrets: list[str] = []
    if scanner is not None:
        secrets += sorted({f"{f.message}" for f in scanner.finish()})
    if value_tap is not None:
        secrets += sorted(value_tap.found)
    if key_tap is not None and key_tap.found:
        secrets.append("private key block")
    return Hashed(size=size, digests=digests, signature=sig, secrets=secrets)


# How long a thread may hold the GIL while another waits for it, as the main thread does its
# work beside the workers. Each worker needs the GIL for a moment between reading, hashing and
# writing each chunk; at Python's default (5 ms) it waits that long each time, and the work
# beside them runs almost alone.
_TURN = 0.0002


class _Turns:
    """Shorten the switch interval while some pack hashes. It is the process's: where packs
    run in several threads, the last one done restores it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._saved = 0.0

    @contextmanager
    def brief(self) -> Iterator[None]:
        with self._lock:
            if not self._running:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(_TURN)
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                if not self._running:
                    sys.setswitchinterval(self._saved)


_brief_turns = _Turns().brief


def hash_members(members: Sequence[Member], algorithms: Sequence[str], *, jobs: int | None = None,
                 progress: bool = False, scan: bool = True,
                 known_secrets: Mapping[bytes, str] | None = None,
                 output: Output | None = None,
                 meanwhile: Callable[[], object] | None = None) -> dict[str, Hashed]:
    """Hash every member; return {export path: Hashed}.

    Threads give real parallelism here: hashlib releases the GIL on large buffers.
    ``known_secrets`` maps secret values (redacted elsewhere) to the reason reported when one
    turns up in a member; ``output``, when given, writes each member as it is read;
    ``meanwhile`` is run by the calling thread while the threads read.
    """
    bar = ProgressBar(sum(m.size() for m in members)) if progress else None
    tick = bar.tick if bar is not None else None
    known = dict(known_secrets or {})
    stop = threading.Event()
    report = stoppable(tick, stop)
    pool = ThreadPoolExecutor(max_workers=default_jobs() if jobs is None else max(1, jobs))
    try:
        pending = pool.map(lambda m: _hash_one(m, algorithms, scan, known, report, output),
                           members)
        if meanwhile is not None:
            with _brief_turns():
                meanwhile()
        results = list(pending)
    finally:
        stop.set()  # after Ctrl-C or an error the workers give up at their next chunk
        pool.shutdown(wait=True, cancel_futures=True)
        if bar is not None:
            bar.close()
    return {m.path: r for m, r in zip(members, results, strict=True)}
