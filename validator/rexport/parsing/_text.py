"""Shared by the JSON and YAML loaders: UTF-8 decoding with findings, places, caps."""

from __future__ import annotations

from rexport.findings import Finding

# Hostile input can hold a million duplicate keys; the report keeps the first ones and a count.
MAX_PER_CODE = 1000
# Python refuses to convert longer digit strings (CVE-2020-10735); refuse them ourselves first.
INT_DIGITS = 4300
BOM = b"\xef\xbb\xbf"
_WIDE_BOMS = (b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff")


def too_large(size: int, max_bytes: int, file: str) -> Finding | None:
    """P107 when ``size`` exceeds ``max_bytes``."""
    if size <= max_bytes:
        return None
    return Finding.of("REX-P107", f"{size} bytes, more than the cap of {max_bytes}", file=file)


def decode_utf8(data: bytes, *, file: str) -> tuple[str | None, list[Finding]]:
    """Decode ``data`` as UTF-8: a UTF-8 byte order mark gives P102 and is skipped; other byte
    order marks give P102 and invalid UTF-8 gives P103 (with line and column), with text None."""
    if data.startswith(BOM):
        found = [Finding.of("REX-P102", "the file starts with a UTF-8 byte order mark",
                            file=file, line=1, column=1)]
        data = data[3:]
    elif data.startswith(_WIDE_BOMS):
        return None, [Finding.of("REX-P102", "the file starts with a UTF-16 or UTF-32 byte order "
                                 "mark; only UTF-8 is accepted", file=file, line=1, column=1)]
    else:
        found = []
    try:
        return data.decode("utf-8"), found
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8", "replace")) + 1
        found.append(Finding.of(
            "REX-P103", f"invalid UTF-8 byte 0x{data[exc.start]:02x} ({exc.reason})", file=file,
            line=data.count(b"\n", 0, exc.start) + 1, column=column))
        return None, found


def place(text: str, offset: int) -> tuple[int | None, int | None]:
    if offset < 0:
        return None, None
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1
