"""The conformance runner: the protocol (templates, exit codes, JSON), its outputs, suite lookup."""

from __future__ import annotations

import json
import os
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from rexport.commands.conformance import command
from rexport.conformance.runner import command_validator, junit_xml, run
from rexport.conformance.suite import Answer, Case, ExpectedFinding, expand, find_suite, judge

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "conformance-tests" / "v1" / "valid" / "export" / "minimal"
SHA = ROOT / "conformance-tests" / "v1" / "invalid" / "digests" / "sha256-mismatch"


def _case(**changes: object) -> Case:
    base = Case.load(SHA)
    return Case(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def _script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("import json, sys, time\n" + body, encoding="utf-8")
    return f"{sys.executable} -I {path}"


def test_expand_places_args_and_path() -> None:
    case = _case(strict=True, args=("--max-files", "3"))
    path = str(case.input_path)
    assert expand(["v", "{args}", "--json", "{path}"], case) == [
        "v", "--strict", "--max-files", "3", "--json", path]
    assert expand(["v", "--json", "--in={path}"], case) == [
        "v", "--json", "--strict", "--max-files", "3", f"--in={path}"]
    assert expand(["v", "{path}"], _case()) == ["v", path]


def contains(case: Case, answer: Answer) -> list[str]:
    return judge(case, answer, exact=False)


def test_judge_contains_semantics() -> None:
    case = _case(findings=(ExpectedFinding("REX-I102", "/files/1/digests/sha256"),),
                 absent=("REX-C103",))
    wanted = {"code": "REX-I102", "pointer": "/files/1/digests/sha256", "file": "rex.json"}
    extra = {"code": "REX-K103", "severity": "warning", "pointer": "/x"}
    assert contains(case, Answer(1, {"valid": False, "findings": [extra, wanted]})) == []
    moved = {**wanted, "pointer": "/files/2/digests/sha256"}
    assert contains(case, Answer(1, {"valid": False, "findings": [moved]})) == [
        "missing finding REX-I102 at /files/1/digests/sha256"]
    forbidden = {"code": "REX-C103", "pointer": ""}
    assert contains(case, Answer(1, {"valid": False, "findings": [wanted, forbidden]})) == [
        "reported REX-C103, which must not be"]
    assert contains(case, Answer(0, {"valid": True, "findings": [wanted]})) == [
        "exit code 0, expected 1", "valid is true, expected false"]
    assert contains(case, Answer(1, None)) == ["stdout is not a JSON report object"]
    unreadable = _case(exit_code=2, findings=(ExpectedFinding("REX-U101"),))
    assert contains(unreadable, Answer(2, None)) == []  # the report is optional with exit 2
    assert contains(unreadable, Answer(None, error="timed out after 1 s")) == [
        "timed out after 1 s"]


def test_judge_exact_semantics() -> None:
    wanted = {"code": "REX-I102", "severity": "error", "pointer": "/files/1/digests/sha256",
              "file": "rex.json"}
    case = _case(findings=(ExpectedFinding("REX-I102", "/files/1/digests/sha256"),),
                 may_also=(ExpectedFinding("REX-C103", "", "notes.txt"),))
    extra = {"code": "REX-K101", "severity": "error", "pointer": "/x", "file": "rex.json"}
    report = {"valid": False, "findings": [wanted, extra]}
    assert judge(case, Answer(1, report)) == [
        "reported REX-K101 at /x in rex.json, which the case does not allow"]
    assert judge(case, Answer(1, report), exact=False) == []
    # a finding without severity counts as an error; warnings and info stay "contains"
    bare = {"code": "REX-K101", "pointer": "/x"}
    assert judge(case, Answer(1, {"valid": False, "findings": [wanted, bare]})) == [
        "reported REX-K101 at /x, which the case does not allow"]
    notes = [{**extra, "severity": "warning"}, {**extra, "severity": "info"}]
    assert judge(case, Answer(1, {"valid": False, "findings": [wanted, *notes]})) == []
    # may_also: allowed, never required, and only where it says
    allowed = {"code": "REX-C103", "severity": "error", "pointer": "", "file": "notes.txt"}
    assert judge(case, Answer(1, {"valid": False, "findings": [wanted, allowed]})) == []
    elsewhere = {**allowed, "file": "other.txt"}
    assert judge(case, Answer(1, {"valid": False, "findings": [wanted, elsewhere]})) == [
        "reported REX-C103 at (root) in other.txt, which the case does not allow"]
    # the same finding twice is one finding of the set
    assert judge(case, Answer(1, {"valid": False, "findings": [wanted, wanted]})) == []


def test_command_validator_protocol(tmp_path: Path) -> None:
    echo = _script(tmp_path, "echo.py", "print(json.dumps({'valid': False, 'findings': "
                   "[{'code': 'REX-I102', 'pointer': '/files/1/digests/sha256', "
                   "'argv': sys.argv[1:]}]})); sys.exit(1)\n")
    validator = command_validator(echo + " --json {args} {path}")
    case = _case(strict=True)
    answer = validator(case)
    assert answer.exit_code == 1
    assert answer.findings()[0]["argv"] == ["--json", "--strict", str(case.input_path)]


def test_command_validator_failures(tmp_path: Path) -> None:
    slow = command_validator(_script(tmp_path, "slow.py", "time.sleep(5)\n") + " {path}",
                             timeout=0.3)
    assert judge(_case(), slow(_case())) == ["timed out after 0.3 s"]
    noise = command_validator(_script(tmp_path, "noise.py", "print('hello')\n") + " {path}")
    assert "stdout is not a JSON report object" in judge(_case(), noise(_case()))


@pytest.mark.parametrize("template", ["no-such-validator-here {path}", "python -c pass"])
def test_unusable_validator_is_a_usage_error(template: str) -> None:
    result = CliRunner().invoke(command, ["run", "--validator", template])
    assert result.exit_code == 2


def _tiny_suite(tmp_path: Path) -> Path:
    suite = tmp_path / "conformance-tests"
    for source in (MINIMAL, SHA):
        target = suite / source.relative_to(ROOT / "conformance-tests")
        shutil.copytree(source, target)
    shutil.copy(ROOT / "conformance-tests" / "case.schema.json", suite)
    return suite


def test_cli_run_outputs(tmp_path: Path) -> None:
    suite = _tiny_suite(tmp_path)
    always = _script(tmp_path, "always.py", "print('{\"valid\": true, \"findings\": []}')\n")
    junit, result_json = tmp_path / "r.xml", tmp_path / "r.json"
    result = CliRunner().invoke(command, [
        "run", "--suite", str(suite), "--validator", always + " {path}",
        "--junit", str(junit), "--json", str(result_json)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[-1] == "1 passed, 1 failed"
    assert lines[0] == "FAIL invalid-digests-sha256-mismatch (v1/invalid/digests/sha256-mismatch)"
    assert any(line.startswith("  expected: exit 1, valid=false, findings include REX-I102")
               for line in lines)
    document = json.loads(result_json.read_text(encoding="utf-8"))
    assert (document["kind"], document["passed"], document["failed"]) == (
        "rex-conformance-result", 1, 1)
    assert [c["id"] for c in document["cases"] if not c["passed"]] == [
        "invalid-digests-sha256-mismatch"]
    tree = ET.parse(junit).getroot()
    assert tree.get("tests") == "2" and tree.get("failures") == "1"
    failed = [t.get("name") for t in tree.iter("testcase") if t.find("failure") is not None]
    assert failed == ["invalid-digests-sha256-mismatch"]


def test_cli_run_reference_passes_selection(tmp_path: Path) -> None:
    result = CliRunner().invoke(command, ["run", "--suite", str(_tiny_suite(tmp_path)),
                                          "-k", "valid-export-*", "-v"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["ok   valid-export-minimal", "1 passed, 0 failed"]


def test_junit_is_well_formed_without_failures() -> None:
    case = Case.load(MINIMAL)
    outcomes = run([case], lambda c: Answer(0, {"valid": True, "findings": []}))
    root = ET.fromstring(junit_xml(outcomes))
    assert root.get("failures") == "0"
    assert [t.get("classname") for t in root.iter("testcase")] == ["v1.valid.export"]


def test_suite_is_found_upward_from_the_working_directory(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    suite = _tiny_suite(tmp_path)
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_suite(cwd=deep) == suite
    monkeypatch.chdir(deep)
    monkeypatch.setenv("REX_CONFORMANCE_SUITE", str(suite))
    result = CliRunner().invoke(command, ["run", "-k", "valid-*"], env=dict(os.environ))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "1 passed, 0 failed"


def test_suite_found_next_to_the_package_from_anywhere(tmp_path: Path) -> None:
    # a checkout: the package lives in validator/rexport, the suite two levels up
    assert find_suite(cwd=tmp_path) == ROOT / "conformance-tests"


@pytest.mark.slow
def test_reference_cli_speaks_the_protocol(tmp_path: Path) -> None:
    # a sample through `python -m rexport validate -o json`: each container kind, --strict,
    # the caps options, and an unreadable input (exit code 2)
    patterns = ["valid-archives-tar", "valid-archives-tgz", "invalid-archives-zip-trailing-data",
                "invalid-digests-sha512-mismatch", "invalid-versioning-newer-minor-strict",
                "invalid-limits-too-many-entries", "invalid-validator-input-not-found",
                "valid-validator-manifest-only"]
    template = f"{sys.executable} -m rexport validate -o json {{args}} {{path}}"
    result_path = tmp_path / "result.json"
    args = ["run", "--validator", template, "--json", str(result_path), "-j", "4"]
    result = CliRunner().invoke(command, [*args, *(a for p in patterns for a in ("-k", p))])
    assert result.exit_code == 0, result.output
    document = json.loads(result_path.read_text(encoding="utf-8"))
    assert sorted(c["id"] for c in document["cases"]) == sorted(patterns)
