"""`rexport validate`: exit codes, formats, options, colour, through CliRunner and a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from helpers.exports import read_manifest, seal, write_export, write_manifest
from rexport.cli import cli


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return write_export(tmp_path / "good")


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    root = write_export(tmp_path / "bad")
    (root / "stray.bin").write_bytes(b"\0")
    manifest = read_manifest(root)
    manifest["title"] = "edited after sealing"
    write_manifest(root, manifest)
    return root


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_exit_codes(good: Path, bad: Path, tmp_path: Path) -> None:
    assert invoke(str(good))[0] == 0
    assert invoke(str(bad))[0] == 1
    assert invoke(str(tmp_path / "absent"))[0] == 2
    assert invoke(str(good), str(bad))[0] == 1
    assert invoke(str(bad), str(tmp_path / "absent"), str(good))[0] == 2


def test_usage_errors_exit_2(good: Path) -> None:
    assert invoke()[0] == 2
    assert invoke(str(good), "-o", "yaml")[0] == 2
    assert invoke(str(good), "--select", "REX-Q999")[0] == 2
    assert invoke(str(good), "--ignore", "REX-Q999")[0] == 2  # VAL-04: a typo never hides
    assert invoke(str(good), "--jobs", "0")[0] == 2
    assert invoke(str(good), "--color", "purple")[0] == 2


def test_text_report(bad: Path) -> None:
    code, out = invoke(str(bad), "--color", "never")
    lines = out.splitlines()
    assert code == 1
    assert lines[0] == str(bad)
    assert any("REX-I104" in line and "/export_digest" in line for line in lines)
    assert any(line.strip() == "stray.bin" for line in lines)
    assert lines[-1].startswith(f"{bad}: invalid (2 errors")
    assert "\x1b[" not in out


def test_quiet_and_verbose(bad: Path, good: Path) -> None:
    _, quiet = invoke(str(bad), "-q")
    assert len(quiet.splitlines()) == 1 and "REX-I104" in quiet and "+1 more" in quiet
    assert invoke(str(bad), "-qq") == (1, "")
    assert invoke(str(good), "-q") == (0, "")
    _, verbose = invoke(str(bad), "-v")
    assert "hint: " in verbose and "spec: DIG-04" in verbose


def test_select_ignore_change_the_verdict(bad: Path) -> None:
    assert invoke(str(bad), "--ignore", "REX-I104", "--ignore", "REX-C103")[0] == 0
    code, out = invoke(str(bad), "--select", "integrity", "-o", "json")
    assert code == 1
    assert [f["code"] for f in json.loads(out)["findings"]] == ["REX-I104"]


def test_strict(tmp_path: Path) -> None:
    root = write_export(tmp_path / "run")
    manifest = read_manifest(root)
    manifest["rex_version"] = "1.9"
    write_manifest(root, seal(manifest))
    assert invoke(str(root))[0] == 0
    assert invoke(str(root), "--strict")[0] == 1


@pytest.fixture(scope="module")
def report_schema(repo_root: Path) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        json.loads((repo_root / "schemas/v1/report.schema.json").read_text()))


def test_json_output(good: Path, bad: Path, report_schema: jsonschema.Draft202012Validator
                     ) -> None:
    code, out = invoke(str(bad), "-o", "json")
    doc = json.loads(out)
    report_schema.validate(doc)
    assert code == 1 and doc["valid"] is False
    assert {(f["code"], f["file"], f["pointer"]) for f in doc["findings"]} == {
        ("REX-I104", "rex.json", "/export_digest"), ("REX-C103", "stray.bin", "")}
    code, out = invoke(str(good), str(bad), "--output-format", "json")
    batch = json.loads(out)
    report_schema.validate(batch)
    assert batch["valid"] is False and [r["valid"] for r in batch["reports"]] == [True, False]


def test_sarif_and_junit_output(bad: Path) -> None:
    code, out = invoke(str(bad), "-o", "sarif")
    log = json.loads(out)
    assert code == 1 and log["version"] == "2.1.0"
    assert {r["ruleId"] for r in log["runs"][0]["results"]} == {"REX-I104", "REX-C103"}
    code, out = invoke(str(bad), "-o", "junit")
    suite = ET.fromstring(out.encode()).find("testsuite")
    assert code == 1 and suite is not None and suite.get("failures") == "2"


def test_output_file(bad: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    code, out = invoke(str(bad), "-o", "json", "--output", str(target))
    assert (code, out) == (1, "")
    assert json.loads(target.read_text())["valid"] is False


def test_colour(bad: Path) -> None:
    assert "\x1b[31m" in invoke(str(bad), "--color", "always")[1]
    # auto: CliRunner's stdout is not a terminal
    assert "\x1b[" not in invoke(str(bad))[1]
    # NO_COLOR does not override an explicit request
    assert "\x1b[31m" in invoke(str(bad), "--color", "always", env={"NO_COLOR": "1"})[1]


def test_use_color_auto() -> None:
    from rexport.commands.validate import use_color

    class Tty:
        def isatty(self) -> bool:
            return True

    old = os.environ.pop("NO_COLOR", None)
    try:
        assert use_color("auto", Tty()) is True
        assert use_color("never", Tty()) is False
        os.environ["NO_COLOR"] = "1"
        assert use_color("auto", Tty()) is False
        assert use_color("always", object()) is True
        assert use_color("auto", object()) is False
    finally:
        os.environ.pop("NO_COLOR", None)
        if old is not None:
            os.environ["NO_COLOR"] = old


def test_a_crash_is_a_message_not_a_traceback(good: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    import rexport.validation

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(rexport.validation, "validate", boom)
    result = CliRunner().invoke(cli, ["validate", str(good)])
    assert result.exit_code == 2
    assert "internal error" in result.output and "Traceback" not in result.output


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run([sys.executable, "-m", "rexport", "validate", *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def test_real_process_exit_codes(good: Path, bad: Path, tmp_path: Path) -> None:
    ok = run_cli(str(good))
    assert ok.returncode == 0 and ok.stderr == ""
    assert ok.stdout.strip().endswith("files, 4.4 KiB checked") or "valid" in ok.stdout
    failed = run_cli(str(bad), "-o", "json")
    assert failed.returncode == 1 and json.loads(failed.stdout)["valid"] is False
    missing = run_cli(str(tmp_path / "absent"))
    assert missing.returncode == 2 and "REX-U101" in missing.stdout
    usage = run_cli(str(good), "--jobs", "nope")
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
