"""Replaying examples/classifier: a real scikit-learn experiment in a fresh virtual environment."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers.exports import edit_manifest
from rexport.cli import cli

CLASSIFIER = Path(__file__).resolve().parents[2] / "examples" / "classifier"

pytestmark = pytest.mark.slow


def replay(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["replay", *args, "--yes", "-o", "json"])
    return result.exit_code, json.loads(result.stdout)


def pinned(lockfile: Path) -> dict[str, str]:
    pins = {}
    for line in lockfile.read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, _, version = line.partition("==")
            pins[name.strip().lower().replace("_", "-")] = version.split()[0]
    return pins


def test_classifier_reproduces_in_a_fresh_isolated_venv(tmp_path: Path) -> None:
    code, report = replay(str(CLASSIFIER), "--workdir", str(tmp_path / "work"))
    assert code == 0, (report["reason"], report["output_tail"])
    manifest = json.loads((CLASSIFIER / "rex.json").read_text())
    wanted = {(m["name"], m.get("split")) for m in manifest["replay"]["metrics"]}
    assert {(m["name"], m["split"]) for m in report["metrics"]} == wanted
    assert all(m["passed"] for m in report["metrics"])
    # the venv holds exactly the pinned versions: no pinned package drifted
    lockfile = next(lf["path"] for lf in manifest["environment"]["lockfiles"]
                    if lf["format"] == "pip-requirements")
    pins = pinned(CLASSIFIER / lockfile)
    changed = {d["what"].removeprefix("package ") for d in report["drift"]
               if d["what"].startswith("package ") and d["change"] != "added"}
    assert not changed & set(pins)


def test_classifier_metric_moved_beyond_tolerance(tmp_path: Path) -> None:
    export = tmp_path / "classifier"
    shutil.copytree(CLASSIFIER, export)

    def move(manifest: dict[str, Any]) -> None:
        for metric in manifest["results"]["metrics"]:
            if (metric["name"], metric.get("split")) == ("accuracy", "test"):
                metric["value"] = round(metric["value"] - 0.2, 6)

    edit_manifest(export, move)
    # the interpreter's own packages are reused here: this test is about the verdict, the one
    # above about the isolated environment
    code, report = replay(str(export), "--reuse-site-packages")
    assert code == 1, (report["reason"], report["output_tail"])
    failed = {(m["name"], m["split"]) for m in report["metrics"] if not m["passed"]}
    assert failed == {("accuracy", "test")}
