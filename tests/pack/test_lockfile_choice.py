"""Which lockfiles an export lists: those that match the environment the run used; the others
stay plain files; rexport is pinned when the code imports it; hashes when wheels can be had."""

from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import rexport
from click.testing import CliRunner
from helpers.wheels import make_wheel, offline_index
from rexport.cli import cli
from rexport.pack import Capture
from rexport.pack.lockfiles import section_lockfiles
from rexport.pack.members import Member

CLICK = metadata.version("click")
PYYAML = metadata.version("pyyaml")
STALE_CONDA = "name: old\ndependencies:\n  - python=3.6\n  - click=0.1\n"


def capture(root: Path, out: Path) -> dict[str, Any]:
    cap = Capture(root, git=False)
    cap.metric("accuracy", 0.5)
    written = cap.write(out)
    manifest: dict[str, Any] = written.manifest
    manifest["warnings"] = written.warnings
    return manifest


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "train.py").write_text("import click\n")
    return folder


def test_the_matching_lockfile_is_the_recipe(root: Path, tmp_path: Path) -> None:
    (root / "requirements.txt").write_text(f"click=={CLICK}\nPyYAML=={PYYAML}\n")
    (root / "environment.yml").write_text(STALE_CONDA)
    m = capture(root, tmp_path / "export")
    assert m["environment"]["lockfiles"] == [{"path": "code/requirements.txt",
                                              "format": "pip-requirements"}]
    # the stale one is still there, as a file of the snapshot
    assert "code/environment.yml" in {f["path"] for f in m["files"]}
    script = (tmp_path / "export" / "environment" / "reproduce.sh").read_text()
    assert "code/requirements.txt" in script and "conda" not in script
    assert any("environment.yml does not match" in w for w in m["warnings"])
    assert any(w.startswith("REX-R112") for w in m["warnings"])


def test_without_a_matching_lockfile_the_packer_pins(root: Path, tmp_path: Path) -> None:
    (root / "requirements.txt").write_text("click==0.0.1\n")
    m = capture(root, tmp_path / "export")
    assert m["environment"]["lockfiles"] == [{"path": "environment/requirements.txt",
                                              "format": "pip-requirements"}]
    pins = (tmp_path / "export" / "environment" / "requirements.txt").read_text()
    assert f"click=={CLICK}\n" in pins


def test_rexport_is_pinned_when_the_code_imports_it(root: Path, tmp_path: Path) -> None:
    (root / "train.py").write_text("from rexport.pack import Capture\n")
    capture(root, tmp_path / "export")
    pins = (tmp_path / "export" / "environment" / "requirements.txt").read_text()
    assert f"rexport=={rexport.__version__}\n" in pins


def test_rexport_is_left_out_when_the_code_does_not_import_it(root: Path,
                                                               tmp_path: Path) -> None:
    capture(root, tmp_path / "export")
    pins = (tmp_path / "export" / "environment" / "requirements.txt").read_text()
    local = metadata.distribution("rexport").read_text("direct_url.json") is not None
    assert ("rexport==" in pins) is not local


def test_a_lockfile_without_rexport_is_flagged(root: Path, tmp_path: Path) -> None:
    (root / "train.py").write_text("import rexport\n")
    (root / "requirements.txt").write_text(f"click=={CLICK}\n")
    m = capture(root, tmp_path / "export")
    assert any("does not pin it" in w and f"rexport=={rexport.__version__}" in w
               for w in m["warnings"])


def test_two_project_lockfiles_that_disagree_are_reported_by_the_validator(
        root: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    capture(root, out)
    manifest = json.loads((out / "rex.json").read_text())
    (out / "environment" / "old.txt").write_text("click==0.1\n")
    manifest["environment"]["lockfiles"].append({"path": "environment/old.txt",
                                                 "format": "pip-requirements"})
    (out / "rex.json").write_text(json.dumps(manifest))
    assert CliRunner().invoke(cli, ["seal", str(out), "--add"]).exit_code == 0
    codes = [f.code for f in rexport.validate(out).findings]
    assert codes == ["REX-R112"]


def _section(packages: list[dict[str, str]], hashes: bool, tmp_path: Path
             ) -> tuple[dict[str, bytes], list[str], list[str]]:
    members: dict[str, bytes] = {}

    def add(member: Member) -> str:
        assert isinstance(member.source, bytes)
        members[member.path] = member.source
        return member.path

    _, warnings, advice = section_lockfiles({"packages": packages}, [], snapshot={}, add=add,
                                            needs_rexport=False, want_hashes=hashes)
    return members, warnings, advice


def test_hashes_of_the_wheels_when_every_one_can_be_had(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    wheels = tmp_path / "wheels"
    wheel = make_wheel(wheels, "toypkg", "1.0", "X = 1\n")
    offline_index(monkeypatch, wheels)
    members, warnings, advice = _section([{"name": "toypkg", "version": "1.0"}], True, tmp_path)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert members["environment/requirements.txt"] == (
        f"toypkg==1.0 \\\n    --hash=sha256:{digest}\n").encode()
    assert warnings == [] and advice == []


def test_no_hashes_at_all_when_one_wheel_is_missing(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "toypkg", "1.0", "X = 1\n")
    offline_index(monkeypatch, wheels)
    packages = [{"name": "toypkg", "version": "1.0"}, {"name": "absent", "version": "2"}]
    members, warnings, _ = _section(packages, True, tmp_path)
    assert b"--hash" not in members["environment/requirements.txt"]
    assert any("without hashes" in w and "absent" in w for w in warnings)


def test_without_asking_for_hashes_the_advice_says_how(tmp_path: Path) -> None:
    members, _, advice = _section([{"name": "toypkg", "version": "1.0"}], False, tmp_path)
    assert members["environment/requirements.txt"] == b"toypkg==1.0\n"
    assert any("--hashes" in a for a in advice)



@pytest.mark.timeout(20)
@pytest.mark.parametrize("swap", ["fifo", "link"])
def test_a_lockfile_swapped_for_a_fifo_or_a_link_is_not_read(tmp_path: Path, swap: str) -> None:
    # discovery saw a regular file; by the time it is read the tree has changed: a FIFO must
    # not block the packer and a link must not be followed out of the project
    from rexport.pack.lockfiles import _read

    outside = tmp_path / "outside.txt"
    outside.write_text(f"click=={CLICK}\n")
    lock = tmp_path / "requirements.txt"
    if swap == "fifo":
        os.mkfifo(lock)
    else:
        lock.symlink_to(outside)
    assert _read(lock) is None
    assert _read(outside) == f"click=={CLICK}\n".encode()
