"""The same export as a directory, .tar, .tar.gz and .zip gives the same findings."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.archives import Member, pack
from helpers.exports import TEXT, build_manifest, position, seal, where, write_export
from rexport.checks.index_keys import KeyedReads
from rexport.sources import Entry
from rexport.validation import validate

Packer = Callable[[Path, Path], Path]


def tar_py(root: Path, out: Path) -> Path:
    return pack(root, out.with_suffix(".tar"))


def tgz_py(root: Path, out: Path) -> Path:
    # "./"-prefixed names, as `tar -C run -czf run.tgz .` writes them
    return pack(root, out.with_suffix(".tar.gz"), prefix="./")


def zip_py(root: Path, out: Path) -> Path:
    return pack(root, out.with_suffix(".zip"))


def tar_cli(root: Path, out: Path) -> Path:
    target = out.with_suffix(".tgz")
    subprocess.run(["tar", "-C", str(root), "-czf", str(target), "."], check=True)
    return target


def zip_cli(root: Path, out: Path) -> Path:
    target = out.with_suffix(".zip")
    subprocess.run(["zip", "-q", "-r", str(target), "."], cwd=root, check=True)
    return target


PACKERS: list[tuple[str, Packer, str]] = [
    ("tarfile-tar", tar_py, "tar"),
    ("tarfile-tgz", tgz_py, "tar.gz"),
    ("zipfile-zip", zip_py, "zip"),
    ("tar-cli", tar_cli, "tar.gz"),
    ("zip-cli", zip_cli, "zip"),
]


def _available(name: str) -> bool:
    return shutil.which(name.split("-")[0]) is not None


@pytest.fixture(params=PACKERS, ids=[p[0] for p in PACKERS])
def packer(request: pytest.FixtureRequest) -> tuple[Packer, str]:
    name, pack, container = request.param
    if name.endswith("-cli") and not _available(name.split("-")[0]):
        pytest.skip(f"{name.split('-')[0]} is not installed")
    return pack, container


def test_valid_export_in_every_container(tmp_path: Path, packer: tuple[Packer, str]) -> None:
    pack, container = packer
    root = write_export(tmp_path / "run")
    archive = pack(root, tmp_path / "run-archive")
    report = validate(archive)
    assert report.container == container
    assert where(report) == where(validate(root)) == []
    assert report.files_checked == len(TEXT)
    assert report.export_digest == validate(root).export_digest


def tampered(tmp_path: Path) -> Path:
    files = dict(TEXT)
    files["data/big.bin"] = hashlib.shake_256(b"big").digest(9 << 20)  # pipelined when jobs > 1
    root = write_export(tmp_path / "run", files, build_manifest(files))
    (root / "notes.txt").write_bytes(b"unlisted\n")
    (root / "data/values.csv").unlink()
    code = bytearray(files["code/train.py"])
    code[-2] ^= 0x20
    (root / "code/train.py").write_bytes(bytes(code))
    big = bytearray(files["data/big.bin"])
    big[len(big) // 2] ^= 0x01
    (root / "data/big.bin").write_bytes(bytes(big))
    (root / "results/model.bin").write_bytes(files["results/model.bin"][:-1])
    return root


def test_tampered_export_same_findings_everywhere(tmp_path: Path,
                                                  packer: tuple[Packer, str]) -> None:
    pack, _ = packer
    root = tampered(tmp_path)
    expected = where(validate(root))
    manifest = build_manifest({**TEXT, "data/big.bin": b""})
    assert sorted(expected) == sorted([
        ("REX-I102", "rex.json", f"/files/{position(manifest, 'code/train.py')}/digests/sha256"),
        ("REX-I102", "rex.json", f"/files/{position(manifest, 'data/big.bin')}/digests/sha256"),
        ("REX-I101", "rex.json", f"/files/{position(manifest, 'results/model.bin')}/size"),
        ("REX-C102", "rex.json", f"/files/{position(manifest, 'data/values.csv')}/path"),
        ("REX-C103", "notes.txt", ""),
    ])
    archive = pack(root, tmp_path / "run-archive")
    assert where(validate(archive)) == expected
    assert where(validate(archive, jobs=3)) == expected


def test_archive_member_whose_bytes_differ_from_its_header(tmp_path: Path) -> None:
    # a tar header that declares the indexed size, with other bytes behind it
    root = write_export(tmp_path / "run")
    zeros = bytes(len(TEXT["results/model.bin"]))
    archive = pack(root, tmp_path / "run.tar", replace={"results/model.bin": zeros})
    assert [c for c, _, _ in where(validate(archive))] == ["REX-I102"]


def _binaries(count: int) -> dict[str, bytes]:
    # binary names, not scanned for credentials: judged by their key in a stream
    return {f"data/{i:02d}.bin": hashlib.sha256(b"%d" % i).digest() * (i + 1)
            for i in range(count)}


@pytest.mark.parametrize("jobs", [1, 3])
def test_small_members_of_a_stream_judged_by_key_find_what_the_directory_finds(
        tmp_path: Path, jobs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {**TEXT, **_binaries(12)}
    manifest = build_manifest(files)
    entries = {entry["path"]: entry for entry in manifest["files"]}
    entries["data/03.bin"]["digests"]["sha256"] = entries["data/03.bin"]["digests"][
        "sha256"].upper()  # either case is the digest
    entries["data/04.bin"]["digests"]["sha256"] = "0" * 64
    entries["data/05.bin"]["size"] += 1
    entries["data/06.bin"]["digests"] = {"sha256": "0" * 64, "md5": "0" * 32}
    entries["data/07.bin"]["digests"]["sha256"] = "not hex"
    root = write_export(tmp_path / "run", files, seal(manifest))
    (root / "data/99.bin").write_bytes(b"unlisted")
    judged: list[str] = []
    original = KeyedReads.judge

    def spy(self: KeyedReads, entry: Entry) -> Entry | int:
        verdict = original(self, entry)
        if type(verdict) is int:
            judged.append(entry.path)
        return verdict

    monkeypatch.setattr(KeyedReads, "judge", spy)
    expected = where(validate(root, jobs=jobs))
    assert {code for code, _, _ in expected} >= {"REX-I102", "REX-I101", "REX-C103"}
    archive = pack(root, tmp_path / "run.tar.gz", extra=[Member("data/00.bin", b"again")])
    report = validate(archive, jobs=jobs)
    assert sorted(where(report)) == sorted([*expected, ("REX-X107", "data/00.bin", "")])
    assert report.files_checked == validate(root, jobs=jobs).files_checked
    assert sorted(judged) == [f"data/{i:02d}.bin" for i in (0, 1, 2, 3, 8, 9, 10, 11)] + [
        "results/model.bin"]


def test_a_path_listed_twice_is_judged_by_its_first_entry_in_a_stream(tmp_path: Path) -> None:
    files = _binaries(3)
    manifest = build_manifest(files)
    first = manifest["files"][0]
    manifest["files"].insert(0, {**first, "digests": {"sha256": "0" * 64}})
    root = write_export(tmp_path / "run", files, seal(manifest))
    expected = where(validate(root))  # files read ahead, and matched by key too
    assert ("REX-I102", "rex.json", "/files/0/digests/sha256") in expected
    assert where(validate(pack(root, tmp_path / "run.tar.gz"))) == expected
