"""Cases of packaging.md: canonical archives are valid, and so are departures from the form."""

from __future__ import annotations

import gzip
import io
import json
import random
import tarfile

from bases import full
from registry import Expect, case
from rexgen import Export, Member, tar_bytes, tar_of, zip_bytes


def _canonical() -> Export:
    """The full export as a canonical producer writes it: sorted layout, 0755 for scripts."""
    e = full()
    e.raw_manifest = (json.dumps(e.m, indent=2, sort_keys=True, ensure_ascii=False)
                      + "\n").encode()
    return e


def _canonical_members(e: Export) -> list[Member]:
    members = e.members()
    for member in members:
        if member.name.endswith(".sh"):
            member.mode = 0o755
    return members


@case("valid", "packaging", "canonical-tar", "a canonical pax tar", ["PKG-01", "PKG-02",
                                                                     "PKG-04", "PKG-05",
                                                                     "PKG-06", "PKG-07",
                                                                     "PKG-08", "PKG-11"])
def _tar(x: Expect) -> dict[str, bytes]:
    """The full export plus data/café.csv, as a canonical pax tar with a sorted manifest and 0755
    for scripts; re-sealed."""
    e = _canonical()
    e.add("data/caf\u00e9.csv", b"a,b\n", "text/csv", "data")
    e.index().seal()
    e.raw_manifest = (json.dumps(e.m, indent=2, sort_keys=True, ensure_ascii=False)
                      + "\n").encode()
    return {"export.tar": tar_bytes(_canonical_members(e), fmt=tarfile.PAX_FORMAT)}


@case("valid", "packaging", "canonical-tar-gz", "a canonical tar.gz: level 6, fixed header",
      ["PKG-09"])
def _targz(x: Expect) -> dict[str, bytes]:
    """The full export as a canonical tar.gz: pax tar, gzip level 6, the fixed ten-byte header."""
    e = _canonical()
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=6) as gz:
        gz.write(tar_bytes(_canonical_members(e), fmt=tarfile.PAX_FORMAT))
    data = buffer.getvalue()
    assert data[:10] == bytes.fromhex("1f8b08000000000000ff")
    return {"export.tar.gz": data}


@case("valid", "packaging", "canonical-zip", "a canonical zip: deflated, no extra fields",
      ["PKG-10"])
def _zip(x: Expect) -> dict[str, bytes]:
    """The full export as a canonical deflated zip, with a sorted manifest and 0755 for scripts."""
    return {"export.zip": zip_bytes(_canonical_members(_canonical()), deflate=True)}


@case("valid", "packaging", "unsorted-files", "files[] in no particular order is still valid",
      ["PKG-03"])
def _unsorted(x: Expect) -> Export:
    """The full export with files[] shuffled; re-sealed."""
    e = full()
    random.Random(7).shuffle(e.m["files"])
    return e.seal()


@case("valid", "packaging", "non-canonical-tar", "a tar far from the canonical form",
      ["PKG-04", "PKG-08", "EXP-01"])
def _non_canonical(x: Expect) -> dict[str, bytes]:
    """The full export as a GNU tar with ./ names and directories, members reversed (rex.json
    last), modes 0777 and 0700."""
    e = full()
    members = e.members(prefix="./", directories=True)
    members.reverse()  # rex.json last, directories after their files
    for member in members:
        member.mode = 0o777 if member.kind == "file" else 0o700
    return {"export.tar": tar_bytes(members, fmt=tarfile.GNU_FORMAT)}


@case("valid", "packaging", "manifest-layout-free", "a manifest on one line, unsorted",
      ["PKG-02", "DIG-03"])
def _layout(x: Expect) -> dict[str, bytes]:
    """The full export as a tar whose rex.json is one line, members in insertion order."""
    e = full()
    e.raw_manifest = json.dumps(e.m, separators=(",", ":")).encode()
    return {"export.tar": tar_of(e)}
