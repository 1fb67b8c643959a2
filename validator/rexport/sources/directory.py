"""An export directory: walked with os.scandir, links never followed, special files never opened."""

from __future__ import annotations

import functools
import operator
import os
import stat
from collections.abc import Iterator
from typing import BinaryIO

from rexport.limits import MAX_SEGMENTS
from rexport.paths import MANIFEST, display, plain
from rexport.sources.base import (
    OPEN_FLAGS,
    Entry,
    Ledger,
    Scanned,
    Source,
    read_capped,
    read_upto,
)
from rexport.sources.readahead import ReadAhead

_NAME = operator.attrgetter("name")


def open_checked(path: str) -> tuple[int, os.stat_result]:
    """Open ``path`` for reading only if it is a regular file with one link.

    Returns the descriptor and its fstat (what was opened, not what was listed: the file
    may have been swapped since); raises OSError otherwise. The caller closes the descriptor.
    """
    fd = os.open(path, OPEN_FLAGS)
    try:
        info = os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise
    if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
        os.close(fd)
        raise OSError(f"'{display(path)}' is not a regular file")
    return fd, info


def open_regular(path: str) -> BinaryIO:
    """Open ``path`` for reading only if it is a regular file with one link; raise OSError."""
    fd, _ = open_checked(path)
    try:
        # unbuffered: readers read in large chunks (readinto), a buffer would only copy
        return os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str, limit: int) -> bytes:
    """Return at most ``limit`` bytes of ``path``, opened as open_regular does; raise OSError.

    Meant for small files: see read_upto.
    """
    fd, info = open_checked(path)
    try:
        return read_upto(fd, limit, info.st_size)
    finally:
        os.close(fd)


def _classify(item: os.DirEntry[str]) -> tuple[str, int]:
    if item.is_symlink():
        return "symlink", 0
    if item.is_dir(follow_symlinks=False):
        return "dir", 0
    info = item.stat(follow_symlinks=False)
    mode = info.st_mode
    if stat.S_ISREG(mode):
        # a second name for the same inode may lie outside the export (st_nlink > 1)
        return ("hardlink" if info.st_nlink > 1 else "file"), info.st_size
    if stat.S_ISFIFO(mode):
        return "fifo", 0
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device", 0
    return "other", 0  # sockets, doors, whiteouts


class DirectorySource(Source):
    """An export laid out as a directory tree."""

    container = "directory"
    random_access = True
    ahead: ReadAhead | None = None

    def read_ahead(self, max_size: int, *, workers: int = 1) -> None:
        """Have the files smaller than ``max_size`` read and hashed ahead of the walk
        (rexport.sources.readahead): by ``workers`` processes at once where the platform
        allows, else in this process when first needed. scanned() then gives them in bulk,
        and entries() gives each file's size and SHA-256 with it.
        """
        if self.ahead is None and ReadAhead.possible():
            self.ahead = ReadAhead.start(self.path, max_size=max_size,
                                         max_files=self.max_files, workers=workers)

    def scanning(self) -> bool:
        return self.ahead is not None

    def scanned(self) -> Scanned | None:
        if self.ahead is None:
            return None
        parts = self.ahead.result()
        if parts is None or not all(p.clean for p in parts) \
                or len({p.listing for p in parts}) != 1 \
                or sum(p.total for p in parts) > self.max_bytes:
            return None  # the walk has something to report, or the tree changed meanwhile
        rest = [self._unread(*line.split("/", 3)) for p in parts for line in p.rest]
        return Scanned([key for p in parts for key in p.keys], sum(p.hashed for p in parts),
                       rest, self._read)

    def _read(self, key: str) -> Entry:
        size, digest, path = key.split("/", 2)
        return self._file(path, int(size), (int(size), digest))

    def _unread(self, size: str, read: str, digest: str, path: str) -> Entry:
        return self._file(path, int(size), None if int(read) < 0 else (int(read), digest))

    def _file(self, path: str, size: int, hashed: tuple[int, str] | None) -> Entry:
        location = os.path.join(self.path, path)
        return Entry(path, "file", size, True, functools.partial(open_regular, location),
                     functools.partial(read_regular, location), hashed)

    def close(self) -> None:
        if self.ahead is not None:
            self.ahead.close()
            self.ahead = None

    def manifest_bytes(self) -> bytes | None:
        try:
            with open_regular(os.path.join(self.path, MANIFEST)) as fp:
                return read_capped(fp)
        except OSError:
            return None  # absent, a link, a special file or unreadable: no manifest

    def _walk(self, ledger: Ledger) -> Iterator[Entry]:
        # an explicit stack of listings, not recursive generators: every yield would
        # otherwise climb through one generator frame per directory level
        partial = functools.partial
        ahead = self.ahead
        stack = [self._listing(ledger, "", self.path, 0)]
        while stack:
            items, depth, ok = stack[-1]
            for item, name in items:
                # the child's fstat of a regular file stands for the lstat: one system
                # call less per file (is_file reads the listing's file type, no call)
                done = ahead.take(name) if ahead is not None \
                    and item.is_file(follow_symlinks=False) else None
                if done is not None:
                    kind, size = "file", done[0]
                else:
                    try:
                        kind, size = _classify(item)
                    except OSError as exc:
                        shown = display(name)
                        ledger.report("REX-U103", f"cannot read '{shown}': "
                                                  f"{exc.strerror or exc}", shown)
                        continue
                admitted = ledger.admit(name, kind, size, plain=ok)
                if admitted is None:
                    return
                path, safe = admitted
                if kind == "file":
                    location = item.path
                    yield Entry(path, kind, size, safe, partial(open_regular, location),
                                partial(read_regular, location),
                                None if done is None else (done[1], done[2]))
                    continue
                yield Entry(path, kind, size, safe)
                # deeper than the path cap is already reported; going on would only meet
                # the operating system's own path length limit
                if kind == "dir" and depth < MAX_SEGMENTS:
                    stack.append(self._listing(ledger, path + "/", item.path, depth + 1))
                    break  # the listing goes on from here once the folder is done
            else:
                stack.pop()

    @classmethod
    def _listing(cls, ledger: Ledger, prefix: str, folder: str, depth: int
                 ) -> tuple[Iterator[tuple[os.DirEntry[str], str]], int, bool]:
        """A folder's entries with their paths, its depth, and whether every path is plain
        (rexport.paths.plain: then no path needs checking one by one)."""
        items = cls._list(ledger, prefix, folder)
        names = [prefix + item.name for item in items]
        return zip(items, names, strict=True), depth, plain(names)

    @staticmethod
    def _list(ledger: Ledger, prefix: str, folder: str) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(folder) as listing:
                return sorted(listing, key=_NAME)
        except OSError as exc:
            ledger.report("REX-U103", f"cannot list '{display(prefix or '.')}': "
                                      f"{exc.strerror or exc}", display(prefix or "."))
            return []
