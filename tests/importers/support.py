"""Shared by the importer tests: git repositories, the CLI, and checks of a written export."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rexport.cli import cli
from rexport.validation import validate

GIT_ENV = {"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.org",
           "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.org",
           "GIT_AUTHOR_DATE": "2026-01-15T10:00:00Z", "GIT_COMMITTER_DATE": "2026-01-15T10:00:00Z"}


def needs(module: str) -> pytest.MarkDecorator:
    """Skip unless the tracker's package is installed (the test extra installs it)."""
    return pytest.mark.skipif(importlib.util.find_spec(module) is None,
                              reason=f"{module} is not installed (pip install -e '.[test]')")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV},
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def make_repo(root: Path, files: dict[str, str]) -> str:
    """A git repository at ``root`` with ``files`` committed; returns the commit."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "experiment")
    return git(root, "rev-parse", "HEAD")


def run_import(*args: str) -> tuple[int, dict[str, Any], str]:
    """``rexport import ... --output-format json``: (exit code, JSON report, stderr)."""
    result = CliRunner().invoke(cli, ["import", *args, "--output-format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        result.exception
    report = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.exit_code, report, result.stderr


def run_import_apart(*args: str) -> tuple[int, dict[str, Any], str]:
    """``run_import`` in a child process, for a tracker whose own client it loads: MLflow's
    brings numpy, pyarrow and tqdm, whose threads (BLAS, jemalloc, progress monitor,
    download pools) would outlive the test here, and a process with a second thread never
    forks the read-ahead child (rexport.sources.readahead), whose tests would skip."""
    done = subprocess.run([sys.executable, "-m", "rexport", "import", *args,
                           "--output-format", "json"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
                          timeout=600, check=False)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    report = json.loads(done.stdout) if done.stdout.strip() else {}
    return done.returncode, report, done.stderr


def manifest(export: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((export / "rex.json").read_text())
    return data


def strictly_valid(export: Path) -> None:
    report = validate(export, strict=True)
    assert report.exit_code == 0, [f.to_json() for f in report.findings]


def artifacts_match(export: Path, originals: dict[str, Path]) -> None:
    """Each indexed file's sha256 is its bytes' (and, for ``originals``, the tracker's file)."""
    files = {f["path"]: f for f in manifest(export)["files"]}
    for path, entry in files.items():
        assert hashlib.sha256((export / path).read_bytes()).hexdigest() \
            == entry["digests"]["sha256"], path
    for path, local in originals.items():
        assert files[path]["digests"]["sha256"] == hashlib.sha256(local.read_bytes()).hexdigest()


def final_values(export: Path) -> dict[str, float]:
    """The last value of each metric in results.metrics (what a replay compares)."""
    found: dict[str, float] = {}
    for metric in manifest(export)["results"]["metrics"]:
        found[metric["name"]] = metric["value"]
    return found


def replay(export: Path, workdir: Path) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["replay", str(export), "--yes", "-o", "json",
                                      "--workdir", str(workdir)])
    report: dict[str, Any] = json.loads(result.stdout)
    assert result.exit_code == 0, (report["reason"], report["output_tail"])
    return report


RUN_ID = "0123456789abcdef0123456789abcdef"


def mlflow_store(root: Path, commit: str | None, *, metrics: dict[str, str] | None = None,
                 meta: str | None = None) -> Path:
    """A file store laid out as MLflow writes it (mlruns/EXP/RUN), made by hand."""
    run = root / "mlruns" / "7" / RUN_ID
    for folder in ("params", "metrics", "tags", "artifacts"):
        (run / folder).mkdir(parents=True, exist_ok=True)
    (root / "mlruns" / "7" / "meta.yaml").write_text("experiment_id: '7'\nname: demo\n")
    (run / "meta.yaml").write_text(meta if meta is not None else (
        f"run_id: {RUN_ID}\nrun_name: handmade\nexperiment_id: '7'\nstatus: 3\n"
        "start_time: 1768471200000\nend_time: 1768471260000\nlifecycle_stage: active\n"))
    (run / "params" / "lr").write_text("0.1")
    (run / "params" / "seed").write_text("42")
    for name, lines in (metrics if metrics is not None else {
            "acc": "1768471200000 0.5 0\n1768471201000 0.75 1\n"}).items():
        (run / "metrics" / name).write_text(lines)
    if commit:
        (run / "tags" / "mlflow.source.git.commit").write_text(commit)
    (run / "tags" / "mlflow.source.name").write_text("train.py")
    (run / "artifacts" / "model.bin").write_bytes(b"weights")
    return run
