"""Deliberately wrong validators fail the conformance runner, caught by the cases meant to."""

from __future__ import annotations

import io
import json
import math
import shlex
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from rexport.commands.conformance import command
from rexport.conformance.runner import reference, run
from rexport.conformance.suite import Case, load_cases
from rexport.validation import check_manifest

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "conformance-tests"

# A wrong validator here is the reference with one capability removed. Each is a small shell
# script that answers from a table: the reference's report for each case, minus the findings of
# the check it "skips", with verdict and exit code recomputed as the protocol defines them. So
# ~300 runs cost a shell start each, not a validation; the runner sees only a command, its exit
# code and its stdout, as with any other implementation.
SCRIPT = """#!/bin/sh
for last; do :; done
. "{table}/${{last#{suite}/}}.sh"
"""
ALWAYS_VALID = """#!/bin/sh
printf '%s\\n' '{"valid": true, "findings": []}'
"""


@pytest.fixture(scope="module")
def reference_run() -> tuple[dict[str, dict[str, Any]], set[str]]:
    """The reference's report for every case, by case id; and the cases the reference itself
    fails, which the wrong validators fail too without it being their fault."""
    outcomes = run(load_cases(SUITE), reference)
    answers = {o.case.id: o.answer.report or {"valid": False, "findings": []} for o in outcomes}
    return answers, {o.case.id for o in outcomes if not o.passed}


Report = dict[str, Any]


def _wrong_answer(report: Report, strict: bool) -> tuple[str, int]:
    findings = report["findings"]
    failing = {"error", "warning"} if strict else {"error"}
    valid = not any(f["severity"] in failing for f in findings)
    code = 2 if any(f["code"].startswith("REX-U") for f in findings) else 0 if valid else 1
    return json.dumps({"valid": valid, "findings": findings}), code


def _findings(report: Report, keep: Callable[[dict[str, Any]], bool]) -> Report:
    return {**report, "findings": [f for f in report["findings"] if keep(f)]}


def _moved(report: Report, move: Callable[[dict[str, Any]], dict[str, Any]]) -> Report:
    return {**report, "findings": [move(dict(f)) for f in report["findings"]]}


def _table(folder: Path, answers: dict[str, Report],
           change: Callable[[Case, Report], Report]) -> Path:
    """One answer script per case: the reference's report as ``change`` alters it."""
    for case in load_cases(SUITE):
        text, code = _wrong_answer(change(case, answers[case.id]), case.strict)
        target = folder / f"{case.input_path.relative_to(SUITE)}.sh"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"printf '%s\\n' {shlex.quote(text)}\nexit {code}\n",
                          encoding="utf-8")
    return folder


def _run(tmp_path: Path, source: str) -> tuple[int, set[str], list[str]]:
    script = tmp_path / "wrong.sh"
    script.write_text(source, encoding="utf-8")
    script.chmod(0o755)
    result_path = tmp_path / "result.json"
    result = CliRunner().invoke(command, [
        "run", "--suite", str(SUITE), "--validator", f"{script} {{args}} {{path}}",
        "--json", str(result_path), "--jobs", "4"])
    document = json.loads(result_path.read_text(encoding="utf-8"))
    failed = {c["id"] for c in document["cases"] if not c["passed"]}
    return result.exit_code, failed, result.output.splitlines()


def _cases_expecting(code: str) -> set[str]:
    return {c.id for c in load_cases(SUITE) if code in {f.code for f in c.findings}}


@pytest.mark.parametrize(("name", "drop", "code", "examples"), [
    ("skips checksums", {"REX-I102"}, "REX-I102",
     {"invalid-digests-sha256-mismatch", "invalid-digests-sha512-mismatch",
      "invalid-digests-blake2b-mismatch", "invalid-digests-content-changed-zip"}),
    ("ignores unlisted files", {"REX-C103"}, "REX-C103",
     {"invalid-file-index-unlisted-file", "invalid-file-index-unlisted-file-zip",
      "invalid-validator-every-finding-collected"}),
])
def test_a_wrong_validator_is_caught(tmp_path: Path,
                                     reference_run: tuple[dict[str, Any], set[str]], name: str,
                                     drop: set[str], code: str, examples: set[str]) -> None:
    reference_answers, reference_failures = reference_run
    table = _table(tmp_path / "table", reference_answers,
                   lambda c, r: _findings(r, lambda f: f["code"] not in drop))
    exit_code, failed, lines = _run(tmp_path, SCRIPT.format(table=table, suite=SUITE))
    caught = failed - reference_failures
    assert exit_code == 1, name
    # exactly the cases that expect the skipped finding catch it, these among them
    assert caught == _cases_expecting(code) - reference_failures
    assert examples <= caught
    assert lines[-1] == f"{len(reference_answers) - len(failed)} passed, {len(failed)} failed"
    assert all(f"FAIL {case_id} (" in "\n".join(lines) for case_id in examples)


def test_an_always_valid_validator_is_caught(tmp_path: Path) -> None:
    exit_code, failed, _ = _run(tmp_path, ALWAYS_VALID)
    cases = load_cases(SUITE)
    assert exit_code == 1
    # every invalid case, and every case that expects a finding (warnings, info) catches it
    assert failed == {c.id for c in cases if not c.valid or c.findings}
    assert {"invalid-digests-sha256-mismatch", "warning-versioning-newer-minor",
            "valid-validator-manifest-only"} <= failed
    assert "valid-export-minimal" not in failed


# --- the other readings of sentences the spec clarified ---------------------------------------
# A validator that takes the reading the spec no longer allows is the reference with its report
# changed the way that reading changes it; the case made for the clarification must catch it.

def _manifest_of(case: Case) -> Any:
    """The case's manifest, when it is a plain rex.json in a directory export; else None."""
    path = case.input_path / "rex.json"
    try:
        return json.loads(path.read_bytes()) if path.is_file() else None
    except ValueError:
        return None


def _parent_of_ref(finding: dict[str, Any]) -> dict[str, Any]:
    if finding["code"] == "REX-R107" and finding["pointer"].endswith("/$ref"):
        finding["pointer"] = finding["pointer"].rsplit("/", 1)[0]
    return finding


def _seeds_unknown(case: Case, report: Report) -> Report:
    manifest = _manifest_of(case)
    seeds = manifest.get("config", {}).get("seeds", {}) if isinstance(manifest, dict) else {}
    if not case.strict or not isinstance(seeds, dict):
        return report
    extra = [{"code": "REX-S102", "severity": "warning", "file": "rex.json",
              "pointer": f"/config/seeds/{name}"} for name in seeds if not name.startswith("x-")]
    return {**report, "findings": report["findings"] + extra}


def _big_integer(value: Any, at: str = "") -> str | None:
    """The pointer of the first integer beyond ±(2^53-1) in ``value``, if any."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53 - 1:
        return at
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, item in items:
        found = _big_integer(item, f"{at}/{key}")
        if found is not None:
            return found
    return None


def _i104_at_the_integer(case: Case, report: Report) -> Report:
    where = _big_integer(_manifest_of(case))
    if where is None:
        return report
    return _moved(report, lambda f: {**f, "pointer": where} if f["code"] == "REX-I104" else f)


def _tree(case: Case) -> list[tuple[str, int]]:
    """(name, size) of each entry of a zip or directory case; empty for other containers."""
    path = case.input_path
    if path.is_dir():
        return [(p.relative_to(path).as_posix(), p.stat().st_size if p.is_file() else 0)
                for p in path.rglob("*")]
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return [(i.filename, i.file_size) for i in archive.infolist()]
    return []


def _manifest_not_counted(case: Case, report: Report) -> Report:
    if not case.args:  # the default caps are far from every case
        return report
    limits = dict(zip(case.args[::2], map(int, case.args[1::2]), strict=True))
    payload = [(name, size) for name, size in _tree(case) if name != "rex.json"]
    within = {"REX-X113": len(payload) <= limits.get("--max-files", 200_000),
              "REX-X114": sum(s for _, s in payload) <= limits.get("--max-bytes", 2**40)}
    return _findings(report, lambda f: not within.get(f["code"], False))


def _in_manifest(finding: dict[str, Any], *codes: str) -> bool:
    return finding["code"] in codes and finding["file"] == "rex.json"


def _stop_after(codes: tuple[str, ...]) -> Callable[[Case, Report], Report]:
    """A reading in which ``codes`` stop the manifest's checks as the other parse findings do."""
    def change(case: Case, report: Report) -> Report:
        if not any(_in_manifest(f, *codes) for f in report["findings"]):
            return report
        return _findings(report, lambda f: f["file"] != "rex.json"
                         or f["code"].startswith("REX-P"))
    return change


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return 0.0
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return [_finite(v) for v in value] if isinstance(value, list) else value


def _go_on_after_nan(case: Case, report: Report) -> Report:
    """A reading in which a non-finite number is read as some number and the checks go on."""
    path = case.input_path / "rex.json"
    if not path.is_file() or not any(_in_manifest(f, "REX-P105") for f in report["findings"]):
        return report
    manifest = _finite(json.loads(path.read_bytes()))  # Python reads NaN and 1e400
    more = [{"code": f.code, "severity": f.severity.value, "file": f.file, "pointer": f.pointer}
            for f in check_manifest(json.dumps(manifest).encode()).findings]
    return {**report, "findings": report["findings"] + more}


def _no_document_is_fine(case: Case, report: Report) -> Report:
    """A reading in which a YAML file with no document is an empty configuration."""
    def documentless(finding: dict[str, Any]) -> bool:
        path = case.input_path / finding["file"]
        if finding["code"] != "REX-P201" or not path.is_file():
            return False
        events = yaml.parse(path.read_text(encoding="utf-8"))
        return not any(isinstance(e, yaml.DocumentStartEvent) for e in events)
    return _findings(report, lambda f: not documentless(f))


def _end_blocks(case: Case) -> int | None:
    """How many zero blocks follow the last member of a tar case, when nothing else does."""
    if case.input_path.suffix != ".tar":
        return None
    data = case.input_path.read_bytes()
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            last = archive.getmembers()[-1]
    except (tarfile.TarError, IndexError):
        return None
    end = last.offset_data + -(-last.size // 512) * 512
    return None if data[end:].strip(b"\0") else (len(data) - end) // 512


def _end_marker_optional(case: Case, report: Report) -> Report:
    """A reading in which a tar may end after its last member, with the marker or without."""
    if _end_blocks(case) != 0:
        return report
    return _findings(report, lambda f: f["code"] != "REX-X118")


def _end_marker_whole(case: Case, report: Report) -> Report:
    """A reading in which a tar must end with both zero blocks of its end-of-archive marker."""
    if _end_blocks(case) != 1:
        return report
    corrupt = {"code": "REX-X118", "severity": "error", "file": case.input_path.name,
               "pointer": ""}
    return {**report, "findings": [*report["findings"], corrupt]}


READINGS: dict[str, tuple[Callable[[Case, Report], Report], set[str]]] = {
    # CFG-05: an unknown $schema read as 2020-12 instead of refused
    "dialect read as 2020-12": (
        lambda c, r: _findings(r, lambda f: not (f["code"] == "REX-R107"
                                                 and f["pointer"] == "/$schema")),
        {"invalid-config-schema-draft-03", "invalid-config-schema-unknown-draft"}),
    # CFG-05: a remote $ref reported at the schema object that holds it
    "remote $ref at its object": (
        lambda c, r: _moved(r, _parent_of_ref), {"invalid-config-schema-remote-ref-nested"}),
    # VER-04: only the objects the old list named are free-form; seed names are unknown members
    "seeds not free-form": (_seeds_unknown, {"valid-versioning-seed-names-strict"}),
    # DIG-04: a manifest without a canonical form reported at the integer, not the digest
    "no canonical form at the integer": (
        _i104_at_the_integer,
        {"invalid-parse-integer-too-large", "invalid-parse-integer-too-small"}),
    # EXP-03: every parse finding at the empty pointer of rex.json
    "parse findings at the empty pointer": (
        lambda c, r: _moved(r, lambda f: {**f, "pointer": ""} if _in_manifest(
            f, "REX-P103", "REX-P104", "REX-P105") else f),
        {"invalid-parse-duplicate-key", "invalid-parse-nan", "invalid-parse-lone-surrogate"}),
    # EXP-03, VAL-01: a repeated member or a byte order mark stops the checks of the manifest
    "checks stop after a repeated member": (
        _stop_after(("REX-P104",)), {"invalid-parse-duplicate-key-last-value"}),
    "checks stop after a byte order mark": (
        _stop_after(("REX-P102",)), {"invalid-parse-byte-order-mark-checks-go-on"}),
    # EXP-03, VAL-01: a non-finite number read as a number, and the manifest checked on
    "checks go on after NaN": (_go_on_after_nan, {"invalid-parse-nan-stops-checks"}),
    # CFG-02, VAL-06: a YAML finding's pointer is empty, as for a file that is not JSON
    "YAML findings at the empty pointer": (
        lambda c, r: _moved(r, lambda f: {**f, "pointer": ""} if f["code"].startswith("REX-P2")
                            else f),
        {"invalid-config-yaml-finding-pointers"}),
    # CFG-02: an empty YAML file (no document) read as an empty configuration
    "no YAML document is fine": (
        _no_document_is_fine,
        {"invalid-config-yaml-empty", "invalid-config-yaml-comments-only"}),
    # EXP-11: a tar that ends right after its last member is complete
    "tar end marker optional": (_end_marker_optional, {"invalid-archives-tar-no-end-marker"}),
    # EXP-11: a tar that ends after one zero block, half its marker, is truncated
    "tar end marker whole": (_end_marker_whole, {"valid-archives-tar-one-zero-block"}),
    # VER-05: no rule at all inside an extension, the credential rules included
    "no credential rules in extensions": (
        lambda c, r: _findings(r, lambda f: not (
            f["code"] in {"REX-K101", "REX-K103"}
            and any(t.startswith("x-") for t in f["pointer"].split("/")))),
        {"invalid-secrets-credential-in-extension", "warning-secrets-secret-named-extension"}),
    # EXP-04: rex.json left out of the entry and byte caps, as it is left out of the index
    "manifest not counted by the caps": (
        _manifest_not_counted,
        {"invalid-limits-entries-one-over", "invalid-limits-bytes-one-over",
         "invalid-limits-entries-one-over-directory", "invalid-limits-bytes-one-over-directory"}),
}


@pytest.mark.parametrize("reading", sorted(READINGS))
def test_the_other_reading_of_a_clarified_sentence_is_caught(
        tmp_path: Path, reference_run: tuple[dict[str, Any], set[str]], reading: str) -> None:
    transform, examples = READINGS[reading]
    reference_answers, reference_failures = reference_run
    assert not examples & reference_failures
    table = _table(tmp_path / "table", reference_answers, transform)
    exit_code, failed, _ = _run(tmp_path, SCRIPT.format(table=table, suite=SUITE))
    assert exit_code == 1, reading
    assert examples <= failed - reference_failures, reading
