"""The code snapshot is the code as the run started, even when the run rewrites a tracked file;
what the run wrote is recorded beside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rexport
from helpers.projects import git
from rexport.pack import Capture, PackError


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "train.py").write_text("print('train')\n")
    (root / "metrics.json").write_text('{"accuracy": 0.1}')
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    return root


def test_a_rewritten_tracked_file_keeps_its_committed_bytes(repo: Path, tmp_path: Path) -> None:
    cap = Capture(repo)
    (repo / "metrics.json").write_text('{"accuracy": 0.9}')  # the run's result
    cap.metric("accuracy", 0.9)
    cap.artifact("metrics", repo / "metrics.json")
    written = cap.write(tmp_path / "export")
    out = tmp_path / "export"
    assert (out / "code" / "metrics.json").read_text() == '{"accuracy": 0.1}'
    [artifact] = written.manifest["results"]["artifacts"]
    assert artifact["path"] == "results/metrics.json"
    assert json.loads((out / artifact["path"]).read_text()) == {"accuracy": 0.9}
    assert written.manifest["code"]["vcs"]["dirty"] is False
    assert rexport.validate(out, strict=True).valid


def test_a_file_changed_before_the_run_and_during_it_is_said(repo: Path,
                                                               tmp_path: Path) -> None:
    (repo / "train.py").write_text("print('edited, not committed')\n")
    cap = Capture(repo)
    (repo / "train.py").write_text("print('edited again by the run')\n")
    cap.metric("accuracy", 0.9)
    written = cap.write(tmp_path / "export")
    assert any("train.py changed during the run" in w for w in written.warnings)


def test_a_tracked_file_the_run_removed_is_taken_from_the_commit(repo: Path,
                                                                 tmp_path: Path) -> None:
    cap = Capture(repo)
    (repo / "metrics.json").unlink()
    cap.metric("accuracy", 0.9)
    cap.write(tmp_path / "export")
    assert (tmp_path / "export" / "code" / "metrics.json").read_text() == '{"accuracy": 0.1}'


def test_a_removed_file_with_unknown_bytes_is_refused(repo: Path, tmp_path: Path) -> None:
    (repo / "train.py").write_text("print('edited, not committed')\n")
    cap = Capture(repo)
    (repo / "train.py").unlink()
    cap.metric("accuracy", 0.9)
    with pytest.raises(PackError, match="removed during the run"):
        cap.write(tmp_path / "export")
    assert not (tmp_path / "export").exists()
