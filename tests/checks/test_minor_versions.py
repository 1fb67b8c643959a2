"""What REX 1.1 added (sha256-parts): a manifest that states 1.0 is judged as written (VER-02),
its sha256-parts unknown members; the packer names the earliest version that defines what it
writes (VER-06)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from helpers.exports import TEXT, build_manifest, seal, where, write_export
from rexport import SPEC_VERSION
from rexport.checks import schema as schema_check
from rexport.checks import version
from rexport.pack.hashing import Hashed
from rexport.pack.manifest import assemble
from rexport.pack.members import Member
from rexport.schema import minors
from rexport.schema.marks import marked
from rexport.schema.validators import resources
from rexport.validation import validate

DATA = bytes(range(250)) * 10  # 2,500 bytes: three parts of 1,000
PART = 1000


def _parts(data: bytes, wrong: int | None = None) -> dict[str, Any]:
    digests = [hashlib.sha256(data[i:i + PART]).hexdigest() for i in range(0, len(data), PART)]
    if wrong is not None:
        digests[wrong] = "0" * 64
    return {"part_size": PART, "digests": digests}


def _export(tmp_path: Path, rex_version: str, parts: Any) -> tuple[Path, int]:
    files = {**TEXT, "data/table.bin": DATA}
    manifest = build_manifest(files, rex_version=rex_version)
    n = [e["path"] for e in manifest["files"]].index("data/table.bin")
    manifest["files"][n]["digests"]["sha256-parts"] = parts
    return write_export(tmp_path / f"run-{rex_version}", files, seal(manifest)), n


def test_the_marks_name_sha256_parts_wherever_a_digest_set_stands() -> None:
    added = minors.added_after((1, 0))
    assert ("files", "*", "digests", "sha256-parts") in added
    assert ("data", "datasets", "*", "reference", "digests", "sha256-parts") in added
    assert ("results", "artifacts", "*", "digests", "sha256-parts") in added
    assert minors.added_after((1, 1)) == ()
    # the package's version is the latest minor the schemas name
    latest = max(minors.parse(v) for v in marked(minors.SINCE).values())
    assert f"{latest[0]}.{latest[1]}" == SPEC_VERSION


def test_members_finds_what_a_pattern_names() -> None:
    doc = {"files": [{"digests": {"sha256-parts": 1}}, {"digests": {}}, 3,
                     {"digests": {"sha256-parts": 2}}]}
    assert minors.members(doc, ("files", "*", "digests", "sha256-parts")) == [
        ("files", 0, "digests", "sha256-parts"), ("files", 3, "digests", "sha256-parts")]
    assert minors.members({"a": {"b": [1, [2]]}}, ("a", "b", "*", "*")) == [("a", "b", 1, 0)]
    assert minors.members(None, ("files", "*")) == []
    assert minors.members([], ()) == [()]


@pytest.mark.parametrize(("stated", "judged"), [
    ("1.0", (1, 0)), ("1.1", (1, 1)), ("1.7", (1, 1)), ("2.0", (1, 1)), ("1", (1, 1)),
    (None, (1, 1))])
def test_a_manifest_is_judged_by_the_version_it_states(stated: Any, judged: tuple[int, int]
                                                        ) -> None:
    assert version.judged_by({} if stated is None else {"rex_version": stated}) == judged


@pytest.mark.parametrize("engine", ["rs", "python"])
def test_parts_in_a_1_0_manifest_are_unknown_members(engine: str) -> None:
    manifest = build_manifest(TEXT)
    manifest["files"][0]["digests"]["sha256-parts"] = {"part_size": 0, "digests": ["x"], "y": 1}
    at = "/files/0/digests/sha256-parts"
    # 1.1 defines them: every problem inside is S101 (and the unknown member y, under strict)
    manifest["rex_version"] = "1.1"
    found = schema_check.check(manifest, strict=True, engine=engine)
    assert {f.code for f in found} == {"REX-S101", "REX-S102"}
    assert all(f.pointer.startswith(at + "/") for f in found)
    # 1.0 does not: the member is its own, one S102 under strict, nothing by default
    manifest["rex_version"] = "1.0"
    assert schema_check.check(manifest, strict=False, engine=engine) == []
    strict = schema_check.check(manifest, strict=True, engine=engine)
    assert [(f.code, f.pointer) for f in strict] == [("REX-S102", at)]


def test_parts_are_verified_where_the_version_defines_them(tmp_path: Path) -> None:
    root, n = _export(tmp_path, "1.1", _parts(DATA, wrong=1))
    mismatch = ("REX-I102", "rex.json", f"/files/{n}/digests/sha256-parts/digests/1")
    assert where(validate(root)) == [mismatch]
    root, n = _export(tmp_path, "1.0", _parts(DATA, wrong=1))
    assert where(validate(root)) == []
    assert where(validate(root, strict=True)) == [
        ("REX-S102", "rex.json", f"/files/{n}/digests/sha256-parts")]


def _packed(digests: dict[str, Any]) -> dict[str, Any]:
    member = Member("code/train.py", "code", b"print('training')\n")
    hashed = {member.path: Hashed(size=18, digests=digests, signature=None)}
    return assemble({"code": {"snapshot": {"root": "code/"}}}, [member], hashed,
                    "2026-01-15T10:00:00Z")


def test_the_packer_names_the_earliest_version_that_defines_its_members() -> None:
    sha = hashlib.sha256(b"print('training')\n").hexdigest()
    plain = _packed({"sha256": sha})
    assert plain["rex_version"] == "1.0"  # 1.0 validators read it with no REX-V103
    parted = _packed({"sha256": sha, "sha256-parts": {"part_size": 1 << 20, "digests": [sha]}})
    assert parted["rex_version"] == "1.1"
    assert minors.version_needed(json.loads(json.dumps(parted))) == "1.1"
    assert parted["export_digest"] != plain["export_digest"]


def test_the_schema_marks_are_in_the_schema_files() -> None:
    files = next(v for k, v in resources().items() if k.endswith("/files.schema.json"))
    assert files["$defs"]["digests"]["properties"]["sha256-parts"][minors.SINCE] == "1.1"
