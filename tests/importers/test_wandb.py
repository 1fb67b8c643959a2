"""A real W&B offline run imported, validated, compared with what wandb logged, and replayed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from importlib.metadata import version
from pathlib import Path

import pytest
from rexport.importers import wandb_log

from importers.support import (
    artifacts_match,
    final_values,
    make_repo,
    manifest,
    needs,
    replay,
    run_import,
    strictly_valid,
)

pytestmark = [pytest.mark.slow, needs("wandb")]

SCRIPT = '''\
import random
import sys

import wandb

run = wandb.init(project="dice", config={"rolls": 30, "seed": 11})
rng = random.Random(run.config.seed)
total = 0
for i in range(run.config.rolls):
    total += rng.randint(1, 6)
    run.log({"mean": total / (i + 1), "last": total})
with open("notes.txt", "w") as out:
    out.write("fair dice\\n")
run.save("notes.txt", policy="now")
run.summary["label"] = sys.argv[1]
run.finish()
'''
OFFLINE = {"WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_DISABLE_GIT": "false"}


def offline_run(project: Path, python: str) -> Path:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    subprocess.run([python, "roll.py", "fair"], cwd=project, check=True, capture_output=True,
                   env={**env, **OFFLINE, "HOME": str(project.parent / "home")})
    (run_dir,) = (project / "wandb").glob("offline-run-*")
    return run_dir


@pytest.fixture(scope="module")
def wandb_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    # a small environment of its own, so that the run's requirements.txt (what replay
    # installs) holds wandb and its dependencies, not this test environment
    base = tmp_path_factory.mktemp("wandb")
    venv.create(base / "venv", with_pip=True)
    python = str(base / "venv" / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "-q", f"wandb=={version('wandb')}"],
                   check=True, capture_output=True)
    project = base / "project"
    commit = make_repo(project, {"roll.py": SCRIPT, ".gitignore": "wandb/\n"})
    return project, offline_run(project, python), commit


# wandb's own reading of a run log: in a child process, as importing wandb loads numpy, whose
# BLAS threads would outlive the test here (a process with a second thread never forks the
# read-ahead child, rexport.sources.readahead)
READ_WITH_WANDB = """\
import json, sys
from rexport.importers import wandb_log
from wandb.proto import wandb_internal_pb2 as pb
summary, history = {}, []
with open(sys.argv[1], "rb") as handle:
    for data in wandb_log.records(handle):
        record = pb.Record()
        record.ParseFromString(data)
        kind = record.WhichOneof("record_type")
        if kind == "summary":
            for item in record.summary.update:
                summary[item.key or item.nested_key[0]] = json.loads(item.value_json) \\
                    if len(item.nested_key) <= 1 else None
        elif kind == "history":
            history.append({i.key or i.nested_key[0]: json.loads(i.value_json)
                            for i in record.history.item})
print(json.dumps({"summary": summary, "history": history}))
"""


def test_wandb_log_reader_agrees_with_wandb(wandb_run: tuple[Path, Path, str]) -> None:
    _, run_dir, _ = wandb_run
    (log,) = run_dir.glob("run-*.wandb")
    with open(log, "rb") as handle:
        ours = wandb_log.read(handle)
    done = subprocess.run([sys.executable, "-c", READ_WITH_WANDB, str(log)], capture_output=True,
                          text=True, check=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    theirs = json.loads(done.stdout)
    assert ours.history == theirs["history"]
    assert {k: v for k, v in ours.summary.items() if not k.startswith("_")} == \
        {k: v for k, v in theirs["summary"].items() if not k.startswith("_")}


def test_wandb_run_imports_as_recorded(wandb_run: tuple[Path, Path, str],
                                       tmp_path: Path) -> None:
    project, run_dir, commit = wandb_run
    # run.save() leaves a link to the project's file in files/: refused unless left out
    code, report, _ = run_import("wandb", str(run_dir), "-o", str(tmp_path / "out"))
    assert code == 2 and "files/notes.txt" in report["error"] and "--skip-links" in \
        report["error"]
    assert not (tmp_path / "out").exists()
    code, report, _ = run_import("wandb", str(run_dir), "-o", str(tmp_path / "out"),
                                 "--skip-links")
    assert code == 0, report
    assert any("files/notes.txt" in w for w in report["warnings"])
    export = tmp_path / "out"
    strictly_valid(export)
    rex = manifest(export)
    (log,) = run_dir.glob("run-*.wandb")
    with open(log, "rb") as handle:
        logged = wandb_log.read(handle)
    assert rex["code"]["vcs"]["commit"] == commit == logged.git_commit
    assert rex["config"]["hyperparameters"] == {"rolls": 30, "seed": 11}
    assert rex["config"]["seeds"] == {"seed": 11}
    finals = final_values(export)
    assert finals["mean"] == logged.summary["mean"] and finals["last"] == logged.summary["last"]
    assert rex["producer"]["x-source"] == {"name": "wandb", "version": version("wandb")}
    assert {p["name"] for p in rex["environment"]["packages"]} >= {"wandb"}
    artifacts_match(export, {"code/roll.py": project / "roll.py"})


def test_wandb_run_replays(wandb_run: tuple[Path, Path, str], tmp_path: Path) -> None:
    _, run_dir, _ = wandb_run
    code, report, _ = run_import("wandb", str(run_dir), "-o", str(tmp_path / "out"),
                                 "--skip-links")
    assert code == 0, report
    result = replay(tmp_path / "out", tmp_path / "work")
    assert result["status"] == "reproduced"
    assert {m["name"] for m in result["metrics"]} == {"mean", "last"}
