"""A zip behind https://, checked by ranged reads: its end records and central directory, then
its members, and nothing more."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import zipfile
from pathlib import Path

from helpers.archives import pack
from helpers.exports import write_export
from helpers.servers import range_server, s3_env, self_signed

DIRECTORY_BUDGET = 256 << 10  # bytes besides the members a zip's reading may fetch


def _member_bytes(archive: Path) -> int:
    """What the members take in the archive: local headers and their data."""
    with zipfile.ZipFile(archive) as zf:
        return sum(30 + len(i.filename.encode()) + len(i.extra) + i.compress_size
                   for i in zf.infolist())


def test_an_https_zip_is_read_by_ranges(tmp_path: Path) -> None:
    rng = random.Random(5)
    files = {f"data/{i:03d}/part.bin": rng.randbytes(rng.randint(100, 20000)) for i in range(120)}
    files["code/train.py"] = b"print('training')\n"
    site = tmp_path / "site"
    site.mkdir()
    pack(write_export(tmp_path / "run", files), site / "run.zip")
    archive = site / "run.zip"
    cert, key = self_signed(tmp_path)
    env = {**s3_env(), "SSL_CERT_FILE": str(cert)}  # the test's authority, trusted by name
    with range_server(site, tls=(cert, key)) as (base, log):
        done = subprocess.run([sys.executable, "-m", "rexport", "validate", "-o", "json",
                               f"{base}/run.zip"], capture_output=True, text=True, env=env,
                              timeout=300, check=False)
    report = json.loads(done.stdout)
    assert done.returncode == 0, report["findings"]
    assert report["summary"]["files_checked"] == 121
    served = log.bodies("GET")
    members = _member_bytes(archive)
    assert members <= served <= members + DIRECTORY_BUDGET, (served, members)
    assert all(status in (200, 206) for _, _, status, _ in log.requests)
    # every read was a range: the archive was never fetched whole
    assert all(size < archive.stat().st_size for _, _, _, size in log.requests)
