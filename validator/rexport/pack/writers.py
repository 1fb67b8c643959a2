"""Deterministic writers for the four containers (dir, tar, tar.gz, zip) and atomic output."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from rexport.pack.errors import PackError
from rexport.pack.hashing import Hashed, signature
from rexport.pack.members import Member
from rexport.pack.reflink import clone
from rexport.pack.replace import check_replaceable
from rexport.paths import MANIFEST
from rexport.progress import ProgressBar

if TYPE_CHECKING:  # the archive modules are imported by the writers that use them
    import tarfile
    import zipfile

FORMATS = ("dir", "tar", "tar.gz", "zip")
GZIP_LEVEL = 6  # gzip's own default, so `tar -czf` and the packer compress alike
_CHUNK = 1 << 20
_SUFFIXES = ((".tar.gz", "tar.gz"), (".tgz", "tar.gz"), (".tar", "tar"), (".zip", "zip"))


def format_for(out: Path, explicit: str | None = None) -> str:
    """The container format: the one asked for, else taken from OUT's suffix, else a directory."""
    if explicit is not None:
        if explicit not in FORMATS:
            raise PackError(f"unknown format {explicit!r}; choose one of {', '.join(FORMATS)}")
        return explicit
    name = out.name.lower()
    return next((fmt for suffix, fmt in _SUFFIXES if name.endswith(suffix)), "dir")


@contextlib.contextmanager
def atomic_output(out: Path, *, is_dir: bool, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``out``; rename it to ``out`` only when the body succeeds.

    Anything that stops the body (an error, Ctrl-C, SIGTERM turned into SystemExit) removes the
    temporary; a SIGKILL leaves it under its hidden temporary name, never at ``out``.
    """
    if out.exists() or out.is_symlink():
        if not overwrite:
            raise PackError(f"{out} already exists; remove it or pass --force (overwrite=True)")
        check_replaceable(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        where = next((p for p in out.parents if p.exists()), out.parent)
        reason = f"{where} is not a folder" if not where.is_dir() else exc.strerror or exc
        raise PackError(f"cannot write {out}: {reason}") from None
    tmp = out.parent / f".{out.name}.{secrets.token_hex(6)}.rexport-partial"
    try:
        yield tmp
        _fsync(tmp)
        if is_dir or (out.is_dir() and not out.is_symlink()):
            _swap(tmp, out)
        else:
            os.replace(tmp, out)  # atomic, even over an existing file
        _fsync(out.parent)
    except BaseException as exc:
        # the cleanup never raises a second error over the first
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                tmp.unlink()
        if isinstance(exc, OSError) and _writing_failed(exc, tmp, out):
            raise PackError(f"cannot write {out}: {exc.strerror or exc}") from None
        raise


_NO_ROOM = {errno.ENOSPC, errno.EROFS, getattr(errno, "EDQUOT", errno.ENOSPC)}


def _writing_failed(exc: OSError, tmp: Path, out: Path) -> bool:
    """True when ``exc`` says the output could not be written, not that an input is unreadable."""
    if exc.errno in _NO_ROOM:
        return True
    name = exc.filename
    return name is not None and Path(os.fsdecode(name)) in (tmp, out, out.parent)


def _swap(tmp: Path, out: Path) -> None:
    """Put ``tmp`` at ``out`` when a directory is involved (rename cannot replace one)."""
    trash = None
    if out.exists() or out.is_symlink():
        trash = out.parent / f".{out.name}.{secrets.token_hex(6)}.rexport-old"
        os.rename(out, trash)
    try:
        os.rename(tmp, out)
    except BaseException:
        if trash is not None:  # the earlier export goes back where it was
            os.rename(trash, out)
        raise
    if trash is not None:  # the export is in place: removing the old one is best-effort
        if trash.is_dir() and not trash.is_symlink():
            shutil.rmtree(trash, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                trash.unlink()


def _fsync(path: Path) -> None:
    # durability is best-effort: some file systems refuse fsync on directories
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _opened(member: Member, hashed: Hashed) -> BinaryIO:
    if isinstance(member.source, Path) and signature(member.source) != hashed.signature:
        raise PackError(f"{member.source} changed while it was being packed; pack again")
    return member.open()


Entries = Sequence[tuple[Member, Hashed]]


def _mode(member: Member) -> int:
    return 0o755 if member.executable else 0o644


class DirectoryOutput:
    """A directory export, written file by file as its members are read.

    The packer writes each member while it hashes it (hashing.hash_members), from the very
    buffer it hashes: every byte is read once and written once; where the file system
    clones files (a reflink), a local file is cloned and only read to be hashed. finish()
    adds rex.json and sets the folders' modes and times, so that neither the umask nor the
    clock shows.
    """

    def __init__(self, root: Path, epoch: int) -> None:
        self.root = root
        self.epoch = epoch
        self.folders = {root}
        root.mkdir()

    def prepare(self, members: Iterable[Member]) -> None:
        """Make the folders ``members`` go in, before several threads write into them."""
        for member in members:
            for parent in reversed(self._target(member).parents):
                if parent not in self.folders and self.root in parent.parents:
                    parent.mkdir(exist_ok=True)
                    self.folders.add(parent)

    @contextlib.contextmanager
    def file(self, member: Member) -> Iterator[Callable[[memoryview], None] | None]:
        """Give what writes ``member``'s bytes, in order, or None when the file was cloned
        (nothing to write); the file is complete on exit."""
        target = self._target(member)
        with open(target, "xb") as dst:
            source = member.source
            before = signature(source) if isinstance(source, Path) else None
            if isinstance(source, Path) and clone(source, dst):
                yield None
                # what was hashed must be what was cloned
                if signature(source) != before:
                    raise PackError(f"{source} changed while it was being packed; pack again")
            else:

                def write(data: memoryview) -> None:
                    dst.write(data)

                yield write
        os.chmod(target, _mode(member))
        os.utime(target, (self.epoch, self.epoch))

    def finish(self, manifest: bytes) -> None:
        """Write rex.json, then fix every folder's mode and time, the deepest first."""
        with open(self.root / MANIFEST, "xb") as fp:
            fp.write(manifest)
        os.chmod(self.root / MANIFEST, 0o644)
        os.utime(self.root / MANIFEST, (self.epoch, self.epoch))
        for directory in sorted(self.folders, key=lambda p: len(p.parts), reverse=True):
            os.chmod(directory, 0o755)
            os.utime(directory, (self.epoch, self.epoch))

    def _target(self, member: Member) -> Path:
        return self.root.joinpath(*member.path.split("/"))


def _write_dir(root: Path, manifest: bytes, entries: Entries, epoch: int,
               advance: Callable[[int], None]) -> None:
    tree = DirectoryOutput(root, epoch)
    tree.prepare(member for member, _ in entries)
    for member, hashed in entries:
        with _opened(member, hashed) as src, tree.file(member) as write:
            while chunk := src.read(_CHUNK):
                if write is not None:
                    write(memoryview(chunk))
                advance(len(chunk))
    tree.finish(manifest)


def _tar_info(path: str, size: int, mode: int, epoch: int) -> tarfile.TarInfo:
    import tarfile

    info = tarfile.TarInfo(path)
    info.size, info.mode, info.mtime = size, mode, epoch
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    return info


class _Counting(io.RawIOBase):
    """Feed the progress bar as the tar writer reads a member."""

    def __init__(self, inner: BinaryIO, advance: Callable[[int], None]) -> None:
        self._inner, self._advance = inner, advance

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._inner.read(size)
        self._advance(len(data))
        return data


def _write_tar(stream: BinaryIO, manifest: bytes, entries: Entries, epoch: int,
               advance: Callable[[int], None]) -> None:
    import tarfile

    # PAX: UTF-8 names of any length; for short ASCII names the header is plain ustar
    with tarfile.TarFile(fileobj=stream, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8",
                         copybufsize=_CHUNK) as tar:
        tar.addfile(_tar_info(MANIFEST, len(manifest), 0o644, epoch), io.BytesIO(manifest))
        for member, hashed in entries:
            info = _tar_info(member.path, hashed.size, _mode(member), epoch)
            with _opened(member, hashed) as src:
                tar.addfile(info, _Counting(src, advance))


def _zip_time(epoch: int) -> tuple[int, int, int, int, int, int]:
    # DOS dates run from 1980 to 2107; times are stored in UTC, never local time
    clamped = min(max(epoch, 315_532_800), 4_354_819_198)
    year, month, day, hour, minute, second = time.gmtime(clamped)[:6]
    return year, month, day, hour, minute, second


def _write_zip(stream: BinaryIO, manifest: bytes, entries: Entries, epoch: int,
               advance: Callable[[int], None]) -> None:
    import zipfile

    stamp = _zip_time(epoch)

    def info(path: str, size: int, mode: int) -> zipfile.ZipInfo:
        entry = zipfile.ZipInfo(path, date_time=stamp)
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.create_system = 3  # Unix, on every platform, so the mode bits mean the same
        entry.external_attr = (0o100000 | mode) << 16
        entry.file_size = size
        return entry

    with zipfile.ZipFile(stream, "w", allowZip64=True) as archive:
        archive.writestr(info(MANIFEST, len(manifest), 0o644), manifest)
        for member, hashed in entries:
            with _opened(member, hashed) as src, archive.open(
                    info(member.path, hashed.size, _mode(member)), "w") as dst:
                while chunk := src.read(_CHUNK):
                    dst.write(chunk)
                    advance(len(chunk))


def _ignore(count: int) -> None:
    """Progress nobody watches."""


def write_export(out: Path, fmt: str, manifest: bytes, members: Sequence[Member],
                 hashed: Mapping[str, Hashed], epoch: int, *, overwrite: bool = False,
                 progress: bool = False) -> None:
    """Write rex.json then every member, in path-byte order, as ``fmt`` at ``out``, atomically."""
    ordered = sorted(members, key=lambda m: m.path.encode("utf-8"))
    entries = [(m, hashed[m.path]) for m in ordered]
    bar = ProgressBar(sum(h.size for _, h in entries), "writing") if progress else None
    advance = bar.tick if bar is not None else _ignore
    try:
        with atomic_output(out, is_dir=fmt == "dir", overwrite=overwrite) as tmp:
            if fmt == "dir":
                _write_dir(tmp, manifest, entries, epoch, advance)
                return
            with open(tmp, "xb", buffering=_CHUNK) as raw:
                if fmt == "zip":
                    _write_zip(raw, manifest, entries, epoch, advance)
                elif fmt == "tar":
                    _write_tar(raw, manifest, entries, epoch, advance)
                else:
                    import gzip

                    # no file name and mtime 0 in the gzip header: only the bytes count
                    with gzip.GzipFile(filename="", mode="wb", compresslevel=GZIP_LEVEL,
                                       fileobj=raw, mtime=0) as gz:
                        # batch the tar writer's small writes into large compress calls
                        zbuf = io.BufferedWriter(gz, _CHUNK)
                        _write_tar(zbuf, manifest, entries, epoch, advance)
                        zbuf.flush()
                        zbuf.detach()
    finally:
        if bar is not None:
            bar.close()
