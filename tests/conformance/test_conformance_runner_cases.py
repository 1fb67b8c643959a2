"""The runner trusts no case file: a case that its schema or the protocol does not allow fails as
such, and the validator under test never runs for it (no write, no read outside the suite)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from click.testing import CliRunner
from rexport.commands.conformance import command
from rexport.conformance.runner import command_validator, reference, run
from rexport.conformance.suite import load_cases

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "conformance-tests" / "case.schema.json"
GOOD = ROOT / "conformance-tests" / "v1" / "invalid" / "digests" / "sha256-mismatch"


def _suite(tmp_path: Path, cases: dict[str, dict[str, Any] | str]) -> Path:
    """A suite holding one real case ("good") and ``cases``: name -> expected.json content."""
    suite = tmp_path / "suite"
    (suite / "v1" / "invalid" / "hostile").mkdir(parents=True)
    shutil.copy(SCHEMA, suite / "case.schema.json")
    shutil.copytree(GOOD, suite / "v1" / "invalid" / "hostile" / "good")
    for name, expected in cases.items():
        folder = suite / "v1" / "invalid" / "hostile" / name
        shutil.copytree(GOOD, folder)
        text = expected if isinstance(expected, str) else json.dumps(expected)
        (folder / "expected.json").write_text(text, encoding="utf-8")
    return suite


def _expected(**changes: Any) -> dict[str, Any]:
    base = json.loads((GOOD / "expected.json").read_text(encoding="utf-8"))
    return {**base, **changes}


def _recorder(tmp_path: Path) -> tuple[str, Path]:
    """A validator command that logs every run and writes the file named after --output."""
    log = tmp_path / "runs.log"
    script = tmp_path / "validator.py"
    script.write_text(
        "import json, sys\n"
        f"open({str(log)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        "if '--output' in sys.argv:\n"
        "    open(sys.argv[sys.argv.index('--output') + 1], 'w').write('written')\n"
        "print(json.dumps({'valid': False, 'findings': [{'code': 'REX-I102', "
        "'pointer': '/files/0/digests/sha256'}]}))\n"
        "sys.exit(1)\n", encoding="utf-8")
    return f"{sys.executable} -I {script} {{args}} {{path}}", log


def test_an_option_outside_the_protocol_is_never_passed(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    written = tmp_path / "written-by-validator"
    suite = _suite(tmp_path, {"writes": _expected(args=["--output", str(written)]),
                              "odd": _expected(args=["--max-files"]),
                              "twice": _expected(args=["--max-files", "1", "--max-bytes", "2",
                                                       "--max-files", "3"])})
    template, log = _recorder(tmp_path)
    outcomes = {o.case.name: o for o in run(load_cases(suite), command_validator(template))}
    assert outcomes["good"].passed
    for name in ("writes", "odd", "twice"):
        assert not outcomes[name].passed
        assert outcomes[name].problems and outcomes[name].answer.exit_code is None
    assert not written.exists()
    assert log.read_text(encoding="utf-8").count("\n") == 1  # only the good case ran


def test_the_protocol_is_enforced_even_by_a_permissive_case_schema(tmp_path: Path) -> None:
    """A suite from elsewhere may ship any case.schema.json: the runner's own rules still hold."""
    written = tmp_path / "written-by-validator"
    suite = _suite(tmp_path, {"writes": _expected(args=["--output", str(written)])})
    (suite / "case.schema.json").write_text("{}", encoding="utf-8")
    template, log = _recorder(tmp_path)
    outcomes = {o.case.name: o for o in run(load_cases(suite), command_validator(template))}
    assert not outcomes["writes"].passed and outcomes["good"].passed
    assert not written.exists()
    assert "--output" not in log.read_text(encoding="utf-8")


def test_an_input_outside_the_case_folder_is_never_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    shutil.copytree(GOOD / "export", outside)
    suite = _suite(tmp_path, {"climbs": _expected(input="../../../../../outside"),
                              "absolute": _expected(input=str(outside)),
                              "linked": _expected()})
    linked = suite / "v1" / "invalid" / "hostile" / "linked"
    shutil.rmtree(linked / "export")
    (linked / "export").symlink_to(outside, target_is_directory=True)
    read: list[str] = []

    def spy(case: Any) -> Any:
        read.append(case.name)
        return reference(case)

    outcomes = {o.case.name: o for o in run(load_cases(suite), spy)}
    assert read == ["good"]
    assert [n for n, o in sorted(outcomes.items()) if not o.passed] == [
        "absolute", "climbs", "linked"]


@pytest.mark.parametrize("text", ["{not json", "[" * 50_000 + "]" * 50_000, "[]",
                                  '{"description": "x"}', " " * (2 << 20)],
                         ids=["syntax", "deep", "array", "incomplete", "huge"])
def test_a_broken_case_fails_alone(tmp_path: Path, text: str) -> None:
    suite = _suite(tmp_path, {"broken": text})
    outcomes = {o.case.name: o for o in run(load_cases(suite), reference)}
    assert outcomes["good"].passed
    assert not outcomes["broken"].passed and outcomes["broken"].problems


def test_cli_reports_the_refused_case_and_runs_nothing_for_it(tmp_path: Path) -> None:
    written = tmp_path / "written-by-validator"
    suite = _suite(tmp_path, {"writes": _expected(args=["--output", str(written)])})
    template, log = _recorder(tmp_path)
    result = CliRunner().invoke(command, ["run", "--suite", str(suite), "--validator", template])
    assert result.exit_code == 1, result.output
    assert "FAIL invalid-hostile-writes" in result.output
    assert "args must be pairs" in result.output or "/args" in result.output
    assert result.output.strip().endswith("1 passed, 1 failed")
    assert not written.exists()
    assert log.read_text(encoding="utf-8").count("\n") == 1


@pytest.mark.parametrize(("args", "allowed"), [
    ([], True),
    (["--max-files", "3"], True),
    (["--max-bytes", "4096", "--max-files", "3"], True),
    (["--output", "x"], False),
    (["--max-files"], False),
    (["--max-files", "-1"], False),
    (["--max-files", "3", "--strict"], False),
    (["--max-files", "1", "--max-bytes", "2", "--max-files", "3"], False),
    (["--max-files=3"], False),
])
def test_case_schema_allows_only_protocol_options(args: list[str], allowed: bool) -> None:
    checker = jsonschema_rs.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert checker.is_valid(_expected(args=args)) is allowed
