"""A real Sacred run (FileStorageObserver) imported, validated, compared with run.json, replayed."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

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

pytestmark = [pytest.mark.slow, needs("sacred")]

EXPERIMENT = '''\
import random
from sacred import Experiment
from sacred.observers import FileStorageObserver

ex = Experiment("coin")
ex.observers.append(FileStorageObserver("runs"))


@ex.config
def config():
    flips = 50
    bias = 0.3


@ex.automain
def main(flips, bias, _run, _seed):
    rng = random.Random(_seed)
    heads = 0
    for i in range(flips):
        heads += rng.random() < bias
        _run.log_scalar("heads_rate", heads / (i + 1), i)
    with open("counts.txt", "w") as out:
        out.write(f"{heads}\\n")
    ex.add_artifact("counts.txt")
    return heads / flips
'''


@pytest.fixture(scope="module")
def sacred_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    project = tmp_path_factory.mktemp("sacred") / "project"
    commit = make_repo(project, {"coin.py": EXPERIMENT})
    subprocess.run([sys.executable, "coin.py", "with", "flips=40"], cwd=project, check=True,
                   capture_output=True)
    return project, project / "runs" / "1", commit


def test_sacred_run_imports_as_recorded(sacred_run: tuple[Path, Path, str],
                                        tmp_path: Path) -> None:
    project, run_dir, commit = sacred_run
    code, report, _ = run_import("sacred", str(run_dir), "-o", str(tmp_path / "out"))
    assert code == 0, report
    export = tmp_path / "out"
    strictly_valid(export)
    rex = manifest(export)
    run = json.loads((run_dir / "run.json").read_text())
    config = json.loads((run_dir / "config.json").read_text())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert rex["code"]["vcs"]["commit"] == commit == run["experiment"]["repositories"][0]["commit"]
    assert rex["config"]["hyperparameters"] == config
    assert rex["config"]["seeds"] == {"seed": config["seed"]}
    assert final_values(export) == {"heads_rate": metrics["heads_rate"]["values"][-1],
                                    "result": run["result"]}
    assert rex["producer"]["x-source"] == {"name": "sacred", "version": version("sacred")}
    artifacts_match(export, {"results/artifacts/counts.txt": run_dir / "counts.txt",
                             "code/coin.py": project / "coin.py"})
    assert report["warnings"] and all(isinstance(w, str) for w in report["warnings"])


def test_sacred_sources_that_differ_from_the_commit_are_the_snapshot(
        tmp_path: Path) -> None:
    project = tmp_path / "project"
    make_repo(project, {"coin.py": EXPERIMENT})
    changed = EXPERIMENT.replace("bias = 0.3", "bias = 0.6")
    (project / "coin.py").write_text(changed)  # run with an uncommitted change
    subprocess.run([sys.executable, "coin.py"], cwd=project, check=True, capture_output=True)
    code, report, _ = run_import("sacred", str(project / "runs" / "1"), "-o",
                                 str(tmp_path / "out"))
    assert code == 0, report
    export = tmp_path / "out"
    strictly_valid(export)
    rex = manifest(export)
    assert rex["code"]["vcs"]["dirty"] is True
    assert (export / "code" / "coin.py").read_text() == changed
    diff = (export / rex["code"]["vcs"]["diff"]).read_text()
    assert "-    bias = 0.3" in diff and "+    bias = 0.6" in diff
    # the diff applies to the commit with git's own tool
    (project / "coin.py").write_text(EXPERIMENT)
    subprocess.run(["git", "apply", "--check", str(export / rex["code"]["vcs"]["diff"])],
                   cwd=project, check=True)


def test_sacred_run_replays(sacred_run: tuple[Path, Path, str], tmp_path: Path) -> None:
    _, run_dir, _ = sacred_run
    code, report, _ = run_import("sacred", str(run_dir), "-o", str(tmp_path / "out"))
    assert code == 0, report
    result = replay(tmp_path / "out", tmp_path / "work")
    assert result["status"] == "reproduced"
    assert {m["name"] for m in result["metrics"]} == {"heads_rate", "result"}
