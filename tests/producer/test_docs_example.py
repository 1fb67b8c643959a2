"""The Python API example of docs/producing.md runs as it stands and makes a valid export."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import rexport
from helpers.projects import ROOT, git

GUIDE = ROOT / "docs" / "producing.md"
IRIS = "sepal_length,sepal_width,species\n5.1,3.5,setosa\n4.9,NA,setosa\n7.0,3.2,versicolor\n" \
       "6.4,3.2,versicolor\n6.3,3.3,virginica\n"


def _pipeline() -> str:
    section = GUIDE.read_text(encoding="utf-8").split("## The Python API", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the guide's Python API section holds a Python example"
    return match.group(1)


def test_the_pipeline_example_runs_and_validates(tmp_path: Path) -> None:
    project = tmp_path / "iris"
    (project / "data").mkdir(parents=True)
    (project / "data" / "iris.csv").write_text(IRIS)
    (project / "params.yaml").write_text("threshold: median\nseed: 0\n")
    (project / "pipeline.py").write_text(_pipeline())
    (project / ".gitignore").write_text("data/clean.csv\nmodel.json\nmetrics.json\n")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "pipeline")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "validator"))
    env.pop("SOURCE_DATE_EPOCH", None)
    done = subprocess.run([sys.executable, "pipeline.py"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    export = tmp_path / "iris-run"
    report = rexport.validate(export, strict=True)
    assert report.valid, [f.to_json() for f in report.findings]
    manifest = json.loads((export / "rex.json").read_text())
    steps = manifest["lineage"]["steps"]
    assert [s["id"] for s in steps] == ["clean", "train"]
    assert steps[0]["inputs"] == [{"dataset": "iris"}]
    assert steps[1]["inputs"] == steps[0]["outputs"]
    assert steps[0]["code"] == {"path": "code/pipeline.py", "symbol": "clean"}
    assert manifest["results"]["metrics"] == [{"name": "share_above", "value": 0.5}]
