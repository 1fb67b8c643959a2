"""Projects to export: a small scikit-learn project as such projects are written, not for
rexport (params.yaml, a train.py writing metrics.yaml and a model file, pinned requirements, a
stale conda file), and one of the standard library only."""

from __future__ import annotations

import json
import os
import subprocess
from importlib import metadata
from pathlib import Path

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


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
                   cwd=cwd, check=True, capture_output=True)


def sklearn_project(root: Path, script: str = TRAIN, extra_pins: str = "") -> Path:
    """The project in a new git repository at ``root`` (with a remote), committed; its
    requirements pin the versions installed here, plus ``extra_pins``."""
    root.mkdir(parents=True)
    (root / "params.yaml").write_text(PARAMS)
    (root / "train.py").write_text(script)
    pins = "".join(f"{name}=={metadata.version(name)}\n" for name in PACKAGES)
    (root / "requirements.txt").write_text(pins + extra_pins)
    (root / "environment.yaml").write_text(STALE_CONDA)
    (root / ".gitignore").write_text("model.joblib\nruns/\n__pycache__/\n")
    (root / "metrics.yaml").write_text("accuracy: 0.0\nf1_macro: 0.0\n")  # tracked, as DVC does
    git(root, "init", "-q")
    git(root, "remote", "add", "origin", "https://example.org/lab/wine.git")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "Wine classifier")
    return root


def rexport_environ(cache: Path, **more: str) -> dict[str, str]:
    """The environment to run this checkout's rexport in: replay's environments cached under
    ``cache`` (not the user's cache), pip's and uv's download caches kept as they are."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "validator"), XDG_CACHE_HOME=str(cache),
               **more)
    home = Path.home() / ".cache"
    env.setdefault("PIP_CACHE_DIR", os.environ.get("PIP_CACHE_DIR", str(home / "pip")))
    env.setdefault("UV_CACHE_DIR", os.environ.get("UV_CACHE_DIR", str(home / "uv")))
    env.pop("SOURCE_DATE_EPOCH", None)
    return env


# a project of the standard library only: its metrics follow its config and its input data, so
# a replay that ran another config or other data would not reproduce
STDLIB_TRAIN = """\
import json, pathlib
config = json.loads(pathlib.Path("config.json").read_text())
rows = pathlib.Path("data/rows.csv").read_text().splitlines()
pathlib.Path("out").mkdir(exist_ok=True)
pathlib.Path("out/metrics.json").write_text(json.dumps(
    {"accuracy": round(len(rows) * config["scale"], 4), "loss": 0.5}))
pathlib.Path("out/model.txt").write_text("weights\\n")
"""


def stdlib_project(root: Path) -> Path:
    """A git repository at ``root`` holding STDLIB_TRAIN, its config and (ignored by git) its
    data, committed; returns ``root``."""
    (root / "data").mkdir(parents=True)
    (root / "train.py").write_text(STDLIB_TRAIN)
    (root / "config.json").write_text(json.dumps({"scale": 0.25, "random_state": 3}))
    (root / "requirements.txt").write_text("# the standard library is enough\n")
    (root / ".gitignore").write_text("data/\nout/\n")
    (root / "data" / "rows.csv").write_text("a\nb\nc\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    return root
