"""The hostile corpus: every safety and parse item, as a directory and as each archive kind."""

from __future__ import annotations

import base64
import json
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.archives import CONTAINERS, Member, gzip_bytes, tar_bytes, tar_header, zip_bytes

from hostile.model import Export, base, manifest, write

ARCHIVES = ("tar", "tar.gz", "zip")
TARS = ("tar", "tar.gz")
# every name a careless extractor could write to; tests check that none appears
EVIL = "rexport-hostile-evil.txt"


@dataclass(frozen=True)
class Case:
    """One hostile export: how to build it and what the validator must say."""

    item: str
    container: str
    codes: tuple[str, ...]  # each must be reported
    make: Callable[[Path], Path] = field(compare=False)
    options: dict[str, Any] = field(default_factory=dict, compare=False)
    exit_code: int = 1
    source_level: bool = True  # the sources and the manifest path check alone find it
    slow: bool = False

    @property
    def id(self) -> str:
        return f"{self.item}-{self.container}"


CASES: list[Case] = []


def _members(item: str, codes: tuple[str, ...], containers: tuple[str, ...],
             *members: Member, extra_paths: tuple[str | tuple[str, bytes], ...] = (),
             slow: bool = False,
             **options: Any) -> None:
    """A case per container: the base export plus ``members``."""
    export = base().plus(*members)
    if extra_paths:
        export = Export(export.members, extra_paths=extra_paths)
    for container in containers:
        CASES.append(Case(item, container, codes,
                          lambda folder, c=container: write(export, c, folder),
                          options=dict(options), slow=slow))


def _raw(item: str, container: str, codes: tuple[str, ...], build: Callable[[Path], Path],
         *, exit_code: int = 1, source_level: bool = True, slow: bool = False,
         **options: Any) -> None:
    CASES.append(Case(item, container, codes, build, options=dict(options),
                      exit_code=exit_code, source_level=source_level, slow=slow))


# -- names ---------------------------------------------------------------------------------
_members("traversal", ("REX-X101",), ARCHIVES, Member("../" + EVIL, b"evil"))
_members("traversal-nested", ("REX-X101",), ARCHIVES,
         Member("code/../../../" + EVIL, b"evil"))
_members("absolute", ("REX-X102",), ARCHIVES, Member("/tmp/" + EVIL, b"evil"))
_members("drive-letter", ("REX-X103",), CONTAINERS, Member("C:" + EVIL, b"evil"))
_members("backslash", ("REX-X104", "REX-X101"), CONTAINERS,
         Member("code\\..\\..\\" + EVIL, b"evil"))
_members("nul-in-name", ("REX-X110",), ARCHIVES, Member("data/a\0.txt", b"x"))
_members("control-in-name", ("REX-X110",), CONTAINERS, Member("data/\x1b[31mred.txt", b"x"))
_members("undecodable-name", ("REX-X110",), ("dir", "tar", "tar.gz"),
         Member(b"data/\xff\xfe.txt", b"x"))
_members("reserved-name", ("REX-X111",), CONTAINERS, Member("data/CON.txt", b"x"),
         Member("data/aux", b"x"))
_members("trailing-dot", ("REX-X111",), CONTAINERS, Member("data/notes.", b"x"))
_members("not-nfc", ("REX-X117",), CONTAINERS, Member("data/cafe\u0301.txt", b"x"))
_members("empty-segment", ("REX-X116",), ARCHIVES, Member("code//extra.py", b"x"))
_members("dot-segment", ("REX-X116",), ARCHIVES, Member("code/./extra.py", b"x"))
_members("overlong-path", ("REX-X119",), CONTAINERS,
         Member("/".join(["data"] + ["x" * 200] * 6 + ["f.txt"]), b"x"))
_members("too-deep", ("REX-X119",), CONTAINERS, Member("/".join(["d"] * 70 + ["f.txt"]), b"x"))
_members("manifest-traversal", ("REX-X101",), CONTAINERS, extra_paths=("../" + EVIL,))
_members("manifest-absolute", ("REX-X102",), CONTAINERS, extra_paths=("/etc/passwd",))

# -- kinds ---------------------------------------------------------------------------------
_members("symlink", ("REX-X105",), CONTAINERS,
         Member("data/passwd", kind="symlink", target="/etc/passwd"),
         extra_paths=("data/passwd",))
_members("symlink-dir", ("REX-X105",), CONTAINERS,
         Member("code/lib", kind="symlink", target="/etc"), extra_paths=("code/lib/passwd",))
_members("hardlink", ("REX-X105",), TARS,
         Member("data/passwd", kind="hardlink", target="/etc/passwd"),
         extra_paths=("data/passwd",))
_members("device", ("REX-X106",), ARCHIVES, Member("data/null", kind="device"),
         extra_paths=("data/null",))
_members("fifo", ("REX-X106",), CONTAINERS, Member("data/pipe", kind="fifo"),
         extra_paths=("data/pipe",))


def _dir_hardlink(folder: Path) -> Path:
    outside = folder / "outside-secret.txt"
    outside.write_bytes(b"secret")
    return write(base().plus(Member("data/secret.txt", kind="hardlink", target=str(outside))),
                 "dir", folder)


_raw("hardlink", "dir", ("REX-X105",), _dir_hardlink)

# -- duplicates and twins ------------------------------------------------------------------
_members("duplicate-member", ("REX-X107",), ARCHIVES, Member("code/train.py", b"evil\n"))
_members("duplicate-manifest", ("REX-X107",), ARCHIVES, Member("rex.json", b"{}"))
_members("case-twin", ("REX-X108",), CONTAINERS, Member("code/TRAIN.py", b"x"))
_members("nfc-twin", ("REX-X109",), CONTAINERS, Member("data/caf\u00e9.txt", b"x"),
         Member("data/cafe\u0301.txt", b"y"))

# -- caps ----------------------------------------------------------------------------------
_members("entry-cap", ("REX-X113",), CONTAINERS,
         *(Member(f"data/f{i:03d}.txt", b"x") for i in range(40)), max_files=20)
_members("size-cap", ("REX-X114",), CONTAINERS, Member("data/big.bin", b"b" * 8192),
         max_bytes=4096)
_members("bomb", ("REX-X115",), ("tar.gz", "zip"), Member("data/zeros.bin", bytes(16 << 20)))


def _big_bomb(folder: Path) -> Path:
    export = base().plus(Member("data/zeros.bin", bytes(100 << 20)))
    path = folder / "export.tar.gz"
    path.write_bytes(gzip_bytes(tar_bytes(export), level=9))
    return path


_raw("bomb-100MiB", "tar.gz", ("REX-X115",), _big_bomb, slow=True)


# -- archive structure ---------------------------------------------------------------------
def _tar_file(container: str, folder: Path, data: bytes, *, gz_tail: bytes = b"") -> Path:
    path = folder / ("export" + (".tar.gz" if container == "tar.gz" else ".tar"))
    path.write_bytes(gzip_bytes(data) + gz_tail if container == "tar.gz" else data)
    return path


def _cut_tar() -> bytes:
    """The base export with a random member, cut in the middle of that member's data."""
    body = os.urandom(8192)
    data = tar_bytes(base().plus(Member("data/x.bin", body)))
    return data[:data.index(body) + 3000]


def _tar_with(tail: bytes) -> Callable[[str, Path], Path]:
    """The base export's tar with ``tail`` in place of its end-of-archive blocks."""
    def build(container: str, folder: Path) -> Path:
        data = tar_bytes(base()).rstrip(b"\0")
        data += bytes(-len(data) % 512)
        return _tar_file(container, folder, data + tail)
    return build


for _c in TARS:
    _raw("data-after-end", _c, ("REX-X112",),
         lambda f, c=_c: _tar_file(c, f, tar_bytes(base()) + b"#!/bin/sh\nrm -rf /\n"))
    _raw("truncated", _c, ("REX-X118",), lambda f, c=_c: _tar_file(c, f, _cut_tar()))
    _raw("bad-checksum", _c, ("REX-X118",),
         lambda f, c=_c: _tar_file(c, f, b"X" + tar_bytes(base())[1:]))
    _raw("claims-1TB", _c, ("REX-X118",),
         lambda f, c=_c: _tar_with(tar_header(b"data/huge.bin", 10**12) + b"tiny")(c, f))
    _raw("claims-2TiB", _c, ("REX-X114",),
         lambda f, c=_c: _tar_with(tar_header(b"data/huge.bin", 2 << 40) + b"tiny")(c, f))
    _raw("pax-claims-1GB", _c, ("REX-X118",),
         lambda f, c=_c: _tar_with(tar_header(b"././@PaxHeader", 1 << 30, b"x")
                                   + b"30 path=data/x.txt\n")(c, f))
    _raw("not-an-archive", _c, ("REX-X118",), lambda f, c=_c: _tar_file(c, f, os.urandom(5000)))
_raw("data-after-gzip", "tar.gz", ("REX-X112",),
     lambda f: _tar_file("tar.gz", f, tar_bytes(base()), gz_tail=b"PK\x03\x04 not gzip"))
_raw("not-gzip", "tar.gz", ("REX-X118",), lambda f: _write(f / "export.tgz", tar_bytes(base())))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _zip_raw(item: str, codes: tuple[str, ...], change: Callable[[bytes], bytes],
             export: Export | None = None, **options: Any) -> None:
    def build(folder: Path) -> Path:
        return _write(folder / "export.zip", change(zip_bytes(export or base())))
    _raw(item, "zip", codes, build, **options)


def _central(data: bytes) -> tuple[int, int, int]:
    """(offset of the end record, offset of the central directory, its entry count)."""
    end = data.rindex(b"PK\x05\x06")
    count, _, offset = struct.unpack_from("<HLL", data, end + 10)
    return end, offset, count


def _patch_member(data: bytes, name: bytes, fmt_offsets: dict[int, tuple[str, int]]) -> bytes:
    """Patch fields of the local header and central record of member ``name``.

    ``fmt_offsets`` maps a field offset in the local header to (struct format, value); the
    same field sits 4 bytes further in the central record (version made by comes first).
    """
    out = bytearray(data)
    local = out.index(b"PK\x03\x04")
    while out[local + 30:local + 30 + len(name)] != name:
        local = out.index(b"PK\x03\x04", local + 4)
    central = out.index(b"PK\x01\x02")
    while out[central + 46:central + 46 + len(name)] != name:
        central = out.index(b"PK\x01\x02", central + 4)
    for offset, (fmt, value) in fmt_offsets.items():
        struct.pack_into(fmt, out, local + offset, value)
        struct.pack_into(fmt, out, central + offset + 2, value)
    return bytes(out)


# indexed as its first 100 bytes, which is what the patched zip declares: a reader that
# trusts the data rather than the declared size reads more than that
_TEXT = b"line of text\n" * 4000


def _cd_mismatch(data: bytes) -> bytes:
    offset = _central(data)[1]
    name = b"code/train.py"
    at = data.index(b"PK\x01\x02", offset)
    while data[at + 46:at + 46 + len(name)] != name:
        at = data.index(b"PK\x01\x02", at + 4)
    return data[:at + 46] + b"code/TRAIN.py" + data[at + 46 + len(name):]


def _overlap(data: bytes) -> bytes:
    """Give the central directory a second record for the first member: two names, one body."""
    end, offset, count = _central(data)
    first_len = 46 + sum(struct.unpack_from("<3H", data, offset + 28))
    record = bytearray(data[offset:offset + first_len])
    central = data[offset:end] + bytes(record)
    tail = bytearray(data[end:])
    struct.pack_into("<HHL", tail, 8, count + 1, count + 1, len(central))
    return data[:offset] + central + bytes(tail)


_zip_raw("data-after-end", ("REX-X112",), lambda d: d + b"#!/bin/sh\nrm -rf /\n")
_zip_raw("data-before-start", ("REX-X112",), lambda d: b"#!/bin/sh\nexit 0\n" + d)
_zip_raw("truncated", ("REX-X118",), lambda d: d[: len(d) // 2])
_zip_raw("not-an-archive", ("REX-X118",), lambda d: os.urandom(5000))
_zip_raw("central-local-mismatch", ("REX-X118",), _cd_mismatch)
_zip_raw("overlapping-members", ("REX-X118",), _overlap)
_zip_raw("encrypted", ("REX-X118",),
         lambda d: _patch_member(d, b"code/train.py", {6: ("<H", 0x0001)}))
_zip_raw("unsupported-method", ("REX-X118",),
         lambda d: _patch_member(d, b"code/train.py", {8: ("<H", 99)}))
_zip_raw("inflates-beyond-declared", ("REX-X118",),
         lambda d: _patch_member(d, b"data/big.txt", {22: ("<L", 100)}),
         export=Export(base().plus(Member("data/big.txt", _TEXT, listed=False)).members,
                       extra_paths=(("data/big.txt", _TEXT[:100]),)))
_zip_raw("claims-65535-entries", ("REX-X113",),
         lambda d: d[:_central(d)[0] + 8] + struct.pack("<HH", 0xFFFF, 0xFFFF)
         + d[_central(d)[0] + 12:], max_files=1000)


# -- unreadable input (exit code 2) ----------------------------------------------------------
def _fifo_input(folder: Path) -> Path:
    path = folder / "export.tar"
    os.mkfifo(path)
    return path


_raw("missing-input", "none", ("REX-U101",), lambda f: f / "no-such-export.zip", exit_code=2)
_raw("fifo-input", "none", ("REX-U102",), _fifo_input, exit_code=2)
_raw("unknown-input", "none", ("REX-U102",),
     lambda f: _write(f / "export.bin", b"\x00\x01binary" * 100), exit_code=2)


# -- parse -----------------------------------------------------------------------------------
def _manifest_text() -> bytes:
    return json.dumps(manifest(base()), indent=1).encode()


def _parse(item: str, codes: tuple[str, ...], *, raw: Callable[[], bytes] | None = None,
           config: bytes | None = None, containers: tuple[str, ...] = CONTAINERS,
           slow: bool = False) -> None:
    members = base().members
    if config is not None:
        members = (members[0], Member("config/config.yaml", config))
    export = Export(members)
    for container in containers:
        def build(folder: Path, c: str = container) -> Path:
            chosen = Export(export.members, manifest_raw=raw() if raw else None)
            return write(chosen, c, folder)
        CASES.append(Case(item, container, codes, build, source_level=False, slow=slow))


def _huge() -> bytes:
    """A manifest over the 128 MiB cap (random text: a compressed copy stays large too)."""
    return b'{"x": "' + base64.b64encode(os.urandom(97 << 20)) + b'"}'


def _deep() -> bytes:
    doc = manifest(base())
    doc["x-deep"] = json.loads("[" * 100 + "]" * 100)
    return json.dumps(doc).encode()


_parse("invalid-json", ("REX-P101",), raw=lambda: _manifest_text()[:-40])
_parse("bom", ("REX-P102",), raw=lambda: b"\xef\xbb\xbf" + _manifest_text())
_parse("invalid-utf8", ("REX-P103",),
       raw=lambda: _manifest_text().replace(b'"x86_64"', b'"x86\xff64"'))
_parse("duplicate-key", ("REX-P104",),
       raw=lambda: b'{"title": "a", "title": "b",' + _manifest_text()[1:])
_parse("nan", ("REX-P105",), raw=lambda: _manifest_text().replace(b'"value": 0.9', b'"value": NaN'))
_parse("deep-nesting", ("REX-P106",), raw=_deep)
_parse("not-an-object", ("REX-P108",), raw=lambda: b"[1, 2, 3]")
_parse("huge-manifest", ("REX-P107",), raw=_huge, containers=("dir", "tar"), slow=True)
_parse("invalid-yaml", ("REX-P201",), config=b"lr: [0.1, 0.2\nepochs: {3\n")
_parse("yaml-alias", ("REX-P202",), config=b"base: &b {lr: 0.1}\nrun: *b\n")
_parse("yaml-tag", ("REX-P203",),
       config=b"lr: !!python/object/apply:os.system ['touch " + EVIL.encode() + b"']\n")
_parse("yaml-duplicate-key", ("REX-P204",), config=b"lr: 0.1\nlr: 0.2\n")

# the cases aimed at the checks (schema, formats, pax global headers) register themselves
import hostile.cases_checks  # noqa: E402, F401

IDS = [case.id for case in CASES]
assert len(set(IDS)) == len(IDS), "case ids must be unique"
