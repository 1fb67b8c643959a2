"""A replay reads a YAML metrics file as it reads a JSON one (RPL-04)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from helpers.replay_export import build_export
from rexport.cli import cli

SCRIPT = """\
import os, pathlib
seed = int(os.environ["REX_SEED_PYTHON"])
pathlib.Path("replay").mkdir(exist_ok=True)
pathlib.Path("replay/metrics.yaml").write_text(
    "metrics:\\n  - {name: accuracy, split: test, value: %s}\\n"
    "  - {name: loss, split: test, value: 0.25}\\n" % (0.9 + seed / 1000))
"""


def test_yaml_metrics_file(tmp_path: Path) -> None:
    root = build_export(tmp_path / "run", script=SCRIPT,
                        edit=lambda m: m["replay"].update(metrics_file="replay/metrics.yaml"))
    result = CliRunner().invoke(cli, ["replay", "--yes", "-o", "json", str(root)])
    report = json.loads(result.stdout)
    assert result.exit_code == 0 and report["status"] == "reproduced", report


def test_a_yaml_metrics_file_with_an_alias_is_not_read(tmp_path: Path) -> None:
    script = SCRIPT + 'pathlib.Path("replay/metrics.yaml").write_text("a: &x 1\\nb: *x\\n")\n'
    root = build_export(tmp_path / "run", script=script,
                        edit=lambda m: m["replay"].update(metrics_file="replay/metrics.yaml"))
    result = CliRunner().invoke(cli, ["replay", "--yes", "-o", "json", str(root)])
    report = json.loads(result.stdout)
    assert result.exit_code == 2 and report["stage"] == "metrics", report
    assert "anchor" in report["reason"]
