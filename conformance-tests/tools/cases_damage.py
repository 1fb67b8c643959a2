"""Cases of damaged archives (EXP-11) and of the caps every export stays within (EXP-04)."""

from __future__ import annotations

import struct
import zlib

from bases import full, minimal
from registry import Expect, case
from rexgen import Export, gzip_bytes, tar_of, zip_bytes, zip_of

# --- damage (EXP-11) -------------------------------------------------------------------------


def _headers(data: bytearray, name: bytes) -> list[tuple[int, int]]:
    """(offset, offset of the CRC-32 field) of the local and central headers naming ``name``."""
    found = []
    for signature, length_at, name_at, crc_at in ((b"PK\x03\x04", 26, 30, 14),
                                                  (b"PK\x01\x02", 28, 46, 16)):
        at = data.find(signature)
        while at >= 0:
            length = struct.unpack("<H", data[at + length_at:at + length_at + 2])[0]
            if data[at + name_at:at + name_at + length] == name:
                found.append((at, crc_at))
            at = data.find(signature, at + 4)
    return found


@case("invalid", "archives", "tar-trailing-data", "bytes after the tar end-of-archive marker",
      ["EXP-11"])
def _tar_trailing(x: Expect) -> dict[str, bytes]:
    """The minimal export as a tar followed by the bytes `garbage`."""
    x.find("REX-X112", "", "export.tar")
    return {"export.tar": tar_of(minimal()) + b"garbage"}


@case("invalid", "archives", "zip-trailing-data", "bytes after the zip end of central directory",
      ["EXP-11"])
def _zip_trailing(x: Expect) -> dict[str, bytes]:
    """The minimal export as a zip followed by the bytes `garbage`."""
    x.find("REX-X112", "", "export.zip")
    return {"export.zip": zip_of(minimal()) + b"garbage"}


@case("invalid", "archives", "gzip-trailing-data", "bytes after the last gzip member",
      ["EXP-11"])
def _gz_trailing(x: Expect) -> dict[str, bytes]:
    """The minimal export as a tar.gz followed by the bytes `garbage`."""
    x.find("REX-X112", "", "export.tar.gz")
    return {"export.tar.gz": gzip_bytes(tar_of(minimal())) + b"garbage"}


@case("invalid", "archives", "tar-truncated", "a tar cut short inside a member", ["EXP-11"],
      schema_valid=None)  # the cut falls inside rex.json itself
def _tar_cut(x: Expect) -> dict[str, bytes]:
    """The full export as a tar cut after its first 3,000 bytes, inside rex.json."""
    x.find("REX-X118", "")
    _manifest_damaged(x)
    data = tar_of(full())
    return {"export.tar": data[:3000]}


def _manifest_damaged(x: Expect) -> None:
    """What EXP-11 lets a validator add when the damage reaches rex.json: missing or unparsable."""
    x.may_also("REX-C101", "", "rex.json")
    x.may_also("REX-P101", "", "rex.json")


def _member_damaged(x: Expect, n: int) -> None:
    """What EXP-11 lets a validator add for files[n] when damage reaches its member: missing, or
    read with other bytes."""
    x.may_also("REX-C102", f"/files/{n}/path", "rex.json")
    x.may_also("REX-I101", f"/files/{n}/size", "rex.json")
    x.may_also("REX-I102", f"/files/{n}/digests/sha256", "rex.json")


def _without_end(export: Export, zero_blocks: int) -> bytes:
    """The export as a tar cut after its last member's data and ``zero_blocks`` zero blocks."""
    data = tar_of(export)
    end = len(data)
    while data[end - 512:end] == bytes(512):
        end -= 512
    return data[:end + 512 * zero_blocks]


@case("invalid", "archives", "tar-no-end-marker", "a tar that ends right after its last member",
      ["EXP-11"])
def _tar_no_end(x: Expect) -> dict[str, bytes]:
    """The minimal export as a tar without its end-of-archive marker and padding."""
    x.find("REX-X118", "", "export.tar")
    return {"export.tar": _without_end(minimal(), 0)}


@case("valid", "archives", "tar-one-zero-block", "a tar that ends after one zero block is "
      "complete", ["EXP-11"])
def _tar_one_block(x: Expect) -> dict[str, bytes]:
    """The minimal export as a tar cut after the first of the two blocks of its end-of-archive
    marker."""
    return {"export.tar": _without_end(minimal(), 1)}


@case("valid", "archives", "tar-end-marker-unpadded", "two zero blocks end a tar, with no "
      "padding to 10,240 bytes", ["EXP-11", "EXP-13"])
def _tar_unpadded(x: Expect) -> dict[str, bytes]:
    """The minimal export as a tar that ends with the two zero blocks of its end-of-archive
    marker, without the padding to a record of 10,240 bytes."""
    return {"export.tar": _without_end(minimal(), 2)}


@case("invalid", "archives", "tar-bad-checksum", "a tar header with a wrong checksum",
      ["EXP-11", "VAL-06"])
def _tar_checksum(x: Expect) -> dict[str, bytes]:
    """The minimal export as a tar whose second member header has its checksum field overwritten."""
    x.find("REX-X118", "", "export.tar")  # the member is unknown: the archive is named
    e = minimal()
    data = bytearray(tar_of(e))
    second = 512 + (len(e.manifest_bytes()) + 511) // 512 * 512  # header of the second member
    data[second + 148:second + 156] = b"000000\x00 "
    _member_damaged(x, e.idx("code/train.py"))
    return {"export.tar": bytes(data)}


@case("invalid", "archives", "gzip-truncated", "a gzip stream cut short", ["EXP-11"],
      schema_valid=None)  # the cut may fall inside rex.json itself
def _gz_cut(x: Expect) -> dict[str, bytes]:
    """The full export as a tar.gz cut to half its length."""
    x.find("REX-X118", "", "export.tar.gz")
    _manifest_damaged(x)
    data = gzip_bytes(tar_of(full()))
    return {"export.tar.gz": data[: len(data) // 2]}


@case("invalid", "archives", "gzip-bad-crc", "a gzip trailer whose CRC-32 does not match",
      ["EXP-11", "VAL-06", "VAL-11"])
def _gz_crc(x: Expect) -> dict[str, bytes]:
    """The minimal export as a tar.gz whose trailer CRC-32 is raised by one."""
    x.find("REX-X118", "", "export.tar.gz")  # gzip damage concerns no member
    _manifest_damaged(x)  # the trailer comes last: every member was read from a damaged stream
    data = bytearray(gzip_bytes(tar_of(minimal())))
    data[-8:-4] = struct.pack("<I", (struct.unpack("<I", data[-8:-4])[0] + 1) & 0xFFFFFFFF)
    return {"export.tar.gz": bytes(data)}


@case("invalid", "archives", "zip-bad-crc", "a zip member whose CRC-32 does not match",
      ["EXP-11"])
def _zip_crc(x: Expect) -> dict[str, bytes]:
    """The minimal export as a zip with the CRC-32 of code/train.py changed in both of its
    headers."""
    x.find("REX-X118", "")
    e = minimal()
    _member_damaged(x, e.idx("code/train.py"))
    data = bytearray(zip_bytes(e.members()))
    good = struct.pack("<I", zlib.crc32(e.files["code/train.py"]))
    bad = struct.pack("<I", zlib.crc32(e.files["code/train.py"]) ^ 1)
    for offset, crc_at in _headers(data, b"code/train.py"):
        assert data[offset + crc_at:offset + crc_at + 4] == good
        data[offset + crc_at:offset + crc_at + 4] = bad
    return {"export.zip": bytes(data)}


@case("invalid", "archives", "zip-name-mismatch", "a local header names another path than the "
      "directory", ["EXP-11"])
def _zip_names(x: Expect) -> dict[str, bytes]:
    """The minimal export as a zip whose local header of code/train.py names code/trick.py
    instead."""
    x.find("REX-X118", "")
    _member_damaged(x, minimal().idx("code/train.py"))
    data = bytearray(zip_bytes(minimal().members()))
    local = next(offset for offset, crc_at in _headers(data, b"code/train.py") if crc_at == 14)
    data[local + 30:local + 43] = b"code/trick.py"
    return {"export.zip": bytes(data)}


@case("invalid", "archives", "zip-unsupported-method",
      "a zip member with compression method 42, which no zip defines", ["EXP-11"])
def _zip_unknown_method(x: Expect) -> dict[str, bytes]:
    """The minimal export as a zip whose code/train.py claims compression method 42 in both
    headers."""
    # bzip2 and LZMA MAY be supported (EXP-11), so only a method no validator can know
    # (APPNOTE assigns none as 42) must be refused by every one
    x.find("REX-X118", "", "code/train.py")
    _member_damaged(x, minimal().idx("code/train.py"))
    data = bytearray(zip_bytes(minimal().members()))
    for at, crc_at in _headers(data, b"code/train.py"):
        method_at = at + crc_at - 6  # local header: 8, central directory entry: 10
        data[method_at:method_at + 2] = struct.pack("<H", 42)
    return {"export.zip": bytes(data)}


@case("invalid", "archives", "zip-encrypted", "a zip member flagged as encrypted", ["EXP-11"])
def _zip_encrypted(x: Expect) -> dict[str, bytes]:
    """The minimal export as a zip whose every member has the encrypted flag (bit 0) set."""
    x.find("REX-X118", "")
    _manifest_damaged(x)
    data = bytearray(zip_bytes(minimal().members()))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at >= 0:
            data[at + offset] |= 1  # general purpose bit 0: encrypted
            at = data.find(signature, at + 4)
    return {"export.zip": bytes(data)}


# --- caps (EXP-04) ---------------------------------------------------------------------------


@case("invalid", "limits", "too-many-entries", "more entries than --max-files",
      ["EXP-04", "VAL-10"], args=["--max-files", "3"])
def _many(x: Expect) -> dict[str, bytes]:
    """The full export as a tar, unchanged; the entry cap is lowered to 3 by args."""
    x.find("REX-X113", "", "export.tar")
    return {"export.tar": tar_of(full())}


@case("invalid", "limits", "too-many-entries-directory", "a directory with more entries than "
      "--max-files", ["EXP-04", "VAL-06"], args=["--max-files", "3"])
def _many_dir(x: Expect) -> Export:
    """The full export as a directory, unchanged; the entry cap is lowered to 3 by args."""
    x.find("REX-X113", "", "export")  # a cap concerns no member: the directory is named
    return full()


@case("invalid", "limits", "too-large", "more bytes than --max-bytes", ["EXP-04"],
      args=["--max-bytes", "100"])
def _large(x: Expect) -> dict[str, bytes]:
    """The full export as a tar.gz, unchanged; the byte cap is lowered to 100 by args."""
    x.find("REX-X114", "", "export.tar.gz")
    _manifest_damaged(x)  # the cap stops the reading before rex.json may be read
    return {"export.tar.gz": gzip_bytes(tar_of(full()))}


_minimal_size = sum(len(d) for d in minimal().tree().values())


@case("valid", "limits", "at-the-caps", "exactly --max-files entries, within --max-bytes",
      ["EXP-04"], args=["--max-files", "2", "--max-bytes", str(_minimal_size)],
      comment="Two entries (rex.json and code/train.py) and, as the byte cap, their total size.")
def _at_caps(x: Expect) -> dict[str, bytes]:
    """The minimal export as a zip, unchanged; the caps are lowered by args to its own entries and
    bytes."""
    return {"export.zip": zip_of(minimal())}


# rex.json counts toward both caps (EXP-04): one below the counts above is one over a cap

@case("invalid", "limits", "entries-one-over", "one entry more than --max-files, rex.json "
      "counted", ["EXP-04", "IDX-01"], args=["--max-files", "1"],
      comment="Two entries, rex.json and code/train.py, against a cap of one.")
def _entries_over(x: Expect) -> dict[str, bytes]:
    """The minimal export as a zip, unchanged; the entry cap is lowered by args to one below its
    two entries."""
    x.find("REX-X113", "", "export.zip")
    return {"export.zip": zip_of(minimal())}


@case("invalid", "limits", "bytes-one-over", "one byte more than --max-bytes, rex.json counted",
      ["EXP-04", "IDX-01"], args=["--max-bytes", str(_minimal_size - 1)],
      comment="The byte cap is the size of rex.json and code/train.py together, less one.")
def _bytes_over(x: Expect) -> dict[str, bytes]:
    """The minimal export as a zip, unchanged; the byte cap is lowered by args to one below its
    total size."""
    x.find("REX-X114", "", "export.zip")
    return {"export.zip": zip_of(minimal())}


@case("valid", "limits", "at-the-caps-directory", "a directory with exactly --max-files entries "
      "and --max-bytes bytes", ["EXP-04"], args=["--max-files", "3", "--max-bytes",
                                               str(_minimal_size)],
      comment="Three entries: rex.json, the directory code and code/train.py.")
def _at_caps_dir(x: Expect) -> Export:
    """The minimal export as a directory, unchanged; the caps are lowered by args to its own
    entries and bytes."""
    return minimal()


@case("invalid", "limits", "entries-one-over-directory", "a directory with one entry more than "
      "--max-files", ["EXP-04"], args=["--max-files", "2"],
      comment="Three entries: rex.json, the directory code and code/train.py.")
def _entries_over_dir(x: Expect) -> Export:
    """The minimal export as a directory, unchanged; the entry cap is lowered by args to one
    below its three entries."""
    x.find("REX-X113", "", "export")
    return minimal()


@case("invalid", "limits", "bytes-one-over-directory", "a directory with one byte more than "
      "--max-bytes", ["EXP-04"], args=["--max-bytes", str(_minimal_size - 1)])
def _bytes_over_dir(x: Expect) -> Export:
    """The minimal export as a directory, unchanged; the byte cap is lowered by args to one below
    its total size."""
    x.find("REX-X114", "", "export")
    return minimal()


@case("invalid", "limits", "compression-bomb", "a member more than 1,000 times its compressed "
      "size", ["EXP-04"])
def _bomb(x: Expect) -> dict[str, bytes]:
    """The minimal export plus data/zeros.bin, 5 MiB of zero bytes, indexed, as a deflated zip; re-
    sealed."""
    e = minimal()
    e.add("data/zeros.bin", bytes(5 << 20), "application/octet-stream", "data")
    x.find("REX-X115", "", "data/zeros.bin")
    return {"export.zip": zip_of(e.index().seal(), deflate=True)}
