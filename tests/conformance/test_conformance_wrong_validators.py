"""Deliberately wrong validators fail the conformance runner, caught by the cases meant to."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rexport.commands.conformance import command
from rexport.conformance.runner import reference, run
from rexport.conformance.suite import Answer, Case, judge, load_cases

from conformance.readings import READINGS, Report, findings

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


def _wrong_answer(report: Report, strict: bool) -> tuple[str, int]:
    findings = report["findings"]
    failing = {"error", "warning"} if strict else {"error"}
    valid = not any(f["severity"] in failing for f in findings)
    code = 2 if any(f["code"].startswith("REX-U") for f in findings) else 0 if valid else 1
    return json.dumps({"valid": valid, "findings": findings}), code


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
                   lambda c, r: findings(r, lambda f: f["code"] not in drop))
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


@pytest.mark.parametrize("reading", sorted(READINGS))
def test_the_other_reading_of_a_clarified_sentence_is_caught(
        reference_run: tuple[dict[str, Any], set[str]], reading: str) -> None:
    # judged in this process, as the runner judges what a command printed (the runs above
    # show the way through a command)
    transform, examples = READINGS[reading]
    reference_answers, reference_failures = reference_run
    assert not examples & reference_failures
    failed = set()
    for case in load_cases(SUITE):
        text, code = _wrong_answer(transform(case, reference_answers[case.id]), case.strict)
        if judge(case, Answer(code, json.loads(text))):
            failed.add(case.id)
    assert examples <= failed, reading


def test_another_order_of_findings_passes_every_case(
        reference_run: tuple[dict[str, Any], set[str]]) -> None:
    # VAL-04, VAL-10: the order of findings, across files and within one, is never judged
    reference_answers, reference_failures = reference_run
    several = 0
    for case in load_cases(SUITE):
        report = reference_answers[case.id]
        shuffled = {**report, "findings": list(reversed(report["findings"]))}
        several += len({f["file"] for f in report["findings"]}) > 1
        text, code = _wrong_answer(shuffled, case.strict)
        assert judge(case, Answer(code, json.loads(text))) == [] or case.id in \
            reference_failures, case.id
    assert several > 10  # the files after rex.json come in another order in these
