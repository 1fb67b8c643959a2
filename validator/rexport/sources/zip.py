"""Zip exports: the central directory checked against local headers, members read through
bounded zipfile readers opened on their own handle (thread-safe random access)."""

from __future__ import annotations

import io
import itertools
import os
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO, cast

from rexport.limits import RATIO_LIMIT, RATIO_MIN_SIZE
from rexport.paths import MANIFEST, display
from rexport.sources.base import (
    MALFORMED,
    ContainerError,
    Entry,
    Ledger,
    Source,
    read_capped,
)
from rexport.sources.zip_directory import LOCAL, LOCAL_SIG, Central, iter_central, read_directory

_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
for _method, _module in ((zipfile.ZIP_BZIP2, "bz2"), (zipfile.ZIP_LZMA, "lzma")):
    try:
        __import__(_module)
        _METHODS.add(_method)
    except ImportError:  # pragma: no cover - Python built without the library
        pass
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError,
                NotImplementedError, LookupError)
_UNIX, _DOS = 3, 0


def _kind(item: Central) -> str:
    if item.name.endswith("/"):
        return "dir"
    mode = item.external_attr >> 16
    if item.create_system == _UNIX and mode:
        for test, kind in ((stat.S_ISLNK, "symlink"), (stat.S_ISDIR, "dir"),
                           (stat.S_ISCHR, "device"), (stat.S_ISBLK, "device"),
                           (stat.S_ISFIFO, "fifo"), (stat.S_ISSOCK, "other")):
            if test(mode):
                return kind
    if item.external_attr & 0x400:  # FILE_ATTRIBUTE_REPARSE_POINT: a Windows link
        return "symlink"
    if item.external_attr & 0x10:  # FILE_ATTRIBUTE_DIRECTORY
        return "dir"
    return "file"


class ZipSource(Source):
    """A .zip export."""

    container = "zip"
    random_access = True

    def manifest_bytes(self) -> bytes | None:
        ledger = Ledger([], self.name, max_files=self.max_files, max_bytes=self.max_bytes)
        quiet = Source(self.path, max_files=0, max_bytes=0)  # reports of this look are dropped
        try:
            for entry in self._members(ledger, quiet, whole=False):
                if entry.path == MANIFEST and entry.kind == "file":
                    with entry.open() as fp:
                        return read_capped(fp)
        except (ContainerError, OSError, *MALFORMED):
            pass  # the walk over the entries reports it
        return None

    def _walk(self, ledger: Ledger) -> Iterator[Entry]:
        return self._members(ledger, self)

    def _members(self, ledger: Ledger, sink: Source, *, whole: bool = True
                 ) -> Iterator[Entry]:
        """The members in central directory order; ``whole``: a walk over all of them, which
        a directory claiming more entries than the cap is not even started for."""
        with self.open_file(buffered=True) as fp, self.open_file(buffered=False) as local:
            size = self.size_of(fp)
            directory = read_directory(fp, size)
            if whole and directory.count > ledger.max_files:
                ledger.report("REX-X113", f"the central directory lists {directory.count} "
                                          f"entries (more than {ledger.max_files}): not read")
                return
            if directory.trailing:
                ledger.report("REX-X112", f"{directory.trailing} bytes follow the end of "
                                          "central directory record")
            spans: list[tuple[int, int, str]] = []
            for item in iter_central(fp, directory):
                kind, refused, data_at = self._inspect(item, local, directory.start, ledger)
                admitted = ledger.admit(item.name, kind, item.file_size, explained=refused)
                if admitted is None:
                    return
                path, safe = admitted
                spans.append((item.header_offset, data_at + item.compress_size, display(path)))
                opener: Callable[[], BinaryIO] | None = None
                if kind == "file":
                    opener = _opener(self.open_file, item, data_at, sink, display(path))
                yield Entry(path, kind, item.file_size if kind == "file" else 0, safe, opener)
            _check_layout(spans, ledger)

    def open_file(self, *, buffered: bool) -> BinaryIO:
        """A new handle on the archive (its readers are not shared between threads)."""
        buffering = 1 << 16 if buffered else 0
        return open(self.path, "rb", buffering=buffering)

    def size_of(self, fp: BinaryIO) -> int:
        """The archive's size in bytes, ``fp`` being a handle on it."""
        return os.fstat(fp.fileno()).st_size

    def _inspect(self, item: Central, local: BinaryIO, cd_start: int, ledger: Ledger
                 ) -> tuple[str, bool, int]:
        """Return (kind, refused, data offset) after the local header checks.

        A member that cannot or must not be read (encrypted, unknown method, a bomb) is
        refused: reported here and given kind "other", so that nobody tries to read it.
        """
        shown = display(item.name)
        kind = _kind(item)
        local.seek(item.header_offset)
        head = local.read(LOCAL.size + len(item.raw_name))
        if len(head) < LOCAL.size or head[:4] != LOCAL_SIG:
            raise ContainerError("REX-X118", f"'{shown}': no local header where the central "
                                 "directory points", shown)
        fields = LOCAL.unpack_from(head)
        flags, method, name_len, extra_len = fields[3], fields[4], fields[10], fields[11]
        data_at = item.header_offset + LOCAL.size + name_len + extra_len
        if name_len != len(item.raw_name) or head[LOCAL.size:] != item.raw_name or \
                method != item.method or (flags ^ item.flags) & 0x1:
            raise ContainerError("REX-X118", f"'{shown}': the local header and the central "
                                 "directory disagree", shown)
        if data_at + item.compress_size > cd_start:
            raise ContainerError("REX-X118", f"'{shown}': member data runs into the central "
                                 "directory", shown)
        if kind != "file":
            return kind, False, data_at
        if item.flags & 0x41:
            ledger.report("REX-X118", f"'{shown}' is encrypted", shown)
            return "other", True, data_at
        if item.method not in _METHODS:
            ledger.report("REX-X118", f"'{shown}' uses unsupported compression method "
                                      f"{item.method}", shown)
            return "other", True, data_at
        if item.method == zipfile.ZIP_STORED and item.compress_size != item.file_size:
            ledger.report("REX-X118", f"'{shown}' is stored with two different sizes", shown)
            return "other", True, data_at
        if item.file_size > RATIO_MIN_SIZE and \
                item.file_size > RATIO_LIMIT * max(item.compress_size, 1):
            ledger.report("REX-X115", f"'{shown}' declares {item.file_size} bytes from "
                                      f"{item.compress_size} (more than {RATIO_LIMIT}:1): "
                                      "not read", shown)
            return "other", True, data_at
        return kind, False, data_at


def _check_layout(spans: list[tuple[int, int, str]], ledger: Ledger) -> None:
    """Members must not overlap (a known bomb shape) and nothing may precede the first."""
    if not spans:
        return
    spans.sort()
    if spans[0][0] > 0:
        ledger.report("REX-X112", f"{spans[0][0]} bytes precede the first member")
    for (_, end, first), (start, _, second) in itertools.pairwise(spans):
        if start < end:
            ledger.report("REX-X118", f"'{second}' overlaps '{first}'", second)


def _opener(open_file: Callable[..., BinaryIO], item: Central, data_at: int, sink: Source,
            shown: str) -> Callable[[], BinaryIO]:
    def open_member() -> BinaryIO:
        info = zipfile.ZipInfo(item.name)
        info.compress_type = item.method
        info.compress_size = item.compress_size
        info.file_size = item.file_size
        info.CRC = item.crc
        info.flag_bits = item.flags
        fp = open_file(buffered=False)  # owned by the ZipExtFile
        fp.seek(data_at)
        try:
            member = zipfile.ZipExtFile(fp, "r", info, None, True)
        except BaseException:
            fp.close()
            raise
        return cast(BinaryIO, _Guarded(member, item.file_size, sink, shown))

    return open_member


class _Guarded(io.BufferedIOBase):
    """A zip member reader that never yields more than declared and never raises: a
    corrupt member ends early and is reported (REX-X118) on the source."""

    def __init__(self, member: zipfile.ZipExtFile, size: int, sink: Source, shown: str) -> None:
        super().__init__()
        self._member = member
        self._left = size
        self._sink = sink
        self._shown = shown

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        want = self._left if size is None or size < 0 else min(size, self._left)
        if want <= 0:
            self._end()
            return b""
        try:
            data = self._member.read(want)
        except _READ_ERRORS as exc:
            self._fail(f"'{self._shown}' cannot be read: {exc}")
            return b""
        if not data:
            self._fail(f"'{self._shown}' ends before its declared size")
            return b""
        self._left -= len(data)
        if not self._left:
            self._end()
        return data

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _end(self) -> None:
        """At the declared size: one more read lets zipfile check the CRC."""
        if self._member.closed:
            return
        try:
            self._member.read(1)
        except _READ_ERRORS as exc:
            self._fail(f"'{self._shown}' fails its check: {exc}")
        self._member.close()

    def _fail(self, message: str) -> None:
        self._left = 0
        self._sink.report("REX-X118", message, self._shown)
        self._member.close()

    def close(self) -> None:
        self._member.close()
        super().close()
