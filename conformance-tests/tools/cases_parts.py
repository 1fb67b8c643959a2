"""Cases of digests.md DIG-05: sha256-parts, the SHA-256 of each part of a file, added in 1.1;
and a manifest that states 1.0, which does not define them (VER-02)."""

from __future__ import annotations

from typing import Any

from bases import full
from registry import Expect, case
from rexgen import Export, digest, tar_of

# 2,500 bytes in parts of 1,000: three parts, the last of 500 bytes
DATA = bytes(range(250)) * 10
PART = 1000


def _parts(data: bytes, part_size: int) -> dict[str, Any]:
    return {"part_size": part_size,
            "digests": [digest(data[i:i + part_size]) for i in range(0, len(data), part_size)]
            or [digest(b"")]}


def _with_parts(parts: dict[str, Any] | None = None, version: str = "1.1"
                ) -> tuple[Export, int]:
    e = full()
    e.m["rex_version"] = version
    e.add("data/table.bin", DATA, "application/octet-stream", "data")
    e.index()
    n = e.idx("data/table.bin")
    e.m["files"][n]["digests"]["sha256-parts"] = parts or _parts(DATA, PART)
    return e, n


@case("valid", "digests", "sha256-parts", "a file with the digests of its three parts",
      ["DIG-05"])
def _valid(x: Expect) -> Export:
    """The full export, rex_version 1.1, plus data/table.bin (2,500 bytes) whose digest set has
    sha256-parts of 1,000 bytes: three parts, the last of 500; re-sealed."""
    e, _ = _with_parts()
    x.never("REX-I102")
    x.never("REX-S102")
    return e.seal()


@case("valid", "digests", "sha256-parts-empty-file", "an empty file has one, empty, part",
      ["DIG-05"])
def _empty(x: Expect) -> Export:
    """The full export, rex_version 1.1, plus data/empty.bin, an empty file whose sha256-parts
    hold one part, the SHA-256 of no bytes; re-sealed."""
    e = full()
    e.m["rex_version"] = "1.1"
    e.add("data/empty.bin", b"", "application/octet-stream", "data")
    e.index()
    e.m["files"][e.idx("data/empty.bin")]["digests"]["sha256-parts"] = _parts(b"", 1000)
    return e.seal()


@case("invalid", "digests", "sha256-parts-mismatch", "the second of three parts differs",
      ["DIG-05"])
def _mismatch(x: Expect) -> Export:
    """As sha256-parts, with the digest of the second part replaced; re-sealed."""
    parts = _parts(DATA, PART)
    parts["digests"][1] = digest(b"another part")
    e, n = _with_parts(parts)
    x.find("REX-I102", f"/files/{n}/digests/sha256-parts/digests/1")
    x.never("REX-I101")
    return e.seal()


@case("invalid", "digests", "sha256-parts-mismatch-tar", "a part differs, in a tar",
      ["DIG-05", "EXP-01"])
def _mismatch_tar(x: Expect) -> dict[str, bytes]:
    """As sha256-parts, with the digest of the third part replaced; re-sealed, as a tar."""
    parts = _parts(DATA, PART)
    parts["digests"][2] = digest(b"another part")
    e, n = _with_parts(parts)
    x.find("REX-I102", f"/files/{n}/digests/sha256-parts/digests/2")
    return {"export.tar": tar_of(e.seal())}


@case("invalid", "digests", "sha256-parts-count", "two parts listed for a file of three",
      ["DIG-05"])
def _count(x: Expect) -> Export:
    """As sha256-parts, with the last part's digest removed: two parts for a file of three."""
    parts = _parts(DATA, PART)
    parts["digests"].pop()
    e, n = _with_parts(parts)
    x.find("REX-I102", f"/files/{n}/digests/sha256-parts")
    return e.seal()


@case("invalid", "digests", "sha256-parts-zero-size", "a part size of zero", ["DIG-05"])
def _zero(x: Expect) -> Export:
    """As sha256-parts, with part_size 0 and the whole file's digest as the only part."""
    e, n = _with_parts({"part_size": 0, "digests": [digest(DATA)]})
    x.find("REX-S101", f"/files/{n}/digests/sha256-parts/part_size")
    return e.seal()


# --- a manifest that states 1.0 (VER-02, VER-06) ---------------------------------------------


@case("invalid", "versioning", "sha256-parts-in-1-0-strict",
      "sha256-parts in a 1.0 manifest, under --strict", ["VER-02", "VER-04", "VER-06", "DIG-05"],
      strict=True)
def _parts_in_1_0(x: Expect) -> Export:
    """As sha256-parts, with rex_version 1.0, which does not define sha256-parts; re-sealed."""
    e, n = _with_parts(version="1.0")
    x.find("REX-S102", f"/files/{n}/digests/sha256-parts")
    x.never("REX-I102")
    return e.seal()


@case("valid", "versioning", "sha256-parts-in-1-0-not-verified",
      "a 1.0 manifest's sha256-parts are never verified", ["VER-02", "VER-04", "DIG-05"])
def _parts_in_1_0_unverified(x: Expect) -> Export:
    """As sha256-parts-mismatch (the second part's digest replaced), with rex_version 1.0, which
    does not define sha256-parts; re-sealed."""
    parts = _parts(DATA, PART)
    parts["digests"][1] = digest(b"another part")
    e, _ = _with_parts(parts, version="1.0")
    x.never("REX-I102")
    x.never("REX-S102")
    return e.seal()
