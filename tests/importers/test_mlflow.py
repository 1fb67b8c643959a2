"""Real MLflow runs, in a file store and on a tracking server (sqlite), imported and compared."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from importers.support import (
    artifacts_match,
    final_values,
    make_repo,
    manifest,
    needs,
    run_import,
    run_import_apart,
    strictly_valid,
)

pytestmark = [pytest.mark.slow, needs("mlflow")]

TRAIN = '''\
import sys

import mlflow
import numpy as np
from sklearn.linear_model import LogisticRegression

mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment("iris-ish")
with mlflow.start_run() as run:
    mlflow.log_params({"C": 0.5, "seed": 3, "solver": "lbfgs"})
    for step in range(4):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    mlflow.log_metric("loss", 0.2, step=3)  # logged twice at one step: the last counts
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    model = LogisticRegression(C=0.5).fit(X, np.array([0, 0, 1, 1]))
    mlflow.log_metric("accuracy", model.score(X, np.array([0, 0, 1, 1])))
    with open("report.txt", "w") as out:
        out.write("four points\\n")
    mlflow.log_artifact("report.txt", artifact_path="reports")
    mlflow.sklearn.log_model(model, name="model")
    print("RUN", run.info.run_id)
'''
READ_BACK = '''\
import json, sys
from mlflow.tracking import MlflowClient
client = MlflowClient(sys.argv[1])
run = client.get_run(sys.argv[2])
print(json.dumps({"params": run.data.params, "metrics": run.data.metrics,
                  "commit": run.data.tags.get("mlflow.source.git.commit")}))
'''


def python(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true", **(env or {})})
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def make_run(project: Path, uri: str) -> str:
    out = python("train.py", uri, cwd=project)
    return next(line.split()[1] for line in out.splitlines() if line.startswith("RUN "))


def tracker_view(project: Path, uri: str, run_id: str) -> dict[str, Any]:
    (project.parent / "read_back.py").write_text(READ_BACK)
    out = python(str(project.parent / "read_back.py"), uri, run_id, cwd=project)
    found: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return found


def check(export: Path, view: dict[str, Any], commit: str) -> dict[str, Any]:
    strictly_valid(export)
    rex = manifest(export)
    assert rex["code"]["vcs"]["commit"] == commit == view["commit"]
    assert rex["config"]["hyperparameters"] == view["params"]
    assert rex["config"]["seeds"] == {"seed": 3}
    assert final_values(export) == view["metrics"]
    assert rex["producer"]["name"] == "rexport import mlflow"
    assert "replay" not in rex  # MLflow records no command line
    packages = {p["name"] for p in rex["environment"]["packages"]}
    assert {"mlflow", "scikit-learn"} <= packages
    return rex


def test_mlflow_file_store_run(tmp_path: Path) -> None:
    project = tmp_path / "project"
    commit = make_repo(project, {"train.py": TRAIN})
    store = project / "mlruns"
    run_id = make_run(project, f"file:{store}")
    code, report, _ = run_import("mlflow", run_id, "--tracking-uri", str(store), "-o",
                                 str(tmp_path / "out"))
    assert code == 0, report
    export = tmp_path / "out"
    rex = check(export, tracker_view(project, f"file:{store}", run_id), commit)
    (run_dir,) = store.glob(f"*/{run_id}")
    artifacts_match(export, {
        "results/artifacts/reports/report.txt": run_dir / "artifacts/reports/report.txt",
        "code/train.py": project / "train.py"})
    history = (export / "results/metrics-history.csv").read_text().splitlines()
    logged = [line for f in (run_dir / "metrics").iterdir()
              for line in f.read_text().splitlines() if line]
    assert history[0] == "metric,step,timestamp,value" and len(history) == 1 + len(logged)
    models = [a for a in rex["results"]["artifacts"] if a.get("kind") == "model"]
    assert any(a["path"].endswith("/MLmodel") for a in models)
    # the run's folder given directly gives the same export
    code, _, _ = run_import("mlflow", str(run_dir), "-o", str(tmp_path / "again"))
    assert code == 0
    assert manifest(tmp_path / "again")["export_digest"] == rex["export_digest"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    root = tmp_path / "server"
    root.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
         "--artifacts-destination", str(root / "artifacts"), "--workers", "1"],
        cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("mlflow server did not start")
                time.sleep(0.5)
        yield uri
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server and its workers: our own group
        proc.wait(timeout=60)


def test_mlflow_tracking_server_run(server: str, tmp_path: Path) -> None:
    project = tmp_path / "project"
    commit = make_repo(project, {"train.py": TRAIN})
    run_id = make_run(project, server)
    code, report, _ = run_import_apart("mlflow", run_id, "--tracking-uri", server, "--repo",
                                       str(project), "-o", str(tmp_path / "out"))
    assert code == 0, report
    export = tmp_path / "out"
    rex = check(export, tracker_view(project, server, run_id), commit)
    assert any(a["path"].endswith("/MLmodel") for a in rex["results"]["artifacts"])
    artifacts_match(export, {"results/artifacts/reports/report.txt": project / "report.txt"})
