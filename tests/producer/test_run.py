"""`rexport run`: the command runs as given and its run is recorded as a replayable export; a
failure, an interrupt or a refused request leaves nothing behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import rexport
from click.testing import CliRunner, Result
from helpers.exports import read_manifest
from helpers.projects import git, stdlib_project
from rexport.cli import cli

ROOT = Path(__file__).resolve().parents[2]
RUN_ARGS = ["--metrics", "out/metrics.json", "--artifact", "out/model.txt", "--config",
            "config.json", "--data", "rows=data/rows.csv", "--tolerance", "accuracy=abs:0.01"]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["run", *args])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = stdlib_project(tmp_path / "project")
    monkeypatch.chdir(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return root


def test_a_run_is_recorded_and_replays(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    result = run("-o", str(out), *RUN_ARGS, "--", "python", "train.py")
    assert result.exit_code == 0, result.output
    m = read_manifest(out)
    assert m["replay"]["command"] == ["python", "train.py"]
    assert m["replay"]["working_directory"] == "code"
    assert m["replay"]["metrics_file"] == "out/metrics.json"
    assert m["results"]["metrics"] == [{"name": "accuracy", "value": 0.75},
                                       {"name": "loss", "value": 0.5}]
    [step] = m["lineage"]["steps"]
    assert step["id"] == "run" and step["code"] == {"path": "code/train.py"}
    assert step["started"] <= step["ended"]
    assert {"dataset": "rows"} in step["inputs"] and {"file": "code/config.json"} in step["inputs"]
    assert {"file": "results/out/model.txt"} in step["outputs"]
    assert m["code"]["entry_points"] == [{"name": "run", "path": "code/train.py"}]
    assert m["code"]["vcs"]["dirty"] is False
    assert m["config"]["seeds"] == {"random_state": 3}
    assert rexport.validate(out, strict=True).valid
    for expected in ("miss", "hit"):
        replayed = CliRunner().invoke(cli, ["replay", "--yes", "-o", "json", str(out)])
        report = json.loads(replayed.stdout)
        assert report["status"] == "reproduced", report
        assert report["environment_cache"] == expected


def test_the_command_s_exit_status_is_passed_on(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    result = run("-o", str(out), "--metrics", "out/metrics.json", "--",
                 sys.executable, "-c", "raise SystemExit(3)")
    assert result.exit_code == 3
    assert "exited with status 3" in result.output and not out.exists()


def test_a_missing_metrics_file_writes_nothing(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    result = run("-o", str(out), "--metrics", "out/never.json", "--", "python", "-c", "pass")
    assert result.exit_code == 2 and "does not exist" in result.output
    assert not out.exists()


def test_a_request_that_cannot_be_packed_is_refused_before_the_command(
        project: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    result = run("-o", str(tmp_path / "export"), "--metrics", "../elsewhere.json", "--",
                 sys.executable, "-c", f"open({str(marker)!r}, 'w')")
    assert result.exit_code == 2 and "not inside the replay's working directory" in result.output
    assert not marker.exists()


def test_a_tracked_output_keeps_its_committed_bytes(project: Path, tmp_path: Path) -> None:
    (project / ".gitignore").write_text("data/\n")
    (project / "out").mkdir()
    (project / "out" / "metrics.json").write_text('{"accuracy": 0.1, "loss": 9}')
    git(project, "add", "-A")
    git(project, "commit", "-qm", "old metrics")
    out = tmp_path / "export"
    result = run("-o", str(out), *RUN_ARGS, "--", "python", "train.py")
    assert result.exit_code == 0, result.output
    assert (out / "code" / "out" / "metrics.json").read_text() == '{"accuracy": 0.1, "loss": 9}'
    artifact = next(a for a in read_manifest(out)["results"]["artifacts"] if a["name"] == "metrics")
    assert json.loads((out / artifact["path"]).read_text())["accuracy"] == 0.75
    assert rexport.validate(out, strict=True).valid


def test_with_a_fixed_reference_time_a_run_is_byte_identical(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1768471200")
    for name in ("a.tar", "b.tar"):
        result = run("-o", str(tmp_path / name), "-q", *RUN_ARGS, "--", "python", "train.py")
        assert result.exit_code == 0, result.output
    assert (tmp_path / "a.tar").read_bytes() == (tmp_path / "b.tar").read_bytes()


def test_without_it_only_the_times_differ(project: Path, tmp_path: Path) -> None:
    manifests = []
    for name in ("a", "b"):
        assert run("-o", str(tmp_path / name), "-q", *RUN_ARGS, "--",
                   "python", "train.py").exit_code == 0
        m = read_manifest(tmp_path / name)
        for step in m["lineage"]["steps"]:
            del step["started"], step["ended"]
        del m["export_digest"]
        manifests.append(m)
    assert manifests[0] == manifests[1]


def test_an_interrupt_reaches_the_command_and_nothing_is_written(project: Path,
                                                                  tmp_path: Path) -> None:
    started, stopped = tmp_path / "started", tmp_path / "stopped"
    script = (f"import pathlib, time\npathlib.Path({str(started)!r}).touch()\n"
              f"try:\n    time.sleep(60)\nexcept KeyboardInterrupt:\n"
              f"    pathlib.Path({str(stopped)!r}).touch()\n    raise\n")
    out = tmp_path / "export"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "validator"))
    # a session of its own: no terminal sends the signal to the command, rexport must pass it on
    proc = subprocess.Popen([sys.executable, "-m", "rexport", "run", "-o", str(out),
                             "--metrics", "out/metrics.json", "--", sys.executable, "-c",
                             script], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    output = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 130, output
    assert stopped.exists() and not out.exists()
    assert "interrupted" in output


def test_a_command_naming_no_file_takes_its_code_from_the_entry_point(
        project: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    result = run("-o", str(out), *RUN_ARGS, "--entry-point", "train=train.py:main", "--",
                 "sh", "-c", "python train.py")
    assert result.exit_code == 0, result.output
    [step] = read_manifest(out)["lineage"]["steps"]
    assert step["code"] == {"path": "code/train.py"}
    assert read_manifest(out)["replay"]["command"] == ["sh", "-c", "python train.py"]


def test_replay_workdir_is_for_pack_only(project: Path, tmp_path: Path) -> None:
    result = run("-o", str(tmp_path / "export"), *RUN_ARGS, "--replay-workdir", ".", "--",
                 "python", "train.py")
    assert result.exit_code == 2 and "--replay-workdir" in result.output
    assert not (project / "out").exists()  # refused before the command ran
