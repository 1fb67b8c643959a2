"""What every export source shares: Entry, Source, the errors, the caps and the member ledger."""

from __future__ import annotations

import io
import os
import stat
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import BinaryIO, Protocol

from rexport.findings import Finding
from rexport.limits import MANIFEST_CAP
from rexport.paths import TwinFinder, display, path_problems

TRAILING_SCAN = 1 << 20  # bytes after an archive's end that are looked at, at most

_SPECIAL = {"device": "a device file", "fifo": "a FIFO",
            "other": "a socket or a member type that is not supported"}

Opener = Callable[[], BinaryIO]
# reads a whole member at once: at most n bytes of it, in one buffer (for small members)
Reader = Callable[[int], bytes]
# what a malformed archive may still trip in the standard library past the format checks
MALFORMED = (ValueError, LookupError, EOFError, struct.error, zlib.error)


class InputError(Exception):
    """The input cannot be read at all: ``code`` is REX-U101, REX-U102 or REX-U103."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ManifestError(Exception):
    """An export whose manifest cannot be read: ``code`` is the finding code (REX-U1xx, C101,
    P1xx)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ContainerError(Exception):
    """A problem that ends the reading of a container: a code (X1xx) and a message."""

    def __init__(self, code: str, message: str, file: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.file = file


def corrupt(message: str) -> ContainerError:
    """The ContainerError of an archive whose structure is broken (REX-X118)."""
    return ContainerError("REX-X118", message)


@dataclass(slots=True)
class Entry:
    """One member of an export, in storage order; ``open()`` reads a file's bytes.

    ``reader``, when a source gives one, returns at most n bytes of the member from one
    call, without a stream around them: for a small file that stream costs more than
    hashing its bytes does. ``hashed``, when a source already read the file, is the number
    of bytes it read (the file's size, or one more when the file has grown past it) and
    their SHA-256 in hex.
    """

    path: str
    kind: str
    size: int
    safe: bool
    opener: Opener | None = field(default=None, repr=False, compare=False)
    reader: Reader | None = field(default=None, repr=False, compare=False)
    hashed: tuple[int, str] | None = field(default=None, repr=False, compare=False)

    def open(self) -> BinaryIO:
        """Return the member's bytes as a binary stream (files only; raise OSError else).

        For a streaming source (``random_access`` False) the stream is valid only until the
        next entry is asked for.
        """
        if self.opener is None:
            raise OSError(f"'{display(self.path)}' is a {self.kind}, not a readable file")
        return self.opener()


def container_of(path: str, head: bytes) -> str | None:
    """The container a file holds, by its name first and its first bytes else."""
    lower = os.path.basename(path).lower()
    for suffix, kind in ((".tar.gz", "tar.gz"), (".tgz", "tar.gz"), (".tar", "tar"),
                         (".zip", "zip"), (".json", "manifest")):
        if lower.endswith(suffix):
            return kind
    if head.startswith(b"\x1f\x8b"):
        return "tar.gz"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head[257:262] == b"ustar":
        return "tar"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "manifest"
    return None


@dataclass
class Scanned:
    """A source's files read ahead in bulk, for a walk that would report nothing itself.

    ``keys`` names each file read whole at the size it was listed with, as
    "size/sha256/path", and ``total`` is their bytes; ``rest`` holds every other file, as an
    Entry to read one at a time; ``entry(key)`` gives a key's file as an Entry (hashed
    already), for one to be judged alone.
    """

    keys: list[str]
    total: int
    rest: list[Entry]
    entry: Callable[[str], Entry]


class Source:
    """A readable export: a directory, an archive or a bare manifest (a context manager)."""

    container: str = ""
    random_access: bool = False

    def __init__(self, path: str, *, max_files: int, max_bytes: int) -> None:
        self.path = path
        self.name = display(os.path.basename(os.path.normpath(path)) or path)
        self.max_files = max_files
        self.max_bytes = max_bytes
        self.findings: list[Finding] = []
        self._lock = threading.Lock()
        self._passes = 0

    def __enter__(self) -> Source:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Release what the source holds open."""

    def manifest_bytes(self) -> bytes | None:
        """Return the root rex.json's bytes (at most MANIFEST_CAP + 1), None when absent."""
        raise NotImplementedError

    def scanning(self) -> bool:
        """Whether files are being read ahead in bulk, for scanned() to give."""
        return False

    def scanned(self) -> Scanned | None:
        """The files read ahead in bulk, where the source can and its walk would report
        nothing; None otherwise: then read entries()."""
        return None

    def entries(self) -> Iterator[Entry]:
        """Yield every member once in storage order; problems go to ``self.findings``.

        Only the first pass records findings, so that walking twice does not repeat them.
        """
        sink = self.findings if self._passes == 0 else []
        self._passes += 1
        ledger = Ledger(sink, self.name, max_files=self.max_files, max_bytes=self.max_bytes)
        try:
            yield from self._walk(ledger)
        except ContainerError as exc:
            ledger.report(exc.code, exc.message, exc.file or self.name)
        except OSError as exc:
            # a remote reader's error says which input problem it is (TLS, credentials)
            code = getattr(exc, "code", None)
            code = code if isinstance(code, str) and code.startswith("REX-U") else "REX-U103"
            ledger.report(code, f"reading failed: {exc.strerror or exc}", self.name)
        except MALFORMED as exc:
            # the format readers turn what they foresee into ContainerError; whatever a
            # malformed archive still manages to trip is a corrupt archive, not a crash
            ledger.report("REX-X118", f"the archive is malformed ({type(exc).__name__})",
                          self.name)

    def _walk(self, ledger: Ledger) -> Iterator[Entry]:
        raise NotImplementedError

    def report(self, code: str, message: str, file: str) -> None:
        """Record a finding from any thread (member readers report late corruption here)."""
        with self._lock:
            self.findings.append(Finding.of(code, message, file=file))


class Ledger:
    """Checks each member of one pass as it is met: name rules, kind, duplicates, twins, caps."""

    def __init__(self, sink: list[Finding], container_name: str, *, max_files: int,
                 max_bytes: int) -> None:
        self.sink = sink
        self.container_name = container_name
        self.max_files = max_files
        self.max_bytes = max_bytes
        self.count = 0
        self.total = 0
        self._names: set[str] = set()
        self._twins = TwinFinder(by_bytes=True)

    def report(self, code: str, message: str, file: str | None = None) -> None:
        self.sink.append(Finding.of(code, message, file=self.container_name
                                    if file is None else file))

    def admit(self, name: str, kind: str, size: int, *, explained: bool = False,
              plain: bool = False) -> tuple[str, bool] | None:
        """Check one member; return (path, safe) to yield it, or None when a cap ends the pass.

        ``name`` is the member name as stored; one leading "./" is stripped and a
        directory's trailing "/" is dropped. The root ("./") gives ("", True): skip it.
        ``explained``: the caller already reported why this member is of kind "other".
        ``plain``: the caller already knows the name breaks no path rule (rexport.paths.plain).
        """
        path = name[2:] if name.startswith("./") else name
        if kind == "dir" and path.endswith("/"):
            path = path[:-1]
        if path == "" and kind == "dir":
            return "", True
        self.count += 1
        if self.count > self.max_files:
            self.report("REX-X113", f"more than {self.max_files} entries: reading stopped")
            return None
        if kind != "dir":
            self.total += size
            if self.total > self.max_bytes:
                self.report("REX-X114", f"more than {self.max_bytes} bytes of members: "
                                        "reading stopped")
                return None
        problems = [] if plain else path_problems(path)
        duplicate = path in self._names
        twin = None if duplicate else self._twins.meet(path)
        if duplicate or twin or problems or kind not in ("file", "dir"):
            self._judge(path, kind, problems, duplicate, twin, explained)
        else:
            self._names.add(path)
        return path, not problems

    def _judge(self, path: str, kind: str, problems: list[tuple[str, str]], duplicate: bool,
               twin: tuple[str, str, str] | None, explained: bool) -> None:
        shown = display(path)
        for code, message in problems:
            self.report(code, message, shown)
        if kind in ("symlink", "hardlink"):
            self.report("REX-X105", f"'{shown}' is a {kind}", shown)
        elif kind not in ("file", "dir") and not explained:
            self.report("REX-X106", f"'{shown}' is {_SPECIAL.get(kind, 'special')}, "
                                    "not a regular file", shown)
        if duplicate:
            self.report("REX-X107", f"'{shown}' appears more than once", shown)
        else:
            self._names.add(path)
        if twin is not None:
            code, later, earlier = twin
            self.report(code, f"'{display(later)}' collides with '{display(earlier)}'",
                        display(later))


# How a directory export's files are opened. O_NOFOLLOW: a file swapped for a link after
# listing is refused rather than followed; O_NONBLOCK: a file swapped for a FIFO does not hang
# the open (regular reads ignore it).
OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
              | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))


def read_upto(fd: int, limit: int, size: int) -> bytes:
    """At most ``limit`` bytes of the regular file open at ``fd``, whose fstat gave ``size``.

    One read gives them, and the size says whether a short read was the file's end, so no
    second read is needed: only a file system that reads in pieces is read again.
    """
    data = os.read(fd, limit)
    if len(data) < limit and len(data) < size:
        parts = [data]
        got = len(data)
        while got < limit and (more := os.read(fd, limit - got)):
            parts.append(more)
            got += len(more)
        data = b"".join(parts)
    return data


class Readable(Protocol):
    def read(self, n: int, /) -> bytes: ...


def _size(fp: Readable) -> int | None:
    """The size of the regular file behind ``fp``, when it is one; None otherwise."""
    fileno = getattr(fp, "fileno", None)
    try:
        info = os.fstat(fileno()) if fileno is not None else None
    except (OSError, ValueError, io.UnsupportedOperation):
        return None
    return info.st_size if info is not None and stat.S_ISREG(info.st_mode) else None


def read_capped(fp: Readable, cap: int | None = None) -> bytes:
    """Read at most ``cap`` bytes of ``fp`` (the manifest cap and one byte more by default),
    holding them about once in memory."""
    if cap is None:
        cap = MANIFEST_CAP + 1
    # ask for what the file holds, not for the cap: a read of 128 MiB allocates as much
    size = _size(fp)
    first = fp.read(cap if size is None else min(cap, size + 1))
    if not first or len(first) >= cap:
        return first
    more = fp.read(min(cap - len(first), 1 << 20))
    if not more:  # the end, as a rule: no copy into a buffer
        return first
    # short reads: grow one buffer in place rather than join a list (twice the memory)
    out = io.BytesIO()
    out.write(first)
    out.write(more)
    left = cap - len(first) - len(more)
    while left > 0:
        chunk = fp.read(min(left, 1 << 20))
        if not chunk:
            break
        out.write(chunk)
        left -= len(chunk)
    return out.getvalue()
