"""An export directory: walked with os.scandir, links never followed, special files never opened."""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Iterator
from typing import BinaryIO

from rexport.paths import MAX_SEGMENTS, display
from rexport.sources.base import MANIFEST, Entry, Ledger, Source, read_capped

# O_NOFOLLOW: a file swapped for a link after listing is refused rather than followed;
# O_NONBLOCK: a file swapped for a FIFO does not hang the open (regular reads ignore it).
_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
          | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))


def open_regular(path: str) -> BinaryIO:
    """Open ``path`` for reading only if it is a regular file with one link; raise OSError."""
    fd = os.open(path, _FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
            raise OSError(f"'{display(path)}' is not a regular file")
        # unbuffered: readers read in large chunks (readinto), a buffer would only copy
        return os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


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

    def manifest_bytes(self) -> bytes | None:
        try:
            with open_regular(os.path.join(self.path, MANIFEST)) as fp:
                return read_capped(fp)
        except OSError:
            return None  # absent, a link, a special file or unreadable: no manifest

    def _walk(self, ledger: Ledger) -> Iterator[Entry]:
        # an explicit stack of listings, not recursive generators: every yield would
        # otherwise climb through one generator frame per directory level
        stack = [("", iter(self._list(ledger, "", self.path)), 0)]
        while stack:
            prefix, items, depth = stack[-1]
            item = next(items, None)
            if item is None:
                stack.pop()
                continue
            try:
                kind, size = _classify(item)
            except OSError as exc:
                ledger.report("REX-U103", f"cannot read '{display(prefix + item.name)}': "
                                          f"{exc.strerror or exc}", display(prefix + item.name))
                continue
            admitted = ledger.admit(prefix + item.name, kind, size)
            if admitted is None:
                return
            path, safe = admitted
            opener = functools.partial(open_regular, item.path) if kind == "file" else None
            yield Entry(path, kind, size, safe, opener)
            # deeper than the path cap is already reported; going on would only meet
            # the operating system's own path length limit
            if kind == "dir" and depth < MAX_SEGMENTS:
                stack.append((path + "/", iter(self._list(ledger, path + "/", item.path)),
                              depth + 1))

    @staticmethod
    def _list(ledger: Ledger, prefix: str, folder: str) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(folder) as listing:
                return sorted(listing, key=lambda item: item.name)
        except OSError as exc:
            ledger.report("REX-U103", f"cannot list '{display(prefix or '.')}': "
                                      f"{exc.strerror or exc}", display(prefix or "."))
            return []
