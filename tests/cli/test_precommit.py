"""The pre-commit hooks: the shipped manifest is valid, and the hooks work in a real repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from rexport.precommit import export_inputs, validate_arguments

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / ".pre-commit-hooks.yaml"
CASES = ROOT / "conformance-tests" / "v1"
VALID = CASES / "valid" / "export" / "minimal" / "export"
VALID_ZIP = CASES / "valid" / "archives" / "zip-stored" / "export.zip"
PRE_COMMIT = shutil.which("pre-commit")


def test_shipped_manifest_is_valid_for_pre_commit() -> None:
    assert PRE_COMMIT is not None, "pre-commit is part of the test extra"
    done = subprocess.run([PRE_COMMIT, "validate-manifest", str(HOOKS)], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    hooks = {h["id"]: h for h in yaml.safe_load(HOOKS.read_text(encoding="utf-8"))}
    assert set(hooks) == {"rexport-validate", "rexport-validate-manifest"}
    assert all(h["minimum_pre_commit_version"] for h in hooks.values())
    assert hooks["rexport-validate"]["require_serial"] is True


def test_export_inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(VALID, "runs/a")
    shutil.copytree(VALID, "runs/b/nested")
    shutil.copy(VALID_ZIP, "runs/c.zip")
    shutil.copy(VALID_ZIP, "runs/a/code/bundle.zip")  # a zip inside an export is its file
    Path("README.md").write_text("not an export\n", encoding="utf-8")
    files = ["runs/a/code/train.py", "runs/a/rex.json", "runs/b/nested/code/train.py",
             "runs/c.zip", "runs/a/code/bundle.zip", "README.md", "runs/deleted.txt"]
    assert export_inputs(files) == ["runs/a", "runs/b/nested", "runs/c.zip"]
    assert validate_arguments(["--strict"], ["README.md"]) == []
    assert validate_arguments(["--strict"], files[:1]) == ["validate", "--strict", "runs/a"]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _local_config(repo: Path) -> None:
    """A `repo: local` config with the shipped hooks, run by this interpreter (no install)."""
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    for hook in hooks:
        hook["language"] = "system"
        command = hook["entry"].split()
        if command[0] == "python":
            command[0] = sys.executable
        elif command[0] == "rexport":
            command[:1] = [sys.executable, "-m", "rexport"]
        hook["entry"] = " ".join(command)
        hook.pop("minimum_pre_commit_version")
    config = {"repos": [{"repo": "local", "hooks": hooks}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


def _pre_commit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert PRE_COMMIT is not None, "pre-commit is part of the test extra"
    env = {**os.environ, "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home"),
           "NO_COLOR": "1"}
    return subprocess.run([PRE_COMMIT, "run", "--color", "never", *args], cwd=repo, env=env,
                          capture_output=True, text=True, check=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _local_config(repo)
    shutil.copytree(VALID, repo / "exports" / "iris")
    shutil.copy(VALID_ZIP, repo / "exports" / "iris.zip")
    (repo / "README.md").write_text("# results\n", encoding="utf-8")
    _git(repo, "add", "-A")
    return repo


@pytest.mark.slow
def test_hooks_pass_on_valid_exports(repo: Path) -> None:
    done = _pre_commit(repo, "--all-files")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "validate REX exports" in done.stdout
    assert "validate REX manifests" in done.stdout
    assert "Failed" not in done.stdout


# the file damaged (its path in the repository), how its bytes change, the hook, the code
DAMAGES = {
    # only a payload file changes: the hook validates the export it belongs to
    "payload-file": ("exports/iris/code/train.py", lambda b: b.replace(b"seed(0)", b"seed(7)"),
                     "rexport-validate", "REX-I102"),
    "manifest": ("exports/iris/rex.json", lambda b: b.replace(b'"1.0"', b'"1.0.0"', 1),
                 "rexport-validate-manifest", "REX-V101"),
    "archive": ("exports/iris.zip", lambda b: b + b"trailing bytes", "rexport-validate",
                "REX-X112"),
}


@pytest.mark.slow
@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_hook_fails_on_a_damaged_export(repo: Path, damage: str) -> None:
    path, change, hook, code = DAMAGES[damage]
    (repo / path).write_bytes(change((repo / path).read_bytes()))
    _git(repo, "add", "-A")
    done = _pre_commit(repo, hook)
    assert done.returncode == 1
    assert code in done.stdout
