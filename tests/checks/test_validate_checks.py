"""Completeness and integrity checks on their own: index, missing/unlisted files, sizes, digests."""

from __future__ import annotations

import hashlib
from typing import Any

from helpers.exports import build_manifest, file_entry
from rexport.canonical import export_digest
from rexport.checks import integrity
from rexport.checks.completeness import IndexEntry, Tracker


def entry(path: str, **extra: Any) -> dict[str, Any]:
    return {**file_entry(path, b"abc"), **extra}


def codes_at(findings: list[Any]) -> list[tuple[str, str, str]]:
    return [(f.code, f.file, f.pointer) for f in findings]


def test_tracker_reports_missing_unlisted_and_duplicates() -> None:
    manifest = {"files": [entry("a.txt"), entry("b.txt"), entry("a.txt"), entry("c.txt")]}
    tracker = Tracker.from_manifest(manifest)
    assert tracker.see("a.txt") is not None
    assert tracker.see("extra.bin") is None
    assert tracker.see("rex.json") is None  # the manifest is never unlisted
    assert tracker.see("code", kind="dir") is None
    assert tracker.see("link", kind="symlink") is None  # the safety check owns links
    assert tracker.see("a.txt") is None  # a repeated member is the source's finding
    assert tracker.see("d.txt", kind="fifo") is None  # unlisted: the safety check's
    found = tracker.finish()
    assert sorted(codes_at(found)) == [
        ("REX-C102", "rex.json", "/files/1/path"),
        ("REX-C102", "rex.json", "/files/3/path"),
        ("REX-C103", "extra.bin", ""),
        ("REX-C105", "rex.json", "/files/2/path"),
    ]


def test_tracker_excuses_entries_refused_by_the_safety_check() -> None:
    tracker = Tracker.from_manifest({"files": [entry("../x"), entry("ok.txt")]})
    found = tracker.finish(excused=frozenset({0}))
    assert codes_at(found) == [("REX-C102", "rex.json", "/files/1/path")]


def test_indexed_link_is_not_also_missing() -> None:
    # spec IDX-03: refused as a link (X105), not reported a second time as missing
    tracker = Tracker.from_manifest({"files": [entry("link"), entry("bad\\name"),
                                               entry("folder")]})
    assert tracker.see("link", kind="symlink") is None
    assert tracker.see("bad\\name", kind="refused") is None
    assert tracker.see("folder", kind="dir") is None
    assert codes_at(tracker.finish()) == [("REX-C102", "rex.json", "/files/2/path")]


def test_manifest_listing_itself_is_reported() -> None:
    tracker = Tracker.from_manifest({"files": [entry("rex.json")]})
    tracker.see("rex.json")
    assert codes_at(tracker.finish()) == [("REX-C102", "rex.json", "/files/0/path")]


def test_unusable_index_reports_no_unlisted_files() -> None:
    tracker = Tracker.from_manifest({"files": {"not": "a list"}})
    tracker.see("a.txt")
    assert tracker.finish() == []


def test_malformed_entries_are_skipped() -> None:
    tracker = Tracker.from_manifest({"files": [5, {"size": 1}, entry("a", size=True)]})
    assert list(tracker.index) == ["a"]
    assert tracker.index["a"].size is None  # true is not a size


def make(**digests: Any) -> IndexEntry:
    return IndexEntry(position=4, path="x.bin", size=3, digests=digests, media_type=None)


def test_algorithms_are_the_well_formed_supported_ones() -> None:
    ix = make(sha256="a" * 64, md5="b" * 32, sha512="bad", crc32="0" * 8)
    assert integrity.algorithms(ix) == ("sha256", "md5")


def test_weak_only_digests() -> None:
    assert [f.pointer for f in integrity.check_weak(make(md5="0" * 32))] == ["/files/4/digests"]
    assert [f.code for f in integrity.check_weak(make(md5="0" * 32, sha1="0" * 40))] == [
        "REX-I103"]
    assert integrity.check_weak(make(md5="0" * 32, sha256="0" * 64)) == []
    assert integrity.check_weak(make(blake2b="0" * 128, sha1="0" * 40)) == []
    assert integrity.check_weak(make()) == []  # no digests: the schema's finding


def test_size_and_digest_mismatches_point_at_the_index_entry() -> None:
    ix = make(sha256=hashlib.sha256(b"abc").hexdigest(), md5=hashlib.md5(b"abd").hexdigest())
    assert codes_at(integrity.check_size(ix, 4)) == [("REX-I101", "rex.json", "/files/4/size")]
    assert integrity.check_size(ix, 3) == []
    assert [f.code for f in integrity.check_size(ix, 3, more=True)] == ["REX-I101"]
    computed = {"sha256": hashlib.sha256(b"abc").hexdigest(),
                "md5": hashlib.md5(b"abc").hexdigest()}
    assert codes_at(integrity.check_digests(ix, computed)) == [
        ("REX-I102", "rex.json", "/files/4/digests/md5")]


def test_uppercase_recorded_digest_still_compared() -> None:
    ix = make(sha256=hashlib.sha256(b"abc").hexdigest().upper())
    assert integrity.check_digests(ix, {"sha256": hashlib.sha256(b"abc").hexdigest()}) == []
    assert len(integrity.check_digests(ix, {"sha256": "0" * 64})) == 1


def test_export_digest() -> None:
    manifest = build_manifest(annotations={"tags": ["a"]})
    digest, found = integrity.check_export_digest(manifest)
    assert (digest, found) == (manifest["export_digest"], [])
    manifest["annotations"]["tags"].append("b")  # mutable: not covered
    assert integrity.check_export_digest(manifest)[1] == []
    manifest["rex_version"] = "1.1"
    digest, found = integrity.check_export_digest(manifest)
    assert codes_at(found) == [("REX-I104", "rex.json", "/export_digest")]
    assert digest == export_digest(manifest) != manifest["export_digest"]


def test_export_digest_without_canonical_form() -> None:
    manifest = {"export_digest": "sha256:" + "0" * 64, "n": 2**60}
    digest, found = integrity.check_export_digest(manifest)
    assert digest is None and [f.code for f in found] == ["REX-I104"]
    # missing or non-string: the schema check reports it, not a second finding here
    assert integrity.check_export_digest({"n": 1})[1] == []
    assert integrity.check_export_digest({"export_digest": 5})[1] == []
