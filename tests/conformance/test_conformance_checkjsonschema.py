"""check-jsonschema with the bundled schema agrees with the suite: schema-valid cases pass it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers.cases import case_manifest
from rexport.conformance.suite import Case, load_cases

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "schemas" / "v1" / "rex.bundle.schema.json"
CHECK = shutil.which("check-jsonschema")

pytestmark = pytest.mark.slow


def _check(files: list[Path]) -> tuple[int, set[str]]:
    """Run check-jsonschema once over ``files``; its exit code and the files it failed."""
    assert CHECK is not None, "check-jsonschema is part of the test extra"
    done = subprocess.run([CHECK, "--schemafile", str(BUNDLE), "-o", "JSON",
                           *map(str, files)], capture_output=True, check=False)
    report = json.loads(done.stdout)
    failed = {e["filename"] for e in report["errors"]} | {
        e["filename"] for e in report.get("parse_errors", [])}
    return done.returncode, failed


def test_valid_examples_pass() -> None:
    examples = sorted(p for p in (ROOT / "examples").glob("*/rex.json"))
    assert examples, "no example exports"
    code, failed = _check(examples)
    assert (code, failed) == (0, set())


def test_case_manifests_agree_with_schema_valid(tmp_path: Path) -> None:
    marked = [c for c in load_cases(ROOT / "conformance-tests") if c.schema_valid is not None]
    assert len(marked) > 200
    files: dict[Path, Case] = {}
    for case in marked:
        target = tmp_path / f"{case.id}.json"
        target.write_bytes(case_manifest(case))
        files[target] = case
    good = [p for p, c in files.items() if c.schema_valid]
    bad = [p for p, c in files.items() if not c.schema_valid]
    assert len(bad) > 30
    code, failed = _check(good)
    assert (code, sorted(failed)) == (0, [])
    code, failed = _check(bad)
    assert code == 1
    assert sorted(str(p) for p in bad if str(p) not in failed) == []
