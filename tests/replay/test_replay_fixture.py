"""The replay fixture export is itself valid, as a directory and as an archive."""

from __future__ import annotations

from pathlib import Path

import rexport
from helpers.archives import pack
from helpers.replay_export import build_export


def test_fixture_export_is_valid(tmp_path: Path) -> None:
    root = build_export(tmp_path / "run")
    report = rexport.validate(root)
    assert [f.code for f in report.errors] == []
    assert report.exit_code == 0


def test_fixture_archive_is_valid(tmp_path: Path) -> None:
    root = build_export(tmp_path / "run")
    report = rexport.validate(pack(root, tmp_path / "run.tar"))
    assert [f.code for f in report.errors] == []
