"""Exports behind s3:// URLs, on a real S3-compatible store: the same findings as on disk, a
tar read in one streaming GET, and one clear line when access fails."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers.archives import Member, gzip_bytes, pack, tar_bytes
from helpers.exports import TEXT, build_manifest, manifest_bytes, where, write_export
from helpers.servers import KEY, S3Store, counting_proxy, s3_env, self_signed
from rexport.validation import validate

SUFFIXES = ("", ".tar", ".tar.gz", ".zip")


def _url(bucket: Path, name: str) -> str:
    return f"s3://bucket/{bucket.name}/{name}"


def _options(store: S3Store, endpoint: str | None = None) -> dict[str, Any]:
    return {"endpoint_url": endpoint or store.endpoint}


def _exports(bucket: Path, tmp_path: Path, files: dict[str, bytes],
             replace: dict[str, bytes] | None = None) -> list[tuple[Path, str]]:
    """The export (its ``replace`` files swapped after indexing) in every container, on disk
    and in the bucket: (local path, URL)."""
    manifest = build_manifest(files)
    held = {**files, **(replace or {})}
    local = write_export(tmp_path / "run", held, manifest)
    write_export(bucket / "run", held, manifest)
    out = [(local, _url(bucket, "run"))]
    for suffix in SUFFIXES[1:]:
        pack(local, tmp_path / ("run" + suffix))
        (bucket / ("run" + suffix)).write_bytes((tmp_path / ("run" + suffix)).read_bytes())
        out.append((tmp_path / ("run" + suffix), _url(bucket, "run" + suffix)))
    return out


@pytest.mark.parametrize("damaged", [False, True], ids=["valid", "flipped-byte"])
def test_every_container_gives_the_same_findings_as_on_disk(
        store: S3Store, bucket: Path, tmp_path: Path, aws_env: dict[str, str],
        damaged: bool) -> None:
    flipped = bytearray(TEXT["results/model.bin"])
    flipped[100] ^= 1
    replace = {"results/model.bin": bytes(flipped)} if damaged else None
    for local, url in _exports(bucket, tmp_path, TEXT, replace):
        here = validate(local)
        there = validate(url, storage_options=_options(store))
        assert where(there) == where(here), url
        assert (there.files_checked, there.bytes_checked) == (here.files_checked,
                                                              here.bytes_checked)
        assert there.container == here.container
        if damaged:  # the flipped byte is named by its member
            assert ("REX-I102", "rex.json", "/files/2/digests/sha256") in where(there), url
        else:
            assert there.valid, (url, where(there))


def test_a_tar_gz_is_read_in_one_streaming_get(store: S3Store, bucket: Path, tmp_path: Path,
                                               aws_env: dict[str, str]) -> None:
    files = {**TEXT, "data/blob.bin": bytes(range(256)) * 8192}  # 2 MiB: several reads
    # rex.json first, as the packer writes it (else one more pass looks for it first)
    members = [Member("rex.json", manifest_bytes(build_manifest(files)))]
    members += [Member(name, data) for name, data in files.items()]
    (bucket / "run.tar.gz").write_bytes(gzip_bytes(tar_bytes(members)))
    with counting_proxy(store.port) as (port, log):
        report = validate(_url(bucket, "run.tar.gz"),
                          storage_options=_options(store, f"http://127.0.0.1:{port}"))
    assert report.valid, where(report)
    gets = [r for r in log.requests if r[0] == "GET" and r[1].endswith("run.tar.gz")]
    assert len(gets) == 1, log.requests
    assert gets[0][3] == (bucket / "run.tar.gz").stat().st_size


def test_a_prefix_is_read_by_listing(store: S3Store, bucket: Path, aws_env: dict[str, str]
                                     ) -> None:
    write_export(bucket / "run", TEXT)
    (bucket / "run" / "extra.txt").write_bytes(b"not listed\n")
    report = validate(_url(bucket, "run/"), storage_options=_options(store), jobs=2)
    assert where(report) == [("REX-C103", "extra.txt", "")]
    assert report.container == "directory"


def _cli(url: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rexport", "validate", url, *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def _only_finding(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 2, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert len(findings) == 1, findings
    assert "\n" not in findings[0]["message"]
    return dict(findings[0])


def test_missing_and_refused_credentials_are_one_line_each(store: S3Store, bucket: Path,
                                                           tmp_path: Path) -> None:
    write_export(bucket / "run", TEXT)
    url = _url(bucket, "run")
    env = s3_env()
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    missing = _only_finding(_cli(url, "-o", "json", "--endpoint-url", store.endpoint, env=env))
    assert missing["code"] == "REX-U106"
    refused = _only_finding(_cli(url, "-o", "json", "--endpoint-url", store.endpoint,
                                 "--storage-option", f"key={KEY}",
                                 "--storage-option", "secret=wrong", env=env))
    assert refused["code"] == "REX-U106"
    assert "wrong" not in json.dumps(refused)  # a secret given is never repeated


def test_an_untrusted_certificate_is_one_line(tmp_path: Path) -> None:
    from helpers.servers import range_server

    write_export(tmp_path / "site" / "run", TEXT)
    pack(tmp_path / "site" / "run", tmp_path / "site" / "run.zip")
    tls = self_signed(tmp_path)
    with range_server(tmp_path / "site", tls=tls) as (base, _):
        finding = _only_finding(_cli(f"{base}/run.zip", "-o", "json", env=s3_env()))
    assert finding["code"] == "REX-U105"


def test_without_the_extra_one_line_names_it(tmp_path: Path) -> None:
    # fsspec made unimportable, as on an installation without rexport[s3]
    code = ("import sys; sys.modules['fsspec'] = None; from rexport.cli import main; "
            "sys.argv = ['rexport', 'validate', '-o', 'json', 's3://bucket/run.tar.gz']; main()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=s3_env(), timeout=60, check=False)
    finding = _only_finding(done)
    assert finding["code"] == "REX-U108"
    assert "rexport[s3]" in finding["message"]


def test_a_bad_storage_option_is_a_usage_error() -> None:
    done = _cli("s3://bucket/run.tar.gz", "--storage-option", "novalue", env=s3_env())
    assert done.returncode == 2
    assert "KEY=VALUE" in done.stderr
