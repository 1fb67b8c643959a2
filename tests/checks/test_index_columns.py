"""The file index read once, column by column: the checks given it find what they find alone."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from helpers.exports import build_manifest
from rexport.canonical import export_digest
from rexport.checks import (
    integrity,
    redactions,
    references,
    safety,
    scanned_files,
    schema,
    secrets,
)
from rexport.checks.completeness import Tracker
from rexport.json_values import index_columns
from rexport.schema import minors

FILES = {f"data/{i:03d}/part-{i:04d}.bin": bytes([i % 256]) * (i + 1) for i in range(1500)}
KEY = "AKIAABCDEFGHIJKLMNOP"  # an AWS access key id the secrets check reports


def _manifest() -> dict[str, Any]:
    return build_manifest(FILES)


def test_columns_of_the_common_shape() -> None:
    manifest = _manifest()
    columns = index_columns(manifest["files"])
    assert columns is not None
    assert columns.paths == [f["path"] for f in manifest["files"]]
    assert columns.sizes == [f["size"] for f in manifest["files"]]
    assert columns.sha256 == [f["digests"]["sha256"] for f in manifest["files"]]


def _edit(position: int, change: Callable[[dict[str, Any]], Any]) -> Callable[[Any], Any]:
    return lambda files: change(files[position])


@pytest.mark.parametrize("change", [
    _edit(5, lambda e: e.update({"x-note": "extra"})),
    _edit(6, lambda e: e.pop("role")),
    _edit(7, lambda e: e.update({"size": "12"})),
    _edit(8, lambda e: e.update({"size": True})),
    _edit(9, lambda e: e["digests"].update({"sha512": "0" * 128})),
    _edit(10, lambda e: e.update({"digests": {"md5": "0" * 32}})),
    _edit(11, lambda e: e.update({"path": None})),
    _edit(12, lambda e: e.update({"digests": ["sha256"]})),
    lambda files: files.append("not an entry"),
    lambda files: files.append("five!"),  # as long as an entry has members
    lambda files: files.append([1, 2, 3, 4, 5]),
    _edit(13, lambda e: e.update({"digests": "x"})),
    lambda files: files.clear(),
])
def test_any_other_shape_is_read_entry_by_entry(change: Callable[[Any], Any]) -> None:
    files = _manifest()["files"]
    change(files)
    assert index_columns(files) is None
    assert index_columns({"path": "x"}) is None


def _with(change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    manifest = _manifest()
    change(manifest)
    return manifest


MANIFESTS = {
    "clean": _manifest(),
    "a key in a path": _with(lambda m: m["files"][700].update(path=f"data/{KEY}.bin")),
    "a key in a media type": _with(lambda m: m["files"][3].update(media_type=f"text/{KEY}")),
    "a key in a role": _with(lambda m: m["files"][4].update(role=KEY)),
    "a key among digests": _with(lambda m: m["files"][9]["digests"].update(sha256=KEY)),
    "a key elsewhere": _with(lambda m: m.update(title=f"run {KEY}")),
    "a secret-named key": _with(lambda m: m["config"].update(api_key="s3cr3t-value-123")),
    "an unsafe path": _with(lambda m: m["files"][2].update(path="../up.bin")),
    "twins": _with(lambda m: m["files"][1].update(path=m["files"][0]["path"].upper())),
    "a size past 2**53": _with(lambda m: m["files"][1].update(size=2**60)),
    "an unlisted reference": _with(lambda m: m["config"].update(path="missing.yaml")),
    "a marker in a path": _with(lambda m: m["files"][5].update(path="[REDACTED]")),
    "a marker in a role": _with(lambda m: m["files"][6].update(role="[REDACTED]")),
    "a marker elsewhere": _with(lambda m: m["config"].update(token="[REDACTED]")),
}


@pytest.mark.parametrize("name", MANIFESTS)
def test_checks_given_the_columns_find_what_they_find_alone(name: str) -> None:
    manifest = copy.deepcopy(MANIFESTS[name])
    index = index_columns(manifest["files"])
    assert index is not None
    assert secrets.scan_manifest(manifest, index=index) == secrets.scan_manifest(manifest)
    assert safety.check_manifest_paths(manifest, index=index) == \
        safety.check_manifest_paths(manifest)
    assert references.check(manifest, index=index) == references.check(manifest)
    assert integrity.check_export_digest(manifest, index=index) == \
        integrity.check_export_digest(manifest)
    assert redactions.unmatched(manifest, index=index) == redactions.unmatched(manifest)
    assert schema.check(manifest, strict=False, index_closed=True) == \
        schema.check(manifest, strict=False)


def test_a_closed_index_holds_only_members_of_the_first_minor() -> None:
    # schema.check looks for members a later minor added outside such an index only
    closed = {("files", "*", name) for name in ("path", "size", "media_type", "role",
                                                "digests")} | {("files", "*", "digests", "sha256")}
    assert closed.isdisjoint(minors.added_after(minors.FIRST))
    assert minors.added_after(minors.FIRST)  # a later minor did add members


def test_the_findings_differ_where_they_should() -> None:
    # the comparisons above compare something: the fast paths would hide these if wrong
    assert secrets.scan_manifest(MANIFESTS["clean"]) == []
    for name in ("a key in a path", "a key in a media type", "a key in a role",
                 "a key among digests", "a key elsewhere", "a secret-named key"):
        manifest = MANIFESTS[name]
        assert secrets.scan_manifest(manifest, index=index_columns(manifest["files"])), name
    assert safety.check_manifest_paths(MANIFESTS["an unsafe path"])
    for name in ("a marker in a path", "a marker in a role", "a marker elsewhere"):
        manifest = MANIFESTS[name]
        assert redactions.unmatched(manifest, index=index_columns(manifest["files"])), name
    assert safety.check_manifest_paths(MANIFESTS["twins"])
    big = MANIFESTS["a size past 2**53"]
    with pytest.raises(ValueError):  # RFC 8785 has no such number, with the columns or not
        export_digest(big, index=index_columns(big["files"]))
    clean = MANIFESTS["clean"]
    assert export_digest(clean, index=index_columns(clean["files"])) == clean["export_digest"]


def test_the_tracker_built_from_columns_is_the_tracker_built_entry_by_entry() -> None:
    manifest = _manifest()
    manifest["files"].append(dict(manifest["files"][3]))  # listed twice: read entry by entry
    for files in (manifest["files"][:-1], manifest["files"]):
        shaped = {"files": files}
        columns = index_columns(files)
        fast = Tracker.from_manifest(shaped, columns=columns)
        slow = Tracker.from_manifest(shaped)
        assert fast.index.positions == slow.index.positions
        assert list(fast.index) == list(slow.index)
        assert fast.index["data/000/part-0000.bin"] == slow.index["data/000/part-0000.bin"]
        for tracker in (fast, slow):
            tracker.see("data/001/part-0001.bin")
            tracker.see("extra.bin")
        assert fast.finish(excused=frozenset({5})) == slow.finish(excused=frozenset({5}))
    assert [f.code for f in slow.findings].count("REX-C105") == 1
    assert [f.code for f in slow.findings].count("REX-C102") == len(FILES) - 2


@pytest.mark.parametrize("media", ["text/plain", "application/octet-stream", "",
                                   "application/yaml; charset=utf-8", "TEXT/X-PYTHON"])
def test_scanned_paths_are_those_scanned_for_secrets(media: str) -> None:
    paths = ["code/train.py", "data/x.bin", "README", "Dockerfile", "a/.env", "notes.TXT",
             "big.py", "x.json", "dir/.pypirc", "weird.", ".py"]
    sizes = [10, 10, 10, 10, 10, 10, scanned_files.TEXT_SCAN_MAX + 1, 10, 10, 10, 10]
    media_types = [media] * len(paths)
    expected = {p for p, s in zip(paths, sizes, strict=True)
                if scanned_files.scanned_for_secrets(p, media, s)}
    assert scanned_files.scanned_paths(paths, media_types, sizes) == expected
    assert "code/train.py" in expected and "big.py" not in expected
