"""The example exports: up to date, schema-checked offline by a third-party tool, as expected."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rexport.checks import schema as schema_check
from rexport.validation import validate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
BUNDLE = ROOT / "schemas" / "v1" / "rex.bundle.schema.json"
EXPECTED: dict[str, dict[str, Any]] = json.loads(
    (EXAMPLES / "invalid" / "expected.json").read_text(encoding="utf-8"))
CASES = sorted(EXPECTED)

# every connection fails: proxies point at a closed port and sockets refuse to connect
_OFFLINE = """
import socket, sys
def _refuse(*args, **kwargs):
    raise OSError("network disabled for this test")
socket.socket.connect = _refuse
socket.create_connection = _refuse
from check_jsonschema import main
sys.argv[0] = "check-jsonschema"
main()
"""


def _check_jsonschema(*instances: Path) -> tuple[int, dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update({"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
                "ALL_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""})
    done = subprocess.run(
        [sys.executable, "-c", _OFFLINE, "--no-cache", "-o", "json",
         "--schemafile", str(BUNDLE), *map(str, instances)],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.stdout, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    assert report.get("parse_errors", []) == [], report
    return done.returncode, report


def test_check_jsonschema_offline_judges_every_example() -> None:
    valid = [EXAMPLES / "minimal" / "rex.json", EXAMPLES / "full" / "rex.json"]
    cases = [EXAMPLES / "invalid" / case / "rex.json" for case in CASES]
    code, report = _check_jsonschema(*valid, *cases)
    failed = {Path(e["filename"]).resolve() for e in report["errors"]}
    expected_failures = {p.resolve() for p, case in zip(cases, CASES, strict=True)
                         if not EXPECTED[case]["schema_valid"]}
    assert failed == expected_failures
    assert len(expected_failures) >= 3
    assert code == 1


def test_check_jsonschema_offline_passes_the_valid_examples() -> None:
    code, report = _check_jsonschema(EXAMPLES / "minimal" / "rex.json",
                                     EXAMPLES / "full" / "rex.json")
    assert (code, report["status"]) == (0, "ok")


@pytest.mark.parametrize("case", CASES)
def test_schema_check_matches_expected(case: str) -> None:
    manifest = json.loads((EXAMPLES / "invalid" / case / "rex.json").read_text("utf-8"))
    findings = schema_check.check(manifest, strict=True)
    expected = EXPECTED[case]
    if expected["schema_valid"]:
        assert findings == []
    else:
        assert [(f.code, f.pointer) for f in findings] == list(
            zip(expected["codes"], expected["pointers"], strict=True))


def test_examples_are_up_to_date() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "refresh_example_digests.py"),
                           "--check"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("example", ["minimal", "full"])
def test_every_file_is_indexed_once(example: str) -> None:
    root = EXAMPLES / example
    manifest = json.loads((root / "rex.json").read_text(encoding="utf-8"))
    indexed = [entry["path"] for entry in manifest["files"]]
    on_disk = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert sorted(indexed) == [p for p in on_disk if p != "rex.json"]
    assert len(set(indexed)) == len(indexed)


def test_full_example_fills_every_object() -> None:
    manifest = json.loads((EXAMPLES / "full" / "rex.json").read_text(encoding="utf-8"))
    optional = {"title", "description", "data", "lineage", "replay", "narrative", "governance",
                "redactions", "annotations"}
    assert optional <= set(manifest)
    datasets = manifest["data"]["datasets"]
    assert {"embedded", "reference"} <= {k for d in datasets for k in d}
    assert len(manifest["lineage"]["steps"]) >= 3
    assert manifest["config"]["path"].endswith(".yaml")
    assert all((EXAMPLES / "full" / entry["path"]).stat().st_size < 64 * 1024
               for entry in manifest["files"])


@pytest.mark.parametrize("example", ["minimal", "full"])
def test_whole_export_is_valid(example: str) -> None:
    report = validate(EXAMPLES / example)
    assert [(f.code, f.pointer) for f in report.errors] == []
    assert report.valid


@pytest.mark.parametrize("case", CASES)
def test_whole_export_gives_the_expected_findings(case: str) -> None:
    report = validate(EXAMPLES / "invalid" / case)
    expected = EXPECTED[case]
    assert report.valid is expected["valid"]
    found = {(f.code, f.pointer, f.file) for f in report.findings}
    for wanted in zip(expected["codes"], expected["pointers"], expected["files"],
                      strict=True):
        assert wanted in found, (wanted, sorted(found))
