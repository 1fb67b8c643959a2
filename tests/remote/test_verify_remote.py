"""--verify-remote: referenced objects checked at the level asked, on a real S3-compatible
store and an HTTP server, with the evidence used in the report."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers.exports import TEXT, build_manifest, where, write_export
from helpers.servers import S3Store, counting_proxy, range_server
from rexport import validate
from rexport.digests import composite_sha256

BODY = b"referenced dataset\n" * 5000
OTHER = b"something else\n" * 100


def _b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _reference(uri: str, data: bytes, **digests: Any) -> dict[str, Any]:
    return {"uri": uri, "size": len(data),
            "digests": {"sha256": hashlib.sha256(data).hexdigest(), **digests}}


def _export(tmp_path: Path, refs: list[dict[str, Any]]) -> Path:
    datasets = [{"id": f"set-{i}", "name": f"set {i}", "license": "CC-BY-4.0",
                 "access": "public", "reference": ref} for i, ref in enumerate(refs)]
    # 1.1: the version that defines sha256-parts
    manifest = build_manifest(TEXT, rex_version="1.1", data={"datasets": datasets})
    return write_export(tmp_path / "run", TEXT, manifest)


@pytest.fixture
def objects(store: S3Store, bucket: Path) -> str:
    """Objects stored with a SHA-256 checksum, with an ETag only, with a CRC only, and one
    whose stored checksum has the composite (multipart) form; returns their URL prefix."""
    key = f"{bucket.name}/"
    plain = store.client(request_checksum_calculation="when_required")
    plain.put_object(Bucket="bucket", Key=key + "sha.bin", Body=BODY, ChecksumSHA256=_b64(BODY))
    plain.put_object(Bucket="bucket", Key=key + "etag.bin", Body=BODY)
    plain.put_object(Bucket="bucket", Key=key + "crc.bin", Body=BODY, ChecksumAlgorithm="CRC32")
    # the store makes no multipart checksums itself: the composite value is stored as given
    parts = [hashlib.sha256(BODY[:50000]).hexdigest(), hashlib.sha256(BODY[50000:]).hexdigest()]
    plain.put_object(Bucket="bucket", Key=key + "multipart.bin", Body=BODY,
                     ChecksumSHA256=composite_sha256(parts))
    return f"s3://bucket/{key}"


def _pointers(report: Any) -> list[tuple[str, str]]:
    return [(code, pointer) for code, _, pointer in where(report)]


def test_metadata_uses_checksums_and_never_reads_bodies(store: S3Store, objects: str,
                                                        tmp_path: Path,
                                                        aws_env: dict[str, str]) -> None:
    parts = {"part_size": 50000, "digests": [hashlib.sha256(BODY[:50000]).hexdigest(),
                                             hashlib.sha256(BODY[50000:]).hexdigest()]}
    export = _export(tmp_path, [
        _reference(objects + "sha.bin", BODY),  # 0: verified by S3's SHA-256
        _reference(objects + "sha.bin", OTHER),  # 1: the reference is wrong
        _reference(objects + "etag.bin", BODY),  # 2: an ETag is no evidence
        _reference(objects + "crc.bin", BODY),  # 3: nor is a CRC
        _reference(objects + "multipart.bin", BODY, **{"sha256-parts": parts}),  # 4
        _reference(objects + "multipart.bin", BODY),  # 5: composite, no parts recorded
        _reference(objects + "missing.bin", BODY),  # 6
    ])
    with counting_proxy(store.port) as (port, log):
        report = validate(export, verify_remote="metadata",
                          storage_options={"endpoint_url": f"http://127.0.0.1:{port}"})
    assert log.bodies("GET") == 0 and all(m == "HEAD" for m, *_ in log.requests), log.requests
    at = "/data/datasets/{}/reference".format
    assert sorted(_pointers(report)) == sorted([
        ("REX-I106", at(1) + "/size"), ("REX-I106", at(1) + "/digests/sha256"),
        ("REX-I107", at(2) + "/digests"), ("REX-I107", at(3) + "/digests"),
        ("REX-I107", at(5) + "/digests"), ("REX-I105", at(6))])
    records = report.to_json()["references"]
    assert [r["result"] for r in records] == ["verified", "differs", "unverified",
                                              "unverified", "verified", "unverified",
                                              "unreachable"]
    assert records[0]["evidence"] == ["size", "s3-checksum-sha256"]
    assert records[4]["evidence"] == ["size", "s3-composite-sha256"]
    assert records[2]["evidence"] == ["size"]
    assert not report.valid
    schema = json.loads((Path(__file__).parents[2] / "schemas/v1/report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(report.to_json())  # VAL-06 with references


def test_a_wrong_part_is_flagged_against_a_composite_checksum(
        store: S3Store, objects: str, tmp_path: Path, aws_env: dict[str, str]) -> None:
    parts = {"part_size": 50000, "digests": [hashlib.sha256(b"x").hexdigest(),
                                             hashlib.sha256(BODY[50000:]).hexdigest()]}
    export = _export(tmp_path, [_reference(objects + "multipart.bin", BODY,
                                           **{"sha256-parts": parts})])
    report = validate(export, verify_remote="metadata",
                      storage_options={"endpoint_url": store.endpoint})
    assert _pointers(report) == [("REX-I106",
                                  "/data/datasets/0/reference/digests/sha256-parts")]


@pytest.mark.parametrize("level", ["size", "full"])
def test_size_and_full_levels(store: S3Store, objects: str, tmp_path: Path,
                              aws_env: dict[str, str], level: str) -> None:
    shorter = BODY[:-1]
    export = _export(tmp_path, [_reference(objects + "etag.bin", BODY),
                                _reference(objects + "etag.bin", shorter),
                                {**_reference(objects + "etag.bin", BODY),
                                 "digests": {"sha256": "0" * 64}}])
    with counting_proxy(store.port) as (port, log):
        report = validate(export, verify_remote=level,
                          storage_options={"endpoint_url": f"http://127.0.0.1:{port}"})
    expected = [("REX-I106", "/data/datasets/1/reference/size")]
    if level == "full":  # the whole object is read and hashed, once for each reference
        expected.append(("REX-I106", "/data/datasets/2/reference/digests/sha256"))
        assert log.bodies("GET") >= 2 * len(BODY)
    else:
        assert log.bodies("GET") == 0
    assert sorted(_pointers(report)) == sorted(expected)
    evidence = report.to_json()["references"][0]["evidence"]
    assert evidence == (["full"] if level == "full" else ["size"])


def test_http_repr_digest_is_evidence(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "good.csv").write_bytes(BODY)
    (site / "plain.csv").write_bytes(BODY)
    headers = {"/good.csv": {"Repr-Digest": f"sha-256=:{_b64(BODY)}:",
                             "ETag": '"not evidence"'}}
    with range_server(site, headers=headers) as (base, log):
        export = _export(tmp_path, [_reference(f"{base}/good.csv", BODY),
                                    _reference(f"{base}/plain.csv", BODY),
                                    _reference(f"{base}/good.csv", OTHER)])
        report = validate(export, verify_remote="metadata")
    assert log.bodies("GET") == 0
    assert sorted(_pointers(report)) == sorted([
        ("REX-I107", "/data/datasets/1/reference/digests"),
        ("REX-I106", "/data/datasets/2/reference/size"),
        ("REX-I106", "/data/datasets/2/reference/digests/sha256")])
    assert report.to_json()["references"][0]["evidence"] == ["size",
                                                             "http-repr-digest-sha-256"]


def test_none_reaches_nothing_and_reports_no_references(tmp_path: Path) -> None:
    export = _export(tmp_path, [_reference("s3://nowhere/x.bin", BODY)])
    report = validate(export)
    assert report.valid and "references" not in report.to_json()
