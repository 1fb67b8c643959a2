"""A directory listed, classified and its small files hashed ahead of the checks, in bulk."""

from __future__ import annotations

import functools
import hashlib
import os
import stat
from collections.abc import Iterator
from operator import attrgetter
from typing import NamedTuple

from rexport.forked import Forked
from rexport.limits import MAX_SEGMENTS
from rexport.paths import MANIFEST, path_problems, plain
from rexport.sources.base import OPEN_FLAGS, read_upto

_DIR_FLAGS = (os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
              | getattr(os, "O_CLOEXEC", 0))
_NAME = attrgetter("name")
_ISREG = stat.S_ISREG


def open_at(folder: int, name: str) -> int:
    """Open the file ``name`` in the folder open at ``folder`` as every member is opened
    (sources.base.OPEN_FLAGS: never through a link, never blocking on a FIFO)."""
    return os.open(name, OPEN_FLAGS, dir_fd=folder)


class Part(NamedTuple):
    """What one worker found over its share of the files (every ``workers``-th of them).

    ``keys``: "size/sha256/path" of each file read whole, as large as its fstat said;
    ``rest``: "size/read/sha256/path" of the other files (read -1 and no digest: not read);
    ``clean``: the walk met nothing the member-by-member walk would report (every entry a
    folder or a regular file with one link, every name plain, no two alike, every folder
    listed, no more entries than the cap); ``total``: bytes of the share's files;
    ``hashed``: bytes of the keys' files; ``listing``: a digest of every path the worker
    listed, in order, which every worker must share (else the tree changed between their
    listings, and a file may be nobody's share).
    """

    keys: list[str]
    rest: list[str]
    clean: bool
    total: int
    hashed: int
    listing: str


class _Walker:
    """The walk of DirectorySource, reading one share of the files: in a worker process, or
    in this one for a single job. Every worker lists every folder; the first also keeps
    every path, to look for two alike. A folder's files are read as one batch, its
    subfolders then walked one at a time (so that only one folder a level is held open)."""

    def __init__(self, me: int, workers: int, max_size: int, max_files: int) -> None:
        self.me = me
        self.workers = workers
        self.max_size = max_size
        self.max_files = max_files
        self.keys: list[str] = []
        self.rest: list[str] = []
        self.names: list[str] | None = [] if me == 0 else None
        self.clean = True
        self.capped = False
        self.walked = self.total = self.hashed = 0
        self.seq = 0  # files met so far: a worker reads those whose number is its own
        self.listing = hashlib.sha256()

    def run(self, root: str) -> Part:
        try:
            top = os.open(root, _DIR_FLAGS)
        except OSError:
            self.clean = False
            return self._part()
        stack: list[tuple[int, Iterator[tuple[str, str]], int]] = []
        try:
            stack.append(self._folder("", top, 0))
            while stack and not self.capped:
                folder, subfolders, depth = stack[-1]
                for name, path in subfolders:
                    inner = self._enter(name, folder, depth)
                    if inner is not None:
                        stack.append(self._folder(path + "/", inner, depth + 1))
                        break
                else:
                    stack.pop()
                    os.close(folder)
        finally:
            for folder, _, _ in stack:
                os.close(folder)
        names = self.names
        if names is not None and self.clean and \
                len(set("\n".join(names).lower().split("\n"))) != len(names):
            self.clean = False  # two names alike once case is folded (plain names: ASCII)
        return self._part()

    def _part(self) -> Part:
        return Part(self.keys, self.rest, self.clean and not self.capped, self.total,
                    self.hashed, self.listing.hexdigest())

    def _enter(self, name: str, folder: int, depth: int) -> int | None:
        if depth >= MAX_SEGMENTS:
            self.clean = False  # too deep to follow: the walk reports the path
            return None
        try:
            return os.open(name, _DIR_FLAGS, dir_fd=folder)
        except OSError:
            self.clean = False
            return None

    def _folder(self, prefix: str, folder: int, depth: int
                ) -> tuple[int, Iterator[tuple[str, str]], int]:
        """List a folder, read this worker's share of its files; give back the folder, its
        subfolders (name and path) to walk, and its depth."""
        try:
            with os.scandir(folder) as listing:
                items = sorted(listing, key=_NAME)
        except OSError:
            self.clean = False
            items = []
        paths = [prefix + item.name for item in items]
        self.listing.update("\0".join(paths).encode("utf-8", "surrogateescape") + b"\0\0")
        self.walked += len(items)
        if self.walked > self.max_files:
            self.capped = True
            return folder, iter(()), depth
        if self.names is not None:
            self.names += paths
        ok = plain(paths)
        self.clean = self.clean and ok
        subfolders: list[tuple[os.DirEntry[str], str]] = []
        files: list[tuple[os.DirEntry[str], str]] = []
        for item, path in zip(items, paths, strict=True):
            (subfolders if item.is_dir(follow_symlinks=False) else files).append((item, path))
        mine = files[(self.me - self.seq) % self.workers::self.workers]
        self.seq += len(files)
        if not ok:  # a name the walk refuses is never opened (its finding says why)
            mine = [(item, path) for item, path in mine if not path_problems(path)]
        self._read(folder, mine)
        return folder, ((item.name, path) for item, path in subfolders), depth

    def _read(self, folder: int, files: list[tuple[os.DirEntry[str], str]]) -> None:
        """Open, read and hash one folder's share of small files, in one tight loop: the
        Python around each file, not the hashing, is what a small file costs."""
        keys, rest, max_size = self.keys, self.rest, self.max_size
        fstat, read, close, sha256 = os.fstat, os.read, os.close, hashlib.sha256
        for item, path in files:
            if not item.is_file(follow_symlinks=False):
                self.clean = False  # a link, a FIFO, a device...: the walk reports it
                continue
            try:
                fd = open_at(folder, item.name)
            except OSError:
                self._unopened(item, path)
                continue
            try:
                info = fstat(fd)
                size = info.st_size
                if not _ISREG(info.st_mode) or info.st_nlink != 1:
                    self.clean = False  # swapped since it was listed
                    continue
                self.total += size
                if path == MANIFEST:
                    continue  # read by the source itself
                if size >= max_size:
                    rest.append(f"{size}/-1//{path}")
                    continue
                try:
                    # one byte more tells a file grown since its fstat
                    data = read(fd, size + 1)
                    if len(data) < size:  # a file system that reads in pieces
                        data += read_upto(fd, size + 1 - len(data), size - len(data))
                except OSError:
                    rest.append(f"{size}/-1//{path}")  # read again later, to report why
                    continue
            except OSError:  # no fstat: the walk's lstat decides
                self.clean = False
                continue
            finally:
                close(fd)
            digest = sha256(data).hexdigest()
            if len(data) == size:
                keys.append(f"{size}/{digest}/{path}")
                self.hashed += size
            else:
                rest.append(f"{size}/{len(data)}/{digest}/{path}")

    def _unopened(self, item: os.DirEntry[str], path: str) -> None:
        # as the walk does: the lstat says what it is, and reading it is tried again later
        try:
            info = item.stat(follow_symlinks=False)
        except OSError:
            self.clean = False
            return
        if not _ISREG(info.st_mode) or info.st_nlink != 1:
            self.clean = False
            return
        self.total += info.st_size
        if path != MANIFEST:
            self.rest.append(f"{info.st_size}/-1//{path}")


class ReadAhead:
    """Workers that walk a directory as DirectorySource does and hash its small files.

    With several jobs they are forked processes (rexport.forked), started before the
    manifest is parsed, so that the reading overlaps the manifest's checks: an export of
    many small files is bound by the Python around each read, which threads cannot share
    (one interpreter lock) and processes can. Each worker reads every ``workers``-th file
    and sends back, per file, a line of text; none of it is trusted beyond what it says
    about the bytes it read, and a worker that fails only leaves its files to be read here.
    With one job, or where forking is not safe, the same walk runs in this process when
    its result is first asked for.
    """

    def __init__(self, root: str, *, max_size: int, max_files: int) -> None:
        self.root = root
        self.max_size = max_size
        self.max_files = max_files
        self.workers: list[Forked[Part]] = []
        self.parts: list[Part] | None = None
        self.failed = False
        self.found: dict[str, tuple[int, int, str]] | None = None

    @staticmethod
    def possible() -> bool:
        """Whether this platform walks folders by descriptor (not on Windows): the walk
        opens each folder and file relative to its parent, never through a link."""
        return os.open in os.supports_dir_fd and os.scandir in os.supports_fd

    @classmethod
    def start(cls, root: str, *, max_size: int, max_files: int, workers: int) -> ReadAhead:
        """Start reading ``root`` ahead: ``workers`` processes where forking is safe and more
        than one is asked for, else in this process later. Regular files smaller than
        ``max_size`` are hashed; the walk stops after ``max_files`` entries, as the source's."""
        ahead = cls(root, max_size=max_size, max_files=max_files)
        if workers > 1:
            for me in range(workers):
                walker = _Walker(me, workers, max_size, max_files)
                worker = Forked.start(functools.partial(walker.run, root))
                if worker is None:
                    break  # not safe here: read in this process
                ahead.workers.append(worker)
        return ahead

    def result(self) -> list[Part] | None:
        """Every worker's Part, once they are all done; None when one of them failed (its
        files are then read by the walk)."""
        if self.parts is None:
            if not self.workers:
                walker = _Walker(0, 1, self.max_size, self.max_files)
                self.parts = [walker.run(self.root)]
            else:
                parts = [worker.result() for worker in self.workers]
                self.parts = [p for p in parts if p is not None]
                self.failed = len(self.parts) != len(parts)
        return None if self.failed else self.parts

    def take(self, path: str) -> tuple[int, int, str] | None:
        """What a worker read of ``path``: (its size when opened, the bytes read, their
        SHA-256 in hex); None when no worker read it (read it yourself).

        A file is read to its end, and one byte more than its size when it grew.
        """
        if self.found is None:
            self.found = {}
            self.result()
            for part in self.parts or ():
                for key in part.keys:
                    size, digest, name = key.split("/", 2)
                    self.found[name] = (int(size), int(size), digest)
                for line in part.rest:
                    size, read, digest, name = line.split("/", 3)
                    if int(read) >= 0:
                        self.found[name] = (int(size), int(read), digest)
        return self.found.get(path)

    def close(self) -> None:
        """Stop the workers (they may still be reading) and reap them."""
        for worker in self.workers:
            worker.close()
