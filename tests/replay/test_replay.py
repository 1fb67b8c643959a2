"""`rexport replay` end to end on small exports: reproduced, not reproduced, could not run."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers.archives import Member, pack
from helpers.exports import edit_manifest
from helpers.replay_export import build_export
from rexport.cli import cli


def replay(*args: str, input: str | None = None) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["replay", *args, "-o", "json"], input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in report["metrics"]}


def test_replay_reproduces_recorded_metrics(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "caller-secret-value")
    root = build_export(tmp_path / "run")
    work = tmp_path / "work"
    code, report = replay(str(root), "--yes", "--workdir", str(work))
    assert code == 0, report
    assert report["status"] == "reproduced"
    metrics = by_name(report)
    # 0.907 comes only from the recorded seed 7 reaching the command
    assert metrics["accuracy"]["got"] == pytest.approx(0.907)
    assert metrics["accuracy"]["passed"] and metrics["loss"]["passed"]
    assert metrics["accuracy"]["tolerance"] == {"absolute": 0.01}
    assert report["wall_seconds"] > 0
    assert "trained with seed 7" in report["output_tail"]
    assert report["environment_cache"] == "miss"
    # recorded but not in the (empty) lockfile, so not in the replay's environment
    drift = {(d["what"], d["change"]) for d in report["drift"]}
    assert {("package numpy", "removed"), ("package scikit-learn", "removed")} <= drift


def test_replay_environment_is_allowlisted(tmp_path: Path, replay_cache: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "caller-secret-value")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    root = build_export(tmp_path / "run")
    work = tmp_path / "work"
    code, _ = replay(str(root), "--yes", "--workdir", str(work))
    assert code == 0
    seen = json.loads((work / "export" / "replay" / "env.json").read_text())
    assert "AWS_SECRET_ACCESS_KEY" not in seen and "PYTHONPATH" not in seen
    assert seen["REX_SEED_PYTHON"] == "7" and seen["REX_SEED_NUMPY"] == "7"
    assert json.loads(seen["REX_SEEDS"]) == {"python": 7, "numpy": 7}
    assert seen["PYTHONHASHSEED"] == "0"
    assert seen["OMP_NUM_THREADS"] == "1"  # declared in replay.environment
    assert Path(seen["HOME"]).is_relative_to(work)
    assert Path(seen["VIRTUAL_ENV"]).parent == replay_cache / "rexport" / "envs"


def test_metric_moved_beyond_tolerance_is_not_reproduced(tmp_path: Path) -> None:
    root = build_export(tmp_path / "run")
    edit_manifest(root, lambda m: m["results"]["metrics"][0].update(value=0.95))
    code, report = replay(str(root), "--yes")
    assert code == 1
    assert report["status"] == "not-reproduced"
    metrics = by_name(report)
    assert not metrics["accuracy"]["passed"]
    assert metrics["accuracy"]["expected"] == 0.95
    assert metrics["loss"]["passed"]
    text = CliRunner().invoke(cli, ["replay", str(root), "--yes"])
    assert text.exit_code == 1
    assert "FAIL accuracy (test)" in text.stdout


def test_relative_tolerance_allows_a_proportional_move(tmp_path: Path) -> None:
    root = build_export(tmp_path / "run")
    # recorded 0.27, replayed 0.25: 0.02 <= 0.1 * 0.27, so within the relative bound
    edit_manifest(root, lambda m: m["results"]["metrics"][1].update(value=0.27))
    code, report = replay(str(root), "--yes")
    assert code == 0, report
    assert by_name(report)["loss"]["delta"] == pytest.approx(-0.02)


FAILING = """\
import sys
for n in range(80):
    print("line", n)
sys.exit(3)
"""


def test_failing_command_gives_exit_2_with_output_tail(tmp_path: Path) -> None:
    root = build_export(tmp_path / "run", script=FAILING)
    code, report = replay(str(root), "--yes")
    assert code == 2
    assert (report["stage"], report["returncode"]) == ("run", 3)
    assert report["output_tail"][-1] == "line 79"
    assert len(report["output_tail"]) == 50


SLOW = """\
import subprocess, sys, time
print("started", flush=True)
# a child in the same process group: the timeout must end it too
subprocess.Popen([sys.executable, "-c",
                  "import time, pathlib; time.sleep(1.5); pathlib.Path('late-marker').touch()"])
time.sleep(60)
"""


def test_timeout_kills_the_process_group(tmp_path: Path) -> None:
    root = build_export(tmp_path / "run", script=SLOW)
    work = tmp_path / "work"
    start = time.monotonic()
    code, report = replay(str(root), "--yes", "--timeout", "0.5", "--workdir", str(work))
    assert code == 2
    assert report["stage"] == "run" and report["returncode"] is None
    assert report["output_tail"] == ["started"]
    time.sleep(max(0.0, 2.5 - (time.monotonic() - start)))
    assert not (work / "export" / "late-marker").exists()


MARKER = """\
import pathlib
pathlib.Path(__file__).resolve().parents[2].joinpath("MARKER").touch()
# version 1
"""


def test_no_terminal_and_no_yes_runs_nothing(tmp_path: Path) -> None:
    root = build_export(tmp_path / "run", script=MARKER)
    work = tmp_path / "w" / "work"
    code, report = replay(str(root), "--workdir", str(work), input="y\n")
    assert code == 2 and report["stage"] == "plan"
    assert not work.exists()


@pytest.mark.parametrize(("answer", "code"), [("n\n", 2), ("y\n", 0)])
def test_confirmation_decides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: str,
                              code: int) -> None:
    monkeypatch.setattr("rexport.commands.replay.interactive", lambda: True)
    root = build_export(tmp_path / "run")
    result = CliRunner().invoke(cli, ["replay", str(root)], input=answer)
    assert result.exit_code == code
    assert "python code/train.py" in result.stdout  # what would run is shown before asking


def test_tampered_file_runs_nothing(tmp_path: Path) -> None:
    root = build_export(tmp_path / "run", script=MARKER)
    # the same size, other bytes: only the digest can tell
    (root / "code" / "train.py").write_text(MARKER.replace("version 1", "version 2"))
    work = tmp_path / "w" / "work"
    code, report = replay(str(root), "--yes", "--workdir", str(work))
    assert code == 2 and report["stage"] == "validate"
    assert "REX-I102" in {f["code"] for f in report["findings"]}
    assert not work.exists() and not (tmp_path / "MARKER").exists()


def test_traversal_archive_runs_nothing(tmp_path: Path) -> None:
    root = build_export(tmp_path / "run", script=MARKER)
    archive = pack(root, tmp_path / "run.tar", extra=[Member("../escaped.txt", b"outside")])
    work = tmp_path / "w" / "work"
    code, report = replay(str(archive), "--yes", "--workdir", str(work))
    assert code == 2 and report["stage"] == "validate"
    assert "REX-X101" in {f["code"] for f in report["findings"]}
    assert not work.exists() and not (tmp_path / "MARKER").exists()
    assert not list(tmp_path.rglob("escaped.txt"))


def test_unknown_interpreter_is_refused(tmp_path: Path) -> None:
    root = build_export(tmp_path / "run", script=MARKER)
    code, report = replay(str(root), "--yes", "--python", "rexport-no-such-python")
    assert code == 2 and report["stage"] == "plan"
    assert not (tmp_path / "MARKER").exists()


def test_bare_manifest_is_refused(tmp_path: Path) -> None:
    root = build_export(tmp_path / "run", script=MARKER)
    code, report = replay(str(root / "rex.json"), "--yes")
    assert code == 2 and report["stage"] == "validate"
    assert not (tmp_path / "MARKER").exists()


def test_export_without_replay_section_is_refused(tmp_path: Path) -> None:
    root = build_export(tmp_path / "run", edit=lambda m: m.pop("replay"))
    code, report = replay(str(root), "--yes")
    assert code == 2 and report["stage"] == "plan"


def test_missing_metrics_file_is_exit_2(tmp_path: Path) -> None:
    root = build_export(tmp_path / "run", script="print('no metrics written')\n")
    code, report = replay(str(root), "--yes")
    assert code == 2 and report["stage"] == "metrics"
    assert report["output_tail"] == ["no metrics written"]


@pytest.mark.parametrize(("lockfile", "stage"), [
    ("./vendor/package\n", "environment"),  # a local path: the replay's own refusal
    ("-r /etc/hosts\n", "validate"),  # an include: an invalid export already (ENV-03)
])
def test_lockfile_reading_other_files_is_refused(tmp_path: Path, lockfile: str,
                                                 stage: str) -> None:
    root = build_export(tmp_path / "run", script=MARKER, lockfile=lockfile)
    work = tmp_path / "w" / "work"
    code, report = replay(str(root), "--yes", "--workdir", str(work))
    assert code == 2 and report["stage"] == stage
    assert not (work / "venv").exists() and not (tmp_path / "MARKER").exists()


@pytest.mark.slow
def test_package_that_cannot_be_had_is_named(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # an empty local index, given to pip as the caller's own settings (--pip-env): pip
    # answers at once, without the network
    (tmp_path / "wheels").mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "wheels"))
    root = build_export(tmp_path / "run", script=MARKER,
                        lockfile="rexport-no-such-distribution==1.0\n")
    code, report = replay(str(root), "--yes", "--pip-env")
    assert code == 2 and report["stage"] == "environment"
    assert report["package"].startswith("rexport-no-such-distribution")
    assert not (tmp_path / "MARKER").exists()
