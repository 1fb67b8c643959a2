"""A small scikit-learn project, written as such projects are and not for rexport, made into an
export that validates under --strict and replays to "reproduced" without an edit, the second
replay reusing its environment: once through `rexport run`, once through the Capture API in the
training script itself. The replays install scikit-learn from the package index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("scikit-learn", "numpy", "scipy", "joblib", "threadpoolctl", "PyYAML")
PARAMS = """\
data:
  test_size: 0.3
  random_state: 7
model:
  C: 0.5
  max_iter: 300
"""
TRAIN = """\
import joblib
import yaml
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

with open("params.yaml") as f:
    params = yaml.safe_load(f)

X, y = load_wine(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=params["data"]["test_size"], random_state=params["data"]["random_state"],
    stratify=y)
model = make_pipeline(StandardScaler(), LogisticRegression(**params["model"]))
model.fit(X_train, y_train)
predicted = model.predict(X_test)
metrics = {"accuracy": float(accuracy_score(y_test, predicted)),
           "f1_macro": float(f1_score(y_test, predicted, average="macro"))}
with open("metrics.yaml", "w") as f:
    yaml.safe_dump(metrics, f)
joblib.dump(model, "model.joblib")
"""
# the same script, recording itself with the Capture API: no fallback for a missing rexport
CAPTURED = TRAIN.replace("import joblib\n", "import joblib\nfrom rexport.pack import Capture\n\n"
                         "cap = Capture('.', title='Wine, logistic regression')\n") + """
cap.config("params.yaml")
for name, value in metrics.items():
    cap.metric(name, value)
cap.artifact("model", "model.joblib")
cap.replay(["python", "train.py"], working_directory="code", metrics_file="metrics.yaml",
           metrics=[{"name": "accuracy", "tolerance": {"absolute": 0.01}}])
cap.governance(license="MIT")
cap.write("runs/export", overwrite=True)
"""
STALE_CONDA = "name: wine\ndependencies:\n  - python=3.8\n  - scikit-learn=0.24\n"

pytestmark = pytest.mark.slow


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
                   cwd=cwd, check=True, capture_output=True)


def _environ(tmp_path: Path, **more: str) -> dict[str, str]:
    """This checkout's rexport first; replay's environments cached in the test's folder, while
    pip and uv keep their own download caches."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "validator"),
               XDG_CACHE_HOME=str(tmp_path / "cache"), **more)
    home = Path.home() / ".cache"
    env.setdefault("PIP_CACHE_DIR", os.environ.get("PIP_CACHE_DIR", str(home / "pip")))
    env.setdefault("UV_CACHE_DIR", os.environ.get("UV_CACHE_DIR", str(home / "uv")))
    env.pop("SOURCE_DATE_EPOCH", None)
    return env


def _project(root: Path, script: str, extra_pins: str = "") -> Path:
    root.mkdir(parents=True)
    (root / "params.yaml").write_text(PARAMS)
    (root / "train.py").write_text(script)
    pins = "".join(f"{name}=={metadata.version(name)}\n" for name in PACKAGES)
    (root / "requirements.txt").write_text(pins + extra_pins)
    (root / "environment.yaml").write_text(STALE_CONDA)
    (root / ".gitignore").write_text("model.joblib\nruns/\n__pycache__/\n")
    (root / "metrics.yaml").write_text("accuracy: 0.0\nf1_macro: 0.0\n")  # tracked, as DVC does
    _git(root, "init", "-q")
    _git(root, "remote", "add", "origin", "https://example.org/lab/wine.git")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "Wine classifier")
    return root


def _rexport(env: dict[str, str], *args: str, cwd: Path | None = None
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rexport", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=1800, check=False)


def _validates_and_replays_twice(export: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    checked = _rexport(env, "validate", "--strict", str(export))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    reports = []
    for expected in ("miss", "hit"):
        start = time.monotonic()
        done = _rexport(env, "replay", "--yes", "-o", "json", str(export))
        elapsed = time.monotonic() - start
        report = json.loads(done.stdout)
        assert done.returncode == 0 and report["status"] == "reproduced", report
        assert report["environment_cache"] == expected
        report["elapsed"] = elapsed
        reports.append(report)
    # the second replay spends under 3 s outside the command, the interpreter's start included
    assert reports[1]["elapsed"] - reports[1]["wall_seconds"] < 3.0, reports[1]
    return reports


def test_rexport_run_on_a_scikit_learn_project(tmp_path: Path) -> None:
    project = _project(tmp_path / "wine", TRAIN)
    env = _environ(tmp_path)
    export = tmp_path / "export"
    done = _rexport(env, "run", "-o", str(export), "--config", "params.yaml", "--metrics",
                    "metrics.yaml", "--artifact", "model.joblib", "--license", "MIT", "--",
                    "python", "train.py", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads((export / "rex.json").read_text())
    # the requirements the run used are the recipe; the stale conda file is only a file
    assert manifest["environment"]["lockfiles"] == [
        {"path": "code/requirements.txt", "format": "pip-requirements"}]
    assert "environment.yaml does not match" in done.stderr
    assert manifest["config"]["seeds"] == {"data.random_state": 7}
    assert (export / "code" / "metrics.yaml").read_text().startswith("accuracy: 0.0")
    _validates_and_replays_twice(export, env)


def test_the_capture_api_inside_the_script(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "-w", str(wheels), str(ROOT)],
                           capture_output=True, text=True, check=False, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    version = metadata.version("rexport")
    project = _project(tmp_path / "wine", CAPTURED, f"rexport=={version}\n")
    # the index that serves this rexport, as a released one is served from PyPI
    env = _environ(tmp_path, PIP_FIND_LINKS=str(wheels))
    done = subprocess.run([sys.executable, "train.py"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    export = project / "runs" / "export"
    lockfiles = json.loads((export / "rex.json").read_text())["environment"]["lockfiles"]
    assert lockfiles == [{"path": "code/requirements.txt", "format": "pip-requirements"}]
    assert (export / "code" / "metrics.yaml").read_text().startswith("accuracy: 0.0")
    _validates_and_replays_twice(export, env)
