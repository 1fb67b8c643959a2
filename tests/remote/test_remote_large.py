"""A 512 MiB export in every container on the S3 store: validated over s3:// with the findings
it has on disk, in bounded memory, and a flipped byte named by its member."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.exports import build_manifest, file_entry, manifest_bytes, where
from helpers.peak import run_measured
from helpers.servers import S3Store, s3_env, s3_store
from rexport.validation import validate

pytestmark = pytest.mark.slow

MiB = 1 << 20
FILES, FILE_SIZE = 8, 64 * MiB  # 512 MiB of payload
PEAK_MIB = 200


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Store]:
    """A store of its own, without ETags: rclone would hash each 512 MiB object whole for every
    ranged read of it, which no real store does."""
    root = tmp_path_factory.mktemp("s3-large")
    (root / "bucket").mkdir()
    with s3_store(root, etags=False) as running:
        yield running


@pytest.fixture(scope="module")
def large(store: S3Store) -> Path:
    """The export as a folder, a .tar.gz (rex.json first) and a stored .zip in the bucket."""
    root = store.root / "bucket" / "large"
    run = root / "run"
    (run / "data").mkdir(parents=True)
    (run / "code").mkdir()
    (run / "code" / "train.py").write_bytes(b"print('training')\n")
    entries = [file_entry("code/train.py", b"print('training')\n")]
    for i in range(FILES):
        digest = hashlib.sha256()
        with open(run / "data" / f"part-{i}.bin", "wb") as fp:
            for _ in range(FILE_SIZE // MiB):
                block = os.urandom(MiB)
                fp.write(block)
                digest.update(block)
        entries.append({**file_entry(f"data/part-{i}.bin", b""), "size": FILE_SIZE,
                        "digests": {"sha256": digest.hexdigest()}})
    manifest = build_manifest(files=entries)
    (run / "rex.json").write_bytes(manifest_bytes(manifest))
    names = ["rex.json"] + [e["path"] for e in entries]
    from isal import igzip

    # level 0: the fastest deflate; the payload is random and would not shrink anyway
    with igzip.open(root / "run.tar.gz", "wb", compresslevel=0) as gz, \
            tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for name in names:
            tar.add(run / name, arcname=name)
    with zipfile.ZipFile(root / "run.zip", "w", zipfile.ZIP_STORED) as zf:
        for name in names:
            zf.write(run / name, name)
    return root


def _over_s3(store: S3Store, url: str, tmp_path: Path) -> tuple[dict[str, Any], float]:
    code, out, peak = run_measured(
        [sys.executable, "-m", "rexport", "validate", "-o", "json", "--endpoint-url",
         store.endpoint, url], {**s3_env(), "PYTHONPATH": os.pathsep.join(sys.path)},
        tmp_path / "report.json")
    report: dict[str, Any] = json.loads(out)
    assert code == (0 if report["valid"] else 1)
    return report, peak


@pytest.mark.parametrize("name", ["run", "run.tar.gz", "run.zip"])
def test_512_mib_over_s3_like_on_disk_in_bounded_memory(store: S3Store, large: Path,
                                                        tmp_path: Path, name: str) -> None:
    here = validate(large / name)
    assert here.valid, where(here)
    there, peak = _over_s3(store, f"s3://bucket/large/{name}", tmp_path)
    assert [(f["code"], f["file"], f["pointer"]) for f in there["findings"]] == where(here)
    assert there["summary"]["bytes_checked"] == FILES * FILE_SIZE + 18
    assert there["valid"] is True
    assert peak < PEAK_MIB, f"{name}: peak RSS {peak:.0f} MiB"


def test_a_flipped_byte_in_the_large_zip_names_its_member(store: S3Store, large: Path,
                                                          tmp_path: Path) -> None:
    flipped = large / "flipped.zip"
    data = bytearray((large / "run.zip").read_bytes())
    with zipfile.ZipFile(large / "run.zip") as zf:
        info = zf.getinfo("data/part-3.bin")
    at = info.header_offset + 30 + len(info.filename) + len(info.extra) + 12345
    data[at] ^= 0x01
    flipped.write_bytes(data)
    del data
    report, peak = _over_s3(store, "s3://bucket/large/flipped.zip", tmp_path)
    named = [(f["code"], f["file"], f["pointer"]) for f in report["findings"]]
    assert ("REX-X118", "data/part-3.bin", "") in named  # the member's CRC fails
    assert named == where(validate(flipped))  # as on disk
    assert peak < PEAK_MIB
