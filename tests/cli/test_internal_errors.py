"""A bug met on one input is that input's finding (REX-U104, exit 2), never a traceback, and it
never hides the reports of the other inputs; badge and replay never crash on what they read."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers.exports import build_manifest, write_export
from rexport.cli import cli

FILES = {"code/train.py": b"print(1)\n"}


def _export(root: Path) -> Path:
    return write_export(root, FILES, build_manifest(FILES))


@pytest.fixture
def crashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the reference checks raise for every export whose folder name holds 'crash'."""
    from rexport.checks import references

    real = references.check

    def check(manifest: Any, **options: Any) -> Any:
        if "crash" in manifest.get("title", ""):
            raise RuntimeError("boom \x1b[2J")
        return real(manifest, **options)

    monkeypatch.setattr(references, "check", check)


def _crash_export(root: Path) -> Path:
    return write_export(root, FILES, build_manifest(FILES, title="crash here"))


def test_api_returns_an_internal_error_finding(tmp_path: Path, crashing: None,
                                               capfd: pytest.CaptureFixture[str]) -> None:
    import rexport

    report = rexport.validate(_crash_export(tmp_path / "c"))
    assert [(f.code, f.file) for f in report.findings] == [("REX-U104", report.path)]
    assert report.exit_code == 2 and not report.valid
    assert "\x1b" not in report.findings[0].message
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_every_path_is_reported_when_one_crashes(tmp_path: Path, crashing: None,
                                                 fmt: str) -> None:
    a, b = _export(tmp_path / "a"), _export(tmp_path / "b")
    c = _crash_export(tmp_path / "c")
    result = CliRunner().invoke(cli, ["validate", "-o", fmt, "--color", "never",
                                      str(a), str(b), str(c)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    if fmt == "json":
        reports = json.loads(result.stdout)["reports"]
        assert [r["path"] for r in reports] == [str(a), str(b), str(c)]
        assert [r["valid"] for r in reports] == [True, True, False]
        assert [f["code"] for f in reports[2]["findings"]] == ["REX-U104"]
    else:
        assert f"{a}: valid" in result.output and f"{b}: valid" in result.output
        assert f"{c}: unreadable" in result.output and "REX-U104" in result.output


def test_replay_refuses_an_export_whose_check_raises(tmp_path: Path, crashing: None) -> None:
    from rexport.replay.session import replay

    report = replay(_crash_export(tmp_path / "c"))
    assert report.exit_code == 2 and report.stage == "validate"
    assert [f.get("code") for f in report.findings] == ["REX-U104"]


def test_badge_of_an_export_whose_check_raises(tmp_path: Path, crashing: None) -> None:
    out = tmp_path / "badge.svg"
    result = CliRunner().invoke(cli, ["badge", str(_crash_export(tmp_path / "c")),
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "unreadable" in result.output and out.is_file()


def _result(**values: Any) -> dict[str, Any]:
    return {"kind": "rex-conformance-result", "spec_version": "1.0", "cases": [], **values}


@pytest.mark.parametrize("text", [
    json.dumps(_result(passed="300", failed=0)),
    json.dumps(_result(passed=-5, failed=0)),
    json.dumps(_result(passed=3, failed=-1)),
    json.dumps(_result(passed=True, failed=False)),
    json.dumps(_result(passed=2.0, failed=0)),
    '{"kind": "rex-conformance-result", "passed": Infinity, "failed": 0, "cases": []}',
    '{"kind": "rex-conformance-result", "passed": 1, "failed": NaN, "cases": []}',
    json.dumps(_result(failed=0)),
], ids=["string", "negative", "negative-failed", "booleans", "float", "infinity", "nan",
        "missing"])
def test_a_malformed_conformance_result_gives_no_badge(tmp_path: Path, text: str) -> None:
    path = tmp_path / "conformance.json"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "badge.svg"
    result = CliRunner().invoke(cli, ["badge", str(path), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "not a usable conformance result" in result.output
    assert not out.exists()


def test_a_deeply_nested_result_is_no_crash(tmp_path: Path) -> None:
    """Too deep to read as a result: it is validated as the bare manifest its name allows."""
    path = tmp_path / "conformance.json"
    path.write_text('{"kind": "rex-conformance-result", "cases": ' + "[" * 100_000
                    + "]" * 100_000 + "}", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "rexport", "badge", str(path),
                           "-o", str(tmp_path / "badge.svg")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0
    assert "conformant" not in done.stdout
