"""Tar, gzip and zip details: header numbers, long names, padding, gzip members, zip64, ratio."""

from __future__ import annotations

import gzip
import io
import os
import random
import tarfile
import zipfile
from pathlib import Path

import pytest
from helpers.archives import Member, gzip_bytes, tar_bytes, tar_header
from helpers.sources import read_all
from hostile.model import Export, base, write
from rexport.sources import open_source
from rexport.sources.base import ContainerError
from rexport.sources.tar_headers import number, parse_header, parse_pax


def put(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("field", "value"), [
    (b"0000644\0", 0o644), (b"     17 ", 0o17), (b"\0" * 12, 0), (b"00000000017\0", 0o17),
    (b"\x80" + (10**12).to_bytes(11, "big"), 10**12),
])
def test_numbers(field: bytes, value: int) -> None:
    assert number(field) == value


@pytest.mark.parametrize("field", [b"0o17\0", b"1_0\0", b"+7\0", b"8\0", b"12x\0",
                                   b"\xff" + b"\xff" * 11])
def test_bad_numbers_are_corrupt(field: bytes) -> None:
    with pytest.raises(ContainerError) as caught:
        number(field)
    assert caught.value.code == "REX-X118"


def test_signed_checksum_is_accepted() -> None:
    block = bytearray(tar_header(b"caf\xc3\xa9.txt", 0))
    block[148:156] = b" " * 8
    signed = sum(b - 256 if b > 127 else b for b in block)
    block[148:156] = b"%06o\0 " % signed
    assert parse_header(bytes(block)).name == "café.txt"


def test_pax_records() -> None:
    assert parse_pax(b"19 path=data/caf\xc3\xa9\n10 size=5\n\0\0") == \
        {"path": b"data/caf\xc3\xa9", "size": b"5"}


@pytest.mark.parametrize("data", [b"5 a=b\n", b"99 path=x\n", b"x path=x\n", b"11 pathx\n\n",
                                  b"10 path=xy", b"-1 p=x\n"])
def test_bad_pax_records_are_corrupt(data: bytes) -> None:
    with pytest.raises(ContainerError):
        parse_pax(data)


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT])
def test_long_names_in_every_tar_format(fmt: int, tmp_path: Path) -> None:
    name = "data/" + "/".join(["segment-" + "x" * 40] * 3) + "/file.csv"  # 150 bytes
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=fmt) as tf:
        info = tarfile.TarInfo(name)
        info.size = 3
        tf.addfile(info, io.BytesIO(b"abc"))
    files, codes = read_all(put(tmp_path, "long.tar", raw.getvalue()))
    assert files == {name: b"abc"} and codes == []


def test_old_style_directory_and_record_padding(tmp_path: Path) -> None:
    data = tar_header(b"old/", 0, b"\0") + tar_header(b"old/a.txt", 2) + b"hi".ljust(512, b"\0")
    data += bytes(1024) + bytes(100 * 1024)  # end blocks and generous zero padding
    with open_source(put(tmp_path, "old.tar", data)) as source:
        kinds = {e.path: e.kind for e in source.entries()}
        assert source.findings == []
    assert kinds == {"old": "dir", "old/a.txt": "file"}


@pytest.mark.parametrize(("tail", "codes"), [
    pytest.param(bytes(512), [], id="lone-zero-block"),  # accepted
    pytest.param(b"", ["REX-X118"], id="no-end-marker"),
    pytest.param(bytes(1024) + b"junk", ["REX-X112"], id="junk"),
    pytest.param(bytes(1024) + bytes(2 << 20), ["REX-X112"], id="padding-beyond-the-look"),
])
def test_what_follows_the_last_member(tail: bytes, codes: list[str], tmp_path: Path) -> None:
    data = tar_header(b"a.txt", 2) + b"hi".ljust(512, b"\0") + tail
    assert read_all(put(tmp_path, "t.tar", data))[1] == codes
    assert read_all(put(tmp_path, "t.tar.gz", gzip_bytes(data)))[1] == codes


def test_gzip_members_concatenated_and_zero_padding(tmp_path: Path) -> None:
    data = tar_bytes(base())
    half = len(data) // 2
    joined = gzip_bytes(data[:half]) + gzip_bytes(data[half:]) + bytes(4096)
    files, codes = read_all(put(tmp_path, "two.tgz", joined))
    assert codes == [] and files["code/train.py"] == base().members[0].data


@pytest.mark.parametrize("where", [-8, -4, 30])  # CRC, size, deflate data
def test_gzip_corruption_is_caught(where: int, tmp_path: Path) -> None:
    body = bytearray(gzip_bytes(tar_bytes(base().plus(Member("x.bin", os.urandom(2000))))))
    body[where] ^= 0x55
    assert "REX-X118" in read_all(put(tmp_path, "bad.tgz", bytes(body)))[1]


def _text(size: int) -> bytes:
    """Log-like text: very repetitive, yet far below the ratio cap."""
    rng = random.Random(7)
    lines = []
    total = 0
    while total < size:
        second, loss = rng.randrange(60), rng.randrange(10**4)
        line = f"2026-01-15 10:00:{second:02d} INFO step {len(lines)} loss=0.{loss:04d}\n"
        lines.append(line)
        total += len(line)
    return "".join(lines).encode()


@pytest.mark.parametrize("container", ["tar.gz", "zip"])
def test_ratio_spares_real_data(container: str, tmp_path: Path) -> None:
    export = base().plus(Member("logs/train.log", _text(6 << 20)),
                         Member("data/zeros-small.bin", bytes(1 << 20)))  # at the size floor
    files, codes = read_all(write(export, container, tmp_path))
    assert codes == [] and len(files["logs/train.log"]) >= 6 << 20


def test_ratio_stops_a_large_bomb_early(tmp_path: Path) -> None:
    raw = tar_header(b"zeros.bin", 1 << 40) + gzip.compress(b"", mtime=0)[:0]
    compressor = gzip.GzipFile(fileobj=(out := io.BytesIO()), mode="wb", mtime=0)
    compressor.write(raw)
    block = bytes(1 << 20)
    for _ in range(128):  # 128 MiB of the claimed 1 TiB
        compressor.write(block)
    compressor.close()
    files, codes = read_all(put(tmp_path, "bomb.tgz", out.getvalue()))
    assert codes == ["REX-X115"]
    assert len(files["zeros.bin"]) < 100 << 20  # stopped soon after 64 MiB


def test_zip64_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the thresholds are lowered so that a small archive uses every zip64 record
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 8)
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 2)
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(4):
            zf.writestr(f"data/{i}.txt", f"content number {i}\n" * 10)
    monkeypatch.undo()
    data = raw.getvalue()
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data
    files, codes = read_all(put(tmp_path, "z64.zip", data))
    assert codes == [] and files["data/3.txt"] == b"content number 3\n" * 10


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_zip_methods(method: int, tmp_path: Path) -> None:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", method) as zf:
        zf.writestr("a.txt", b"hello " * 1000)
        zf.comment = b"a comment is part of the end record, not trailing data"
    assert read_all(put(tmp_path, "m.zip", raw.getvalue())) == ({"a.txt": b"hello " * 1000}, [])


def test_zip_names_and_dos_attributes(tmp_path: Path) -> None:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as zf:
        zf.writestr("données/é.txt", b"x")  # zipfile sets the UTF-8 flag
        info = zipfile.ZipInfo("winfolder")
        info.create_system, info.external_attr = 0, 0x10
        zf.writestr(info, b"")
    with open_source(put(tmp_path, "n.zip", raw.getvalue())) as source:
        kinds = {e.path: e.kind for e in source.entries()}
        assert source.findings == []
    assert kinds == {"données/é.txt": "file", "winfolder": "dir"}


def test_empty_and_manifestless_archives(tmp_path: Path) -> None:
    raw = io.BytesIO()
    zipfile.ZipFile(raw, "w").close()
    with open_source(put(tmp_path, "empty.zip", raw.getvalue())) as source:
        assert source.manifest_bytes() is None
        assert list(source.entries()) == [] and source.findings == []
    with open_source(put(tmp_path, "empty.tar", bytes(10240))) as source:
        assert source.manifest_bytes() is None
        assert list(source.entries()) == [] and source.findings == []


@pytest.mark.parametrize("container", ["dir", "tar", "tar.gz", "zip"])
def test_manifest_is_capped(container: str, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    """One byte past the cap is read, so that the parser can say "too large"; no more."""
    from rexport.sources import base as source_base

    monkeypatch.setattr(source_base, "MANIFEST_CAP", 1000)
    export = Export(base().members, manifest_raw=b'{"x": "' + b"y" * 5000 + b'"}')
    with open_source(write(export, container, tmp_path)) as source:
        data = source.manifest_bytes()
        assert data is not None and len(data) == 1001
        assert "rex.json" in [e.path for e in source.entries()]
        assert source.findings == []
