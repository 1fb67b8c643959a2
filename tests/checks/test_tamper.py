"""Flipping any single byte of examples/full is detected (and a sample of a large file's bytes)."""

from __future__ import annotations

import hashlib
import io
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers.exports import build_manifest, write_export
from rexport import parsing
from rexport.canonical import immutable_part
from rexport.checks import integrity
from rexport.checks.completeness import Tracker
from rexport.digests import CHUNK, hash_stream
from rexport.findings import Severity
from rexport.validation import check_manifest, validate

# what a flipped byte may show up as: a digest or size mismatch, a parse or schema error,
# or an export digest mismatch when the manifest itself changed
DETECTING = {"REX-I101", "REX-I102", "REX-I104", "REX-S101", "REX-S102", "REX-C104",
             "REX-V101", "REX-V102", "REX-C102", "REX-C103", "REX-C105"}


def flip(data: bytes, at: int) -> bytes:
    # one bit: the smallest change there is, and one that keeps most bytes printable
    # (so the change survives parsing as often as it can)
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


@pytest.fixture(scope="module")
def full(repo_root: Path) -> Path:
    root = repo_root / "examples" / "full"
    if not (root / "rex.json").is_file():
        pytest.fail("examples/full is missing")
    return root


@pytest.fixture(scope="module")
def manifest(full: Path) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((full / "rex.json").read_bytes())
    return value


def test_example_is_valid_to_begin_with(full: Path) -> None:
    report = validate(full)
    assert report.valid and report.errors == []


def test_every_byte_of_every_payload_file(full: Path, manifest: dict[str, Any]) -> None:
    tracker = Tracker.from_manifest(manifest)
    assert tracker.index, "examples/full indexes no file"
    checked = 0
    for path, entry in tracker.index.items():
        data = (full / path).read_bytes()
        algorithms = integrity.algorithms(entry)
        assert "sha256" in algorithms
        for at in range(len(data)):
            size, found = hash_stream(io.BytesIO(flip(data, at)), algorithms)
            problems = integrity.check_size(entry, size) or integrity.check_digests(entry, found)
            assert [f.code for f in problems][:1] == ["REX-I102"], (path, at)
            checked += 1
    assert checked == sum(e.size or 0 for e in tracker.index.values())


@pytest.mark.slow
def test_every_byte_of_the_manifest(full: Path) -> None:
    data = (full / "rex.json").read_bytes()
    original = immutable_part(json.loads(data))
    undetected = 0
    for at in range(len(data)):
        changed, problems = parsing.load_json(flip(data, at))
        if problems or not isinstance(changed, dict):
            continue  # refused as JSON
        if integrity.check_export_digest(changed)[1]:
            continue  # I104
        flipped = flip(data, at)
        if any(f.severity is Severity.ERROR for f in check_manifest(flipped).findings):
            continue  # e.g. a renamed export_digest member: the schema misses it
        # only the members outside the digest (annotations) may change unnoticed, by design
        assert immutable_part(changed) == original, at
        assert changed != json.loads(data)
        undetected += 1
    annotations = json.dumps(json.loads(data).get("annotations", {}))
    assert undetected <= len(annotations)


def sample(size: int, count: int, seed: int) -> list[int]:
    picks = {0, size - 1, size // 2}
    rng = random.Random(seed)
    picks.update(rng.randrange(size) for _ in range(count))
    return sorted(p for p in picks if 0 <= p < size)


def test_a_sample_through_the_whole_validator(full: Path, tmp_path: Path) -> None:
    copy = tmp_path / "full"
    shutil.copytree(full, copy)
    files = sorted(p for p in copy.rglob("*") if p.is_file())
    runs = 0
    for target in files:
        original = target.read_bytes()
        count = 25 if target.name == "rex.json" else 3
        for at in sample(len(original), count, seed=len(original)):
            target.write_bytes(flip(original, at))
            report = validate(copy)
            rel = target.relative_to(copy).as_posix()
            assert not report.valid, (rel, at)
            found = {f.code for f in report.errors}
            assert found & DETECTING or any(c.startswith("REX-P") for c in found), (rel, at)
            runs += 1
        target.write_bytes(original)
    assert runs > len(files) * 3
    assert validate(copy).valid


def test_large_file_sample_at_chunk_boundaries(tmp_path: Path) -> None:
    big = hashlib.shake_256(b"large").digest(3 * CHUNK + 11)
    files = {"code/run.py": b"print(1)\n", "data/big.bin": big}
    root = write_export(tmp_path / "run", files, build_manifest(files, ("sha256", "blake2b")))
    target = root / "data/big.bin"
    positions = {0, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, len(big) - 1}
    positions.update(sample(len(big), 6, seed=3))
    for at in sorted(positions):
        target.write_bytes(flip(big, at))
        found = [(f.code, f.pointer) for f in validate(root).findings]
        assert ("REX-I102", "/files/1/digests/sha256") in found, at
        assert ("REX-I102", "/files/1/digests/blake2b") in found, at
    target.write_bytes(big)
    assert validate(root).valid
