"""The suite's lint finds what is wrong with a case folder; the CLI reports it and exits 1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rexport.commands.conformance import command
from rexport.conformance.lint import lint

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = b'{"rex_version": "1.0"}\n'


def _suite(tmp_path: Path) -> Path:
    suite = tmp_path / "conformance-tests"
    suite.mkdir()
    shutil.copy(ROOT / "conformance-tests" / "case.schema.json", suite)
    return suite


def _case(suite: Path, where: str, expected: Any, files: dict[str, bytes] | None = None) -> Path:
    folder = suite / "v1" / where
    folder.mkdir(parents=True)
    text = expected if isinstance(expected, str) else json.dumps(expected)
    (folder / "expected.json").write_text(text, encoding="utf-8")
    for name, data in (files if files is not None else {"export/rex.json": MANIFEST}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


GOOD = {"description": "a good case", "valid": False,
        "findings": [{"code": "REX-I102", "pointer": "/files/0/digests/sha256"}],
        "sections": ["DIG-02"]}


def test_a_clean_suite_has_no_problems(tmp_path: Path) -> None:
    suite = _suite(tmp_path)
    _case(suite, "invalid/digests/good", GOOD)
    _case(suite, "valid/export/good", {"description": "valid", "valid": True,
                                       "sections": ["EXP-01"]})
    assert lint(suite, sections={"DIG-02", "EXP-01"}) == []


@pytest.mark.parametrize(("where", "expected", "files", "problem"), [
    ("invalid/digests/bad", {**GOOD, "extra": 1}, None, "Additional properties"),
    ("invalid/digests/bad", {**GOOD, "findings": [{"code": "REX-Z999"}]}, None,
     "unknown finding code REX-Z999"),
    ("invalid/digests/bad", {**GOOD, "valid": True}, None, "valid is true in an invalid/ case"),
    ("invalid/digests/bad", {**GOOD, "findings": []}, None, "names at least one finding code"),
    ("warning/digests/bad", {**GOOD, "valid": True}, None, "at least one warning code"),
    ("valid/digests/bad", {**GOOD, "valid": True}, None, "lists only info codes"),
    ("invalid/digests/bad", {**GOOD, "exit_code": 2}, None, "exit_code 2 does not fit"),
    ("invalid/digests/bad", {**GOOD, "args": ["--max-files"]}, None, "expected.json/args"),
    ("invalid/digests/bad", {**GOOD, "args": ["--jobs", "2"]}, None, "expected.json/args/0"),
    ("invalid/digests/bad", {**GOOD, "sections": ["ZZZ-01"]}, None, "ZZZ-01 is not in the spec"),
    ("invalid/digests/bad", {**GOOD, "absent": ["REX-I102"]}, None,
     "both expected (or allowed) and absent"),
    ("invalid/digests/bad", {**GOOD, "may_also": [{"code": "REX-C103"}], "absent": ["REX-C103"]},
     None, "both expected (or allowed) and absent"),
    ("invalid/digests/bad", {**GOOD, "may_also": GOOD["findings"]}, None,
     "both required and allowed"),
    ("invalid/digests/bad", {**GOOD, "may_also": [{"code": "REX-K103"}]}, None,
     "may_also lists only error codes"),
    ("invalid/digests/bad", {**GOOD, "may_also": [{"code": "REX-Z999"}]}, None,
     "unknown finding code REX-Z999"),
    ("invalid/digests/bad", {**GOOD, "findings": [{"code": "REX-S101"}], "schema_valid": True},
     None, "schema_valid is true"),
    ("invalid/digests/bad", {**GOOD, "description": "x" * 81}, None, "is longer than 80"),
    ("invalid/digests/bad", '{"description": "a", "description": "b"}', None, "duplicate key"),
    ("invalid/digests/bad", GOOD, {"export/rex.json": MANIFEST, "notes.txt": b"x"},
     "stray entry notes.txt"),
    ("invalid/digests/bad", GOOD, {"export/rex.json": MANIFEST, "export.zip": b"PK"},
     "holds 2 exports"),
    ("invalid/digests/bad", GOOD, {"export.zip": b"not a zip"}, "is not a zip archive"),
    ("invalid/digests/bad", GOOD, {"export/code.py": b"x"}, "has no rex.json"),
    ("invalid/digests/Bad_Name", GOOD, None, "not a case folder"),
    ("broken/digests/bad", GOOD, None, "not one of valid, invalid, warning"),
])
def test_lint_finds_each_problem(tmp_path: Path, where: str, expected: Any,
                                 files: dict[str, bytes] | None, problem: str) -> None:
    suite = _suite(tmp_path)
    _case(suite, where, expected, files)
    problems = lint(suite, sections={"DIG-02", "EXP-01"})
    assert any(problem in p for p in problems), problems


def test_a_misnamed_archive_may_be_a_case_expecting_x118(tmp_path: Path) -> None:
    # VAL-02: a name that promises an archive the bytes are not is an invalid export (EXP-11)
    suite = _suite(tmp_path)
    _case(suite, "invalid/validator/misnamed", {
        "description": "a .zip of text", "valid": False, "sections": ["DIG-02"],
        "findings": [{"code": "REX-X118", "pointer": ""}]}, {"export.zip": b"not a zip"})
    assert lint(suite, sections={"DIG-02"}) == []


MADE = {**GOOD, "mutation": "the full export with one sha256 changed; re-sealed",
        "generated_by": "cases_digests.py:_sha256"}


@pytest.mark.parametrize(("expected", "problem"), [
    (GOOD, "no generated_by"),
    ({**MADE, "generated_by": "cases_digests.py:_sha512"}, "no such function in tools/"),
    ({**MADE, "generated_by": "cases_other.py:_sha256"}, "no such function in tools/"),
    ({**MADE, "generated_by": "../cases_digests.py:_sha256"}, "does not match"),
    ({k: v for k, v in MADE.items() if k != "mutation"}, "mutation"),
    ({**MADE, "mutation": "two\nlines"}, "does not match"),
    ({**MADE, "mutation": "x" * 201}, "is longer than 200"),
])
def test_a_suite_with_its_generator_says_who_made_each_case(tmp_path: Path, expected: Any,
                                                             problem: str) -> None:
    suite = _suite(tmp_path)
    (suite / "tools").mkdir()
    (suite / "tools" / "generate.py").write_text("import cases_digests\n", encoding="utf-8")
    (suite / "tools" / "cases_digests.py").write_text(
        '@case("invalid", "digests", "good", "a good case", ["DIG-02"])\n'
        'def _sha256(x):\n    """What changed."""\n\n\ndef helper():\n    def _sha512(x):\n'
        '        pass\n', encoding="utf-8")
    _case(suite, "invalid/digests/good", expected)
    problems = lint(suite, sections={"DIG-02"})
    assert any(problem in p for p in problems), problems


def test_a_generated_case_that_names_its_function_is_clean(tmp_path: Path) -> None:
    suite = _suite(tmp_path)
    (suite / "tools").mkdir()
    (suite / "tools" / "generate.py").write_text("", encoding="utf-8")
    (suite / "tools" / "cases_digests.py").write_text("def _sha256(x):\n    pass\n",
                                                      encoding="utf-8")
    _case(suite, "invalid/digests/good", MADE)
    assert lint(suite, sections={"DIG-02"}) == []


def test_descriptions_must_be_unique(tmp_path: Path) -> None:
    suite = _suite(tmp_path)
    _case(suite, "invalid/digests/one", GOOD)
    _case(suite, "invalid/digests/two", GOOD)
    problems = lint(suite)
    assert problems == ["v1/invalid/digests/two: description also used by v1/invalid/digests/one"]


def test_cli_lint_exit_codes(tmp_path: Path) -> None:
    suite = _suite(tmp_path)
    _case(suite, "invalid/digests/good", GOOD)
    runner = CliRunner()
    clean = runner.invoke(command, ["lint", "--suite", str(suite)])
    assert clean.exit_code == 0, clean.output
    assert clean.output.splitlines()[-1] == "1 cases, 0 problems"
    _case(suite, "invalid/digests/bad", {**GOOD, "description": "other",
                                         "findings": [{"code": "REX-Z999"}]})
    dirty = runner.invoke(command, ["lint", "--suite", str(suite)])
    assert dirty.exit_code == 1
    assert "unknown finding code REX-Z999" in dirty.output
    missing = runner.invoke(command, ["lint", "--suite", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2


def test_repository_suite_lints_through_the_cli() -> None:
    result = CliRunner().invoke(command, ["lint", "--suite", str(ROOT / "conformance-tests")])
    assert result.exit_code == 0, result.output
