"""The tar header formats (ustar, GNU, pax) decoded from bytes, refusing what does not parse."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from operator import methodcaller
from zlib import adler32

from rexport.sources.base import corrupt

BLOCK = 512
ZERO_BLOCK = bytes(BLOCK)
MAX_EXTENDED = 1 << 20  # a pax or GNU long-name header larger than this is refused unread

_DIGITS = re.compile(rb"[0-9]{1,19}")
_OCTAL = re.compile(rb"[0-7]{11}\0")  # a size field as every current tool writes it
_SPARSE = methodcaller("startswith", "GNU.sparse.")  # pax keys of a sparse file's map
_NAMING = frozenset({"path", "size"})  # the pax keys that change what a header says
# pax keys that, in a global header, would rename, resize, relink or re-read every member
# after it in the extractors that apply global headers (GNU tar, Python's tarfile)
_IDENTITY = frozenset({"path", "linkpath", "size", "hdrcharset"})

# typeflag -> kind; types that carry data are listed in _WITH_DATA
_KINDS = {b"0": "file", b"\0": "file", b"7": "file", b"1": "hardlink", b"2": "symlink",
          b"3": "device", b"4": "device", b"5": "dir", b"6": "fifo", b"D": "dir"}
# Link, directory, device and FIFO headers carry no data whatever their size field says
# (as Python's tarfile reads them); every other type, known or not, is followed by its size.
_NO_DATA = frozenset({b"1", b"2", b"3", b"4", b"5", b"6"})
EXTENDED = frozenset({b"x", b"g", b"L", b"K", b"X"})


@dataclass(slots=True)
class Header:
    """One decoded header block: name, type, kind and the size of the data that follows."""

    name: str
    typeflag: bytes
    kind: str
    size: int
    data_size: int


def number(field: bytes) -> int:
    """Decode a numeric field: octal text, or GNU base-256 when the top bit is set."""
    if field and field[0] & 0x80:
        if field[0] == 0xFF:
            raise corrupt("a negative number in a tar header")
        return int.from_bytes(bytes([field[0] & 0x7F]) + field[1:], "big")
    text = field.split(b"\0", 1)[0].strip(b" ")
    if not text:
        return 0
    # int() alone would also take "+7", "0o7" and "1_0"; only octal digits are a number here
    if text.translate(None, b"01234567"):
        raise corrupt("a malformed number in a tar header")
    return int(text, 8)


def _text(raw: bytes) -> str:
    # POSIX leaves names as bytes; UTF-8 is what every current tool writes, and an
    # undecodable byte is kept (surrogateescape) so that the path rules can refuse it
    return raw.decode("utf-8", "surrogateescape")


def _signed_checksum_ok(block: bytes, field: bytes, expected: int) -> bool:
    # some old tools summed signed chars
    signed = sum(b - 256 if b > 127 else b for b in block)
    signed -= sum(b - 256 if b > 127 else b for b in field)
    return signed + 8 * 32 == expected


# name, size, checksum, typeflag, magic, prefix: the fields a header is judged by
_FIELDS = struct.Struct("100s24x12s12x8sc100x6s82x155s12x")


def header_fields(block: bytes) -> tuple[bytes, bytes, int]:
    """(name, typeflag, size field) of one 512-byte header block, as stored; raise
    ContainerError(REX-X118) when it is corrupt."""
    name, size_field, checksum, typeflag, magic, prefix = _FIELDS.unpack(block)
    # The checksum is the byte sum with its own field read as eight spaces. adler32's low
    # half is the byte sum modulo 65521, exact on 256 bytes or fewer: a C loop where sum()
    # would be a Python one, and this runs at least once for every member of an archive.
    total = ((adler32(block[:256], 0) & 0xFFFF) + (adler32(block[256:], 0) & 0xFFFF)
             - (adler32(checksum, 0) & 0xFFFF) + 8 * 32)
    if checksum != b"%06o\0 " % total:  # the field as every current tool writes it
        expected = number(checksum)
        if total != expected and not _signed_checksum_ok(block, checksum, expected):
            raise corrupt("a tar header checksum does not match (not a tar archive, or "
                          "corrupt)")
    name = name.split(b"\0", 1)[0]
    if magic == b"ustar\0":  # POSIX ustar: a prefix may hold the leading part
        prefix = prefix.split(b"\0", 1)[0]
        if prefix:
            name = prefix + b"/" + name
    # the common form at once: a function call less for each of an archive's headers
    return name, typeflag, int(size_field[:11], 8) if _OCTAL.fullmatch(size_field) \
        else number(size_field)


def make_header(name: bytes, typeflag: bytes, size: int) -> Header:
    """The Header of a member from its stored name, typeflag and size field."""
    kind = _KINDS.get(typeflag, "other")
    text = _text(name)
    if typeflag == b"\0" and text.endswith("/"):
        kind = "dir"  # pre-POSIX archives mark directories by the trailing slash only
    data_size = 0 if typeflag in _NO_DATA else size
    return Header(text, typeflag, kind, size if kind == "file" else 0, data_size)


def parse_header(block: bytes) -> Header:
    """Decode one 512-byte header block; raise ContainerError(REX-X118) when it is corrupt."""
    return make_header(*header_fields(block))


def parse_pax(data: bytes) -> dict[str, bytes]:
    """Decode pax extended header records ("%d %s=%s\\n"); raise ContainerError when malformed."""
    out: dict[str, bytes] = {}
    pos = 0
    end = len(data)
    while pos < end:
        if data[pos] == 0:  # NUL padding after the last record
            break
        space = data.find(b" ", pos, pos + 20)
        digits = data[pos:space] if space > pos else b""
        if not digits.isdigit():  # ASCII digits only, 1 to 19 of them (find's bound)
            raise corrupt("a malformed pax extended header record")
        length = int(digits)
        stop = pos + length
        if length <= space - pos + 1 or stop > end or data[stop - 1] != 0x0A:
            raise corrupt("a malformed pax extended header record")
        key, eq, value = data[space + 1:stop - 1].partition(b"=")
        if not eq:
            raise corrupt("a pax extended header record without '='")
        out[key.decode("utf-8", "surrogateescape")] = value
        pos = stop
    return out


def apply_extended(header: Header, pax: dict[str, bytes], long_name: bytes | None) -> Header:
    """Return ``header`` with its name and size taken from pax records or a GNU long name."""
    if long_name is None and not pax.keys() & _NAMING and not any(map(_SPARSE, pax)):
        return header  # times, owners and the like: nothing a validator reads
    name = header.name
    if long_name is not None:
        name = _text(long_name.rstrip(b"\0"))  # GNU ends the name with NUL; inner ones stay
    if "path" in pax:
        name = _text(pax["path"])
    kind = header.kind
    if header.typeflag == b"S" or any(map(_SPARSE, pax)):
        kind = "other"  # a sparse file's data is a map, not its content
    data_size = header.data_size
    if "size" in pax and header.typeflag not in _NO_DATA:
        raw = pax["size"]
        if _DIGITS.fullmatch(raw) is None:
            raise corrupt("a malformed pax size record")
        data_size = int(raw)
    if kind == "dir" or (header.typeflag == b"\0" and name.endswith("/")):
        kind = "dir"
    size = data_size if kind == "file" else 0
    return Header(name, header.typeflag, kind, size, data_size)


def identity_keys(records: dict[str, bytes]) -> list[str]:
    """The keys of pax ``records`` that change a member's identity (name, link, size, or how
    names are read): refused in a global header (spec EXP-14)."""
    return sorted(k for k in records if k in _IDENTITY or _SPARSE(k))
