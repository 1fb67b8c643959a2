"""The zip end records and central directory, read by hand so that every count stays bounded."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from rexport.sources.base import corrupt

_EOCD = struct.Struct("<4s4H2LH")
_LOC64 = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
LOCAL = struct.Struct("<4s2B4HL2L2H")
LOCAL_SIG = b"PK\x03\x04"
_MAX_COMMENT = 0xFFFF
_FULL32 = 0xFFFFFFFF


@dataclass
class Directory:
    """Where the central directory is, how many entries it claims, and what surrounds it."""

    count: int
    start: int  # absolute offset of the central directory
    size: int
    shift: int  # bytes prepended to the archive (its offsets are relative to the shift)
    trailing: int  # bytes after the end record and its comment


@dataclass
class Central:
    """One central directory record, with zip64 sizes already applied."""

    raw_name: bytes
    name: str
    create_system: int
    flags: int
    method: int
    crc: int
    compress_size: int
    file_size: int
    external_attr: int
    header_offset: int
    extra_len: int = 0  # of the central record's extra field


def read_directory(fp: BinaryIO, file_size: int) -> Directory:
    """Find the end of central directory record (and its zip64 form); raise X118 if absent."""
    tail_len = min(file_size, _EOCD.size + _MAX_COMMENT)
    fp.seek(file_size - tail_len)
    tail = fp.read(tail_len)
    found = -1
    pos = tail.rfind(b"PK\x05\x06")
    while pos >= 0:
        if pos + _EOCD.size <= len(tail):
            comment = struct.unpack_from("<H", tail, pos + 20)[0]
            if pos + _EOCD.size + comment == len(tail):
                found = pos  # the record that ends the file exactly: the real one
                break
            if found < 0 and pos + _EOCD.size + comment < len(tail):
                found = pos  # the last record that fits: bytes follow it
        pos = tail.rfind(b"PK\x05\x06", 0, pos)
    if found < 0:
        raise corrupt("no end of central directory record (not a zip archive, or truncated)")
    _, disk, cd_disk, _, count, size, offset, comment = _EOCD.unpack_from(tail, found)
    end_at = file_size - tail_len + found
    trailing = len(tail) - (found + _EOCD.size + comment)
    if disk or cd_disk:
        raise corrupt("a multi-volume zip archive")
    cd_end = end_at
    if end_at >= _LOC64.size + _EOCD64.size:
        fp.seek(end_at - _LOC64.size)
        locator = fp.read(_LOC64.size)
        if locator[:4] == b"PK\x06\x07":
            _, _, rec_offset, _ = _LOC64.unpack(locator)
            cd_end = end_at - _LOC64.size - _EOCD64.size
            fp.seek(cd_end)
            record = fp.read(_EOCD64.size)
            if record[:4] != b"PK\x06\x06":
                fp.seek(rec_offset)  # a zip64 record with extensible data: trust its offset
                record, cd_end = fp.read(_EOCD64.size), rec_offset
            if len(record) < _EOCD64.size or record[:4] != b"PK\x06\x06":
                raise corrupt("a zip64 end of central directory record is missing")
            count, size, offset = _EOCD64.unpack(record)[7:10]
    shift = cd_end - size - offset
    if shift < 0:
        raise corrupt("the central directory does not fit where the end record says")
    return Directory(count, offset + shift, size, shift, trailing)


def _decode(raw: bytes, flags: int) -> str:
    if flags & 0x800:
        return raw.decode("utf-8", "surrogateescape")
    try:
        # Info-ZIP on Unix writes UTF-8 without setting the flag; cp437 is the old rule
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp437")


def _zip64(extra: bytes, sizes: list[int]) -> list[int]:
    """Apply the zip64 extra field to [file_size, compress_size, header_offset]."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<2H", extra, pos)
        body = extra[pos + 4:pos + 4 + length]
        if len(body) < length:
            raise corrupt("a truncated extra field in the central directory")
        if tag == 1:
            at = 0
            for i, value in enumerate(sizes):
                if value == _FULL32:
                    if at + 8 > len(body):
                        raise corrupt("a truncated zip64 extra field")
                    sizes[i] = struct.unpack_from("<Q", body, at)[0]
                    at += 8
            return sizes
        pos += 4 + length
    return sizes


def iter_central(fp: BinaryIO, directory: Directory) -> Iterator[Central]:
    """Yield the central directory records one at a time (``fp`` reads sequentially)."""
    fp.seek(directory.start)
    used = 0
    for _ in range(directory.count):
        record = fp.read(_CENTRAL.size)
        if len(record) < _CENTRAL.size or record[:4] != b"PK\x01\x02":
            raise corrupt("the central directory is truncated or corrupt")
        (_, _, system, _, _, flags, method, _, _, crc, csize, fsize, name_len, extra_len,
         comment_len, _, _, external, offset) = _CENTRAL.unpack(record)
        raw_name = fp.read(name_len)
        extra = fp.read(extra_len)
        skipped = len(fp.read(comment_len))
        used += _CENTRAL.size + len(raw_name) + len(extra) + skipped
        if used > directory.size or len(raw_name) + len(extra) + skipped \
                < name_len + extra_len + comment_len:
            raise corrupt("the central directory is larger than the end record says")
        fsize, csize, offset = _zip64(extra, [fsize, csize, offset])
        yield Central(raw_name, _decode(raw_name, flags), system, flags, method, crc, csize,
                      fsize, external, offset + directory.shift, len(extra))
    if used != directory.size:
        raise corrupt("the central directory holds more than its entry count says")
