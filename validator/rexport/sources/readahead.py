"""SHA-256 of a directory's small files, read ahead by a forked child process."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import stat
import struct
import sys
import threading
from collections.abc import Iterator
from operator import attrgetter
from typing import Any

from rexport.limits import MAX_SEGMENTS
from rexport.paths import path_problems, plain
from rexport.sources.base import OPEN_FLAGS, read_upto

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows, where no child is forked anyway
    fcntl = None  # type: ignore[assignment]

# keyed hash of the path (16), size by fstat, bytes read (-1: not read), SHA-256
_RECORD = struct.Struct("<16sqq32s")
_DIR_FLAGS = (os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
              | getattr(os, "O_CLOEXEC", 0))
_PIPE_SIZE = 1 << 20  # records in flight: about 20,000 files' worth
_NAME = attrgetter("name")
_SET_PIPE_SIZE = getattr(fcntl, "F_SETPIPE_SZ", None)


def forkable() -> bool:
    """True where a fork is safe: on Linux, in a process running one thread, Python's or
    native (a fork copies only the calling thread, and a lock another thread held would
    stay held in the child)."""
    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1  # threads started outside Python too
    except OSError:
        return False


class ReadAhead:
    """The parent's side: ``take(path)`` gives the child's result for one file, or None.

    With ``--jobs`` above 1, an export of many small files is bound by the Python around
    each read, and threads cannot share that: they share one interpreter lock. A child
    process can. Forked before the manifest is parsed, it walks the export as the directory
    source does and sends the size and SHA-256 of each small regular file with a safe name;
    the validator takes a result when one has arrived for the file it is at, and reads the
    file itself otherwise. The child only saves work: it never decides what is checked, and
    a file it did not read is read here.
    """

    def __init__(self, pid: int, fd: int, key: bytes) -> None:
        self.pid = pid
        self.fd = fd
        self.path_hasher = _path_hasher(key)
        self.pending: dict[bytes, tuple[int, int, bytes]] = {}
        self.tail = b""
        self.done = False

    @classmethod
    def start(cls, root: str, *, max_size: int, max_files: int) -> ReadAhead | None:
        """Fork the child over the directory ``root``; None when it cannot be used here.

        It reads regular files smaller than ``max_size`` and stops after ``max_files``
        entries, as the walk does.
        """
        if not forkable():
            return None
        key = os.urandom(16)  # a path's record cannot be forged by choosing its name
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # the child: never returns, never raises into the caller's code
            try:
                os.close(read_end)
                _quiet_stdio()
                _Child(write_end, key, max_size, max_files).run(root)
            finally:
                os._exit(0)
        os.close(write_end)
        os.set_blocking(read_end, False)
        return cls(pid, read_end, key)

    def take(self, path: str) -> tuple[int, int, str] | None:
        """The child's result for ``path`` if it has arrived: (its size when opened, the
        bytes read, their SHA-256 in hex); None when not (read it yourself).

        The child reads a file to its end, and one byte more than its size when it grew.
        """
        name = _path_id(self.path_hasher, path)
        found = self.pending.pop(name, None)
        if found is None and not self.done:
            self._drain()
            found = self.pending.pop(name, None)
        if found is None or found[1] < 0:
            return None
        return found[0], found[1], found[2].hex()

    def _drain(self) -> None:
        chunks = [self.tail]
        while True:
            try:
                chunk = os.read(self.fd, _PIPE_SIZE)
            except BlockingIOError:
                break
            except OSError:
                self.done = True
                break
            if not chunk:
                self.done = True
                break
            chunks.append(chunk)
        data = b"".join(chunks)
        whole = len(data) - len(data) % _RECORD.size
        self.tail = data[whole:]
        for name, size, read, digest in _RECORD.iter_unpack(memoryview(data)[:whole]):
            self.pending[name] = (size, read, digest)

    def close(self) -> None:
        """Stop the child (it may still be reading) and reap it."""
        os.close(self.fd)  # its next write fails, should the kill below not land first
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ChildProcessError, ProcessLookupError):
            pass  # already reaped, say by the program's own SIGCHLD handler
        self.pending.clear()


def _path_hasher(key: bytes) -> Any:
    """A keyed BLAKE2b: what names a path in the records, unforgeable by the export."""
    return hashlib.blake2b(key=key, digest_size=16)


def _path_id(path_hasher: Any, path: str) -> bytes:
    hasher = path_hasher.copy()
    hasher.update(path.encode("utf-8", "surrogatepass"))
    return hasher.digest()  # type: ignore[no-any-return]


def _quiet_stdio() -> None:
    # the child never writes to the terminal, and must not keep the caller's pipes open
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


class _Child:
    """The child's side: the walk of DirectorySource, reading what the validator would."""

    def __init__(self, out: int, key: bytes, max_size: int, max_files: int) -> None:
        self.out = out
        self.path_hasher = _path_hasher(key)
        self.max_size = max_size
        self.max_files = max_files
        self.buffer = bytearray()
        os.set_blocking(out, False)  # never wait for the parent: keep the records instead
        if _SET_PIPE_SIZE is not None:
            # a smaller pipe only means more records kept here until there is room
            with contextlib.suppress(OSError):
                fcntl.fcntl(out, _SET_PIPE_SIZE, _PIPE_SIZE)

    def run(self, root: str) -> None:
        count = 0
        top = os.open(root, _DIR_FLAGS)
        stack = [self._listing("", top, 0)]
        while stack:
            items, folder, depth, ok = stack[-1]
            for item, path in items:
                count += 1
                if count > self.max_files:
                    return self._flush(final=True)
                if item.is_dir(follow_symlinks=False):
                    if depth < MAX_SEGMENTS:
                        try:
                            inner = os.open(item.name, _DIR_FLAGS, dir_fd=folder)
                        except OSError:
                            continue
                        stack.append(self._listing(path + "/", inner, depth + 1))
                        break
                elif item.is_file(follow_symlinks=False) and (ok or not path_problems(path)):
                    self._read(folder, item.name, path)
            else:
                stack.pop()
                os.close(folder)
        self._flush(final=True)

    def _listing(self, prefix: str, folder: int, depth: int
                 ) -> tuple[Iterator[tuple[os.DirEntry[str], str]], int, int, bool]:
        items = self._list(folder)
        paths = [prefix + item.name for item in items]
        return zip(items, paths, strict=True), folder, depth, plain(paths)

    @staticmethod
    def _list(folder: int) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(folder) as listing:
                return sorted(listing, key=_NAME)
        except OSError:
            return []

    def _read(self, folder: int, name: str, path: str) -> None:
        size = read = -1
        digest = b""
        try:
            fd = os.open(name, OPEN_FLAGS, dir_fd=folder)
        except OSError:
            fd = -1
        if fd >= 0:
            try:
                info = os.fstat(fd)
                if stat.S_ISREG(info.st_mode) and info.st_nlink == 1 \
                        and info.st_size < self.max_size:
                    # one byte more tells a file grown since its fstat
                    data = read_upto(fd, info.st_size + 1, info.st_size)
                    size, read, digest = info.st_size, len(data), hashlib.sha256(data).digest()
            except OSError:
                read = -1
            finally:
                os.close(fd)
        self.buffer += _RECORD.pack(_path_id(self.path_hasher, path), size, read, digest)
        if len(self.buffer) >= 1 << 14:
            self._flush(final=False)

    def _flush(self, *, final: bool) -> None:
        if final:
            os.set_blocking(self.out, True)
        while self.buffer:
            try:
                written = os.write(self.out, self.buffer)
            except BlockingIOError:
                return  # the parent is behind: keep the rest for later
            del self.buffer[:written]
