"""Helpful messages: the offending value, "did you mean", a partial check never called valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.exports import edit_manifest, write_export
from rexport.cli import cli
from rexport.validation import validate


def findings_of(root: Path, **options: object) -> dict[str, list[tuple[str, str]]]:
    report = validate(root, **options)  # type: ignore[arg-type]
    out: dict[str, list[tuple[str, str]]] = {}
    for f in report.findings:
        out.setdefault(f.code, []).append((f.pointer, f.message))
    return out


def test_s101_shows_the_offending_value_shortened_and_escaped(tmp_path: Path) -> None:
    root = write_export(tmp_path / "e")

    def edit(m: dict[str, object]) -> None:
        m["created"] = "2026-01-15 10:00:00"
        m["files"][0]["role"] = "weights\x1b[2J" + "w" * 80  # type: ignore[index]
        m["files"][0]["size"] = "12"  # type: ignore[index]

    edit_manifest(root, edit)
    found = dict(findings_of(root)["REX-S101"])
    assert found["/created"].endswith('got "2026-01-15 10:00:00"')
    role = found["/files/0/role"]
    assert '"weights\\u001b[2J' in role and "\x1b" not in role
    assert role.endswith('..."') and len(role) < 200
    assert found["/files/0/size"].endswith('got string "12"')


@pytest.mark.parametrize("value", ["AKIAIOSFODNN7EXAMPLE", "ghp_" + "a1B2" * 9,
                                   "https://ci:hunter2secret@git.example.org/x.git"])
def test_s101_withholds_a_value_that_may_be_a_credential(tmp_path: Path, value: str) -> None:
    root = write_export(tmp_path / "e")
    edit_manifest(root, lambda m: m.update(created=value))
    message = dict(findings_of(root)["REX-S101"])["/created"]
    assert value not in message and "withheld" in message


@pytest.mark.parametrize("strict", [False, True])
def test_a_member_one_edit_away_gets_did_you_mean_in_every_mode(tmp_path: Path, strict: bool
                                                                ) -> None:
    root = write_export(tmp_path / "e")

    def edit(m: dict[str, object]) -> None:
        m["titel"] = "typo"
        m["files"][0]["mediatype"] = "text/plain"  # type: ignore[index]
        m["files"][0]["something"] = 1  # type: ignore[index]  # far from any defined name

    edit_manifest(root, edit)
    found = findings_of(root, strict=strict)
    hints = dict(found["REX-S103"])
    assert "did you mean 'title'?" in hints["/titel"]
    assert "did you mean 'media_type'?" in hints["/files/0/mediatype"]
    unknown = [p for p, _ in found.get("REX-S102", [])]
    assert unknown == (["/files/0/something"] if strict else [])
    assert validate(root, strict=strict).valid is not strict


def test_a_misspelt_rex_version_has_its_own_code(tmp_path: Path) -> None:
    root = write_export(tmp_path / "e")
    edit_manifest(root, lambda m: m.update(rex_verison=m.pop("rex_version")))
    found = findings_of(root, strict=True)
    assert [p for p, _ in found["REX-V104"]] == ["/rex_verison"]
    assert [p for p, _ in found["REX-V101"]] == ["/rex_version"]
    assert "REX-S103" not in found and "REX-S102" not in found


def test_select_never_calls_a_partially_checked_export_valid(tmp_path: Path) -> None:
    root = write_export(tmp_path / "e")
    edit_manifest(root, lambda m: m.update(created="yesterday"))
    runner = CliRunner()
    full = runner.invoke(cli, ["validate", str(root)])
    assert full.exit_code == 1
    partial = runner.invoke(cli, ["validate", "--select", "integrity", str(root)])
    assert partial.exit_code == 0
    assert ": valid" not in partial.output and "valid (" not in partial.output
    assert "not checked: " in partial.output and "schema" in partial.output
    doc = json.loads(runner.invoke(cli, ["validate", "--select", "integrity", "-o", "json",
                                         str(root)]).output)
    assert "schema" in doc["skipped"] and "integrity" not in doc["skipped"]
    ignored = json.loads(runner.invoke(cli, ["validate", "--ignore", "REX-K103", "-o", "json",
                                             str(root)]).output)
    assert ignored["skipped"] == ["secrets"]
    whole = json.loads(runner.invoke(cli, ["validate", "-o", "json", str(root)]).output)
    assert "skipped" not in whole
