"""A small scikit-learn project, written as such projects are and not for rexport, made into an
export that validates under --strict and replays to "reproduced" without an edit, the second
replay reusing its environment: once through `rexport run`, once through the Capture API in the
training script itself. The replays install scikit-learn from the package index."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from helpers.projects import CAPTURED, ROOT, rexport_environ, sklearn_project

pytestmark = pytest.mark.slow


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
        done = _rexport(env, "replay", "--yes", "--pip-env", "-o", "json", str(export))
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
    project = sklearn_project(tmp_path / "wine")
    env = rexport_environ(tmp_path / "cache")
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
    project = sklearn_project(tmp_path / "wine", CAPTURED, f"rexport=={version}\n")
    # the index that serves this rexport, as a released one is served from PyPI
    env = rexport_environ(tmp_path / "cache", PIP_FIND_LINKS=str(wheels))
    done = subprocess.run([sys.executable, "train.py"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    export = project / "runs" / "export"
    lockfiles = json.loads((export / "rex.json").read_text())["environment"]["lockfiles"]
    assert lockfiles == [{"path": "code/requirements.txt", "format": "pip-requirements"}]
    assert (export / "code" / "metrics.yaml").read_text().startswith("accuracy: 0.0")
    _validates_and_replays_twice(export, env)
