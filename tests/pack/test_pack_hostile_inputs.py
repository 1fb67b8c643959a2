"""Inputs that would make the packer embed a file from elsewhere, hang, delete or leak."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from rexport.cli import cli
from rexport.pack.errors import PackError
from rexport.pack.files import Request, pack

OUTSIDE = "outside-the-project: do not embed"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    (root / "code").mkdir(parents=True)
    (root / "code/train.py").write_text("print('hi')\n")
    (root / "metrics.json").write_text('{"accuracy": 0.9}')
    (root / "config.yaml").write_text("lr: 0.3\n")
    (root / "notes.md").write_text("notes\n")
    (root / "data").mkdir()
    (root / "data/table.csv").write_text("x\n1\n")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "folder").mkdir(parents=True)
    (elsewhere / "secret.txt").write_text(OUTSIDE)
    (elsewhere / "folder/secret.txt").write_text(OUTSIDE)
    (elsewhere / "config.yaml").write_text(f"note: {OUTSIDE}\n")
    (elsewhere / "metrics.json").write_text('{"outside": 1}')
    (elsewhere / "code").mkdir()
    (elsewhere / "code/evil.py").write_text(f"# {OUTSIDE}\n")
    return root


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["pack", *args])


def base(root: Path, out: Path, *, code: bool = True) -> list[str]:
    return ["-o", str(out), "--metrics", str(root / "metrics.json"), "--no-git",
            *(["--code", str(root / "code")] if code else [])]


LINKED = {
    "--data": ("data-link", "secret.txt"),
    "--data folder": ("data-dir-link", "folder"),
    "--artifact": ("artifact-link", "secret.txt"),
    "--config": ("config-link", "config.yaml"),
    "--notes": ("notes-link", "secret.txt"),
    "--code": ("code-link", "code"),
}


@pytest.mark.parametrize("option", LINKED)
def test_a_link_given_on_the_command_line_is_refused(project: Path, tmp_path: Path,
                                                     option: str) -> None:
    link_name, target = LINKED[option]
    link = project / link_name
    link.symlink_to(tmp_path / "elsewhere" / target)
    out = tmp_path / "out"
    flag = option.split()[0]
    result = run(*base(project, out, code=flag != "--code"), flag, str(link))
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert "\n" not in line and flag in line and link_name in line and "symbolic link" in line
    assert "Traceback" not in result.output
    assert not out.exists()


def test_a_link_given_as_metrics_is_refused(project: Path, tmp_path: Path) -> None:
    link = project / "metrics-link.json"
    link.symlink_to(tmp_path / "elsewhere" / "metrics.json")
    result = run("-o", str(tmp_path / "out"), "--code", str(project / "code"), "--no-git",
                 "--metrics", str(link))
    assert result.exit_code == 2 and "--metrics" in result.output
    assert not (tmp_path / "out").exists()


def test_a_link_through_the_capture_api_is_refused(project: Path, tmp_path: Path) -> None:
    link = project / "data-link"
    link.symlink_to(tmp_path / "elsewhere" / "folder")
    with pytest.raises(PackError, match="symbolic link"):
        pack(Request(out=tmp_path / "out", code=project / "code",
                     metrics=project / "metrics.json", data=[link], git=False))


def test_a_fifo_as_config_is_refused_without_hanging(project: Path, tmp_path: Path) -> None:
    fifo = project / "config.yaml.fifo"
    os.mkfifo(fifo)
    out = tmp_path / "out"
    try:
        done = subprocess.run([sys.executable, "-m", "rexport", "pack",
                               *base(project, out), "--config", str(fifo)],
                              capture_output=True, text=True, timeout=60,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    except subprocess.TimeoutExpired:
        pytest.fail("pack hung on a FIFO given as --config")
    assert done.returncode == 2, done.stderr
    assert "--config" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()


@pytest.mark.parametrize("layout", ["folder-with-files", "export-with-a-stranger",
                                    "file", "link"])
def test_force_never_deletes_what_pack_did_not_make(project: Path, tmp_path: Path,
                                                    layout: str) -> None:
    out = tmp_path / "out"
    mine = tmp_path / "mine.txt"
    if layout == "folder-with-files":
        out.mkdir()
        mine = out / "thesis.tex"
    elif layout == "export-with-a-stranger":
        assert run(*base(project, out)).exit_code == 0
        mine = out / "data" / "added-later.csv"
        mine.parent.mkdir(exist_ok=True)
    elif layout == "file":
        out = mine = tmp_path / "out.tar"
    else:
        out.symlink_to(tmp_path / "elsewhere")
        mine = tmp_path / "elsewhere" / "secret.txt"
    if not mine.exists():
        mine.write_text("the person's own work")
    before = mine.read_text()
    result = run(*base(project, out), "--force")
    assert result.exit_code == 2, result.output
    assert "--force" in result.output and "Traceback" not in result.output
    assert mine.read_text() == before
    assert not list(tmp_path.glob(".out*"))  # no partial output or moved-away copy left


@pytest.mark.parametrize("name", ["out", "out.tar.gz", "out.zip"])
def test_force_replaces_an_earlier_export(project: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    assert run(*base(project, out)).exit_code == 0
    (project / "metrics.json").write_text('{"accuracy": 0.95}')
    result = run(*base(project, out), "--force")
    assert result.exit_code == 0, result.output


SECRET_NAMED = {"db_secret_v2": "hunter2-horse", "api_key2": "battery-staple",
                "apiKey": "correct-horse", "aws_key": "zebra-crossing", "db_creds": "u:pw-pw"}


def test_credential_named_config_members_are_redacted(project: Path, tmp_path: Path) -> None:
    (project / "config.yaml").write_text(yaml.safe_dump({**SECRET_NAMED, "sort_key": "date",
                                                         "lr": 0.3}))
    written = pack(Request(out=tmp_path / "out", code=project / "code",
                           config=project / "config.yaml", metrics=project / "metrics.json",
                           git=False))
    hyper = written.manifest["config"]["hyperparameters"]
    assert {k: hyper[k] for k in SECRET_NAMED} == dict.fromkeys(SECRET_NAMED, "[REDACTED]")
    assert hyper["sort_key"] == "date" and hyper["lr"] == 0.3
    pointers = {r["pointer"] for r in written.manifest["redactions"]}
    assert {f"/config/hyperparameters/{k}" for k in SECRET_NAMED} <= pointers
    embedded = (tmp_path / "out" / "config" / "config.yaml").read_text()
    manifest = (tmp_path / "out" / "rex.json").read_text()
    for value in SECRET_NAMED.values():
        assert value not in embedded and value not in manifest
    assert json.loads(manifest)["config"]["hyperparameters"]["sort_key"] == "date"
