"""A real `dvc exp run` in a temporary git repository, imported, validated, compared, replayed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from importers.support import (
    artifacts_match,
    final_values,
    git,
    make_repo,
    manifest,
    needs,
    replay,
    run_import,
    strictly_valid,
)

pytestmark = [pytest.mark.slow, needs("dvc")]

PREPARE = '''\
import os
os.makedirs("work/parts", exist_ok=True)
for i, row in enumerate(open("data/rows.csv").read().splitlines()[1:]):
    with open(f"work/parts/{i}.txt", "w") as out:
        out.write(row + "\\n")
'''
TRAIN = '''\
import json
import os
import random
import yaml

params = yaml.safe_load(open("params.yaml"))["train"]
rng = random.Random(params["seed"])
names = sorted(os.listdir("work/parts"))
values = [float(open(f"work/parts/{n}").read().split(",")[1]) for n in names]
score = sum(v * params["scale"] for v in values) + rng.random()
with open("metrics.json", "w") as out:
    json.dump({"score": score, "eval": {"parts": len(values)}}, out)
with open("model.txt", "w") as out:
    out.write(f"{score}\\n")
'''
PIPELINE = '''\
stages:
  prepare:
    cmd: python prepare.py
    deps: [prepare.py, data/rows.csv]
    outs: [work/parts]
  train:
    cmd: python train.py
    deps: [train.py, work/parts]
    params: [train.scale, train.seed]
    outs: [model.txt]
    metrics:
      - metrics.json:
          cache: false
'''


def dvc(project: Path, *args: str) -> None:
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "DVC_NO_ANALYTICS": "1", "GIT_AUTHOR_NAME": "Ada",
           "GIT_AUTHOR_EMAIL": "ada@example.org", "GIT_COMMITTER_NAME": "Ada",
           "GIT_COMMITTER_EMAIL": "ada@example.org"}
    subprocess.run([sys.executable, "-m", "dvc", *args], cwd=project, env=env, check=True,
                   capture_output=True)


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("dvc") / "project"
    make_repo(project, {"prepare.py": PREPARE, "train.py": TRAIN, "dvc.yaml": PIPELINE,
                        "params.yaml": "train:\n  scale: 2\n  seed: 5\n",
                        "requirements.txt": f"pyyaml=={yaml.__version__}\n"})
    dvc(project, "init", "-q")
    (project / "data").mkdir()
    (project / "data" / "rows.csv").write_text("id,value\n1,0.5\n2,1.5\n3,2.5\n")
    dvc(project, "add", "-q", "data/rows.csv")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "track the data")
    dvc(project, "exp", "run", "-q", "-n", "scaled", "--set-param", "train.scale=3")
    return project


def exp_commit(project: Path) -> str:
    refs = git(project, "for-each-ref", "--format=%(objectname) %(refname)", "refs/exps/")
    return next(line.split()[0] for line in refs.splitlines() if line.endswith("/scaled"))


def test_dvc_experiment_imports_as_recorded(experiment: Path, tmp_path: Path) -> None:
    code, report, _ = run_import("dvc", str(experiment), "--exp", "scaled", "-o",
                                 str(tmp_path / "out"))
    assert code == 0, report
    export = tmp_path / "out"
    strictly_valid(export)
    rex = manifest(export)
    commit = exp_commit(experiment)
    assert rex["code"]["vcs"]["commit"] == commit
    lock = yaml.safe_load(git(experiment, "show", f"{commit}:dvc.lock"))
    assert [s["id"] for s in rex["lineage"]["steps"]] == ["prepare", "train"]
    assert rex["lineage"]["steps"][1]["parameters"] == lock["stages"]["train"]["params"]
    assert rex["config"]["hyperparameters"] == {"train.scale": 3, "train.seed": 5}
    assert rex["config"]["seeds"] == {"train.seed": 5}
    recorded = json.loads(git(experiment, "show", f"{commit}:metrics.json"))
    assert final_values(export) == {"score": recorded["score"], "eval.parts": 3}
    # every output is the bytes whose md5 dvc.lock records
    for out in lock["stages"]["train"]["outs"] + lock["stages"]["prepare"]["outs"]:
        if out["md5"].endswith(".dir"):
            listing = list((export / "results" / out["path"]).iterdir())
            assert len(listing) == out["nfiles"]
            continue
        local = export / ("code" if out["path"] == "metrics.json" else "results") / out["path"]
        assert hashlib.md5(local.read_bytes()).hexdigest() == out["md5"]
    artifacts_match(export, {"code/data/rows.csv": experiment / "data" / "rows.csv"})
    assert rex["data"]["datasets"][0]["embedded"]["paths"] == ["code/data/rows.csv"]
    assert not any("stale" in w for w in report["warnings"])


def test_dvc_stale_lock_is_flagged(experiment: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(experiment, project, symlinks=True)
    git(project, "checkout", "-q", "-f", exp_commit(project))
    with open(project / "train.py", "a") as script:
        script.write("# changed after the run\n")
    git(project, "commit", "-qam", "edit the code without running the pipeline")
    code, report, _ = run_import("dvc", str(project), "-o", str(tmp_path / "out"))
    assert code == 0, report
    assert any("stale dvc.lock" in w and "train.py" in w for w in report["warnings"])


def test_dvc_experiment_replays(experiment: Path, tmp_path: Path) -> None:
    code, report, _ = run_import("dvc", str(experiment), "--exp", "scaled", "-o",
                                 str(tmp_path / "out"))
    assert code == 0, report
    result = replay(tmp_path / "out", tmp_path / "work")
    assert result["status"] == "reproduced"
    assert {m["name"] for m in result["metrics"]} == {"score", "eval.parts"}
