"""The reference validator passes every conformance case; the suite covers spec and catalogue."""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from rexport.conformance.lint import lint, spec_sections
from rexport.conformance.runner import reference
from rexport.conformance.suite import Case, judge, load_cases
from rexport.findings import CATALOGUE, EXTENSION_FAMILIES

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "conformance-tests"
CASES = load_cases(SUITE)


def _param(case: Case) -> object:
    return pytest.param(case, id=f"{case.outcome}-{case.area}-{case.name}")


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_reference_validator_passes(case: Case) -> None:
    answer = reference(case)
    assert judge(case, answer) == [], answer.summary()


def test_suite_is_large_enough() -> None:
    assert len(CASES) >= 100
    assert {c.outcome for c in CASES} == {"valid", "invalid", "warning"}


def test_suite_lints_clean() -> None:
    assert lint(SUITE, sections=spec_sections(ROOT / "spec" / "v1")) == []


# codes of inputs beyond the spec's (VAL-09), which no validator owes, and their sections
EXTENSIONS = {r.code for r in CATALOGUE.values() if r.family in EXTENSION_FAMILIES}
EXTENSION_SECTIONS = ({r.section for r in CATALOGUE.values() if r.code in EXTENSIONS}
                      - {r.section for r in CATALOGUE.values() if r.code not in EXTENSIONS})


def test_every_spec_section_has_a_case() -> None:
    sections = spec_sections(ROOT / "spec" / "v1")
    assert len(sections) > 50  # the spec is there and its ids were found
    cited = {s for c in CASES for s in c.sections}
    assert sorted(sections - cited - EXTENSION_SECTIONS) == []
    assert not cited & EXTENSION_SECTIONS


# an input that exists but cannot be read (permissions, an I/O error) cannot be committed,
# and an internal error of the validator is a bug that no case may provoke
UNCOMMITTABLE = {"REX-U103", "REX-U104"}


def test_every_catalogue_code_is_expected_by_a_case() -> None:
    expected = {f.code for c in CASES for f in c.findings}
    assert set(CATALOGUE) >= UNCOMMITTABLE
    assert sorted(set(CATALOGUE) - expected - UNCOMMITTABLE - EXTENSIONS) == []
    assert EXTENSIONS and not expected & EXTENSIONS


def test_every_container_kind_has_valid_and_invalid_cases() -> None:
    for suffix in ("export", "export.tar", "export.tar.gz", "export.tgz", "export.zip",
                   "rex.json"):
        kinds = {c.outcome for c in CASES if c.input == suffix}
        assert {"valid", "invalid"} <= kinds or suffix == "export.tgz", (suffix, kinds)


def _version(case: Case) -> object:
    if not case.input_path.is_dir():
        return None
    manifest = json.loads((case.input_path / "rex.json").read_bytes())
    return manifest.get("rex_version") if isinstance(manifest, dict) else None


def test_schema_version_compatibility_is_covered() -> None:
    by_version = [(c, _version(c)) for c in CASES if c.area == "versioning"]
    # the oldest minor is read as it is; a newer minor warns and stays valid (and fails strict)
    assert any(v == "1.0" and c.valid for c, v in by_version)
    newer = [c for c, v in by_version if isinstance(v, str) and v.startswith("1.") and v != "1.0"]
    assert any(c.valid and "REX-V103" in {f.code for f in c.findings} for c in newer)
    assert any(c.strict and not c.valid for c in newer)
    # an unknown major is refused
    assert any(v == "2.0" and not c.valid and c.findings[0].code == "REX-V102"
               for c, v in by_version)
    # unknown members: valid and unreported by default, reported and invalid with --strict
    assert any(c.valid and not c.strict and "REX-S102" in c.absent for c, _ in by_version)
    assert any(c.strict and not c.valid and "REX-S102" in {f.code for f in c.findings}
               for c, _ in by_version)


@pytest.mark.slow
def test_generator_reproduces_the_suite(tmp_path: Path) -> None:
    out = tmp_path / "v1"
    subprocess.run([sys.executable, str(SUITE / "tools" / "generate.py"), "--out", str(out)],
                   check=True, capture_output=True)
    committed = sorted(p.relative_to(SUITE / "v1") for p in (SUITE / "v1").rglob("*"))
    generated = sorted(p.relative_to(out) for p in out.rglob("*"))
    assert committed == generated
    different = [str(p) for p in committed if (SUITE / "v1" / p).is_file()
                 and not filecmp.cmp(SUITE / "v1" / p, out / p, shallow=False)]
    if "ng" in zlib.ZLIB_RUNTIME_VERSION:
        # zlib-ng deflates the same data to other (equally valid) bytes: compare the rest
        different = [p for p in different if not p.lower().endswith((".gz", ".tgz", ".zip"))]
    assert different == []
