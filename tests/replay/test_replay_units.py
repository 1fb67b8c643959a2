"""Replay's parts one by one: tolerance, metrics files, safe unpacking, the command's variables."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
from helpers.archives import Member, pack
from helpers.replay_export import build_export
from rexport.replay.env import SetupError, inspect_lockfile
from rexport.replay.metrics import Check, MetricsError, judge, read_metrics, within
from rexport.replay.run import command_environment, run_command, seed_variables
from rexport.sources.unpack import UnpackError, unpack


@pytest.mark.parametrize(("expected", "absolute", "relative", "got", "ok"), [
    (0.9, 0.01, None, 0.905, True), (0.9, 0.01, None, 0.911, False),
    (1.0, None, 0.1, 1.09, True), (1.0, None, 0.1, 1.11, False),
    (-1.0, None, 0.1, -1.09, True),  # relative to |expected|
    # both bounds given: either one suffices
    (1.0, 0.2, 0.01, 1.15, True), (1.0, 0.01, 0.2, 1.15, True), (1.0, 0.01, 0.01, 1.15, False),
    (1.0, None, None, 1.0, True), (1.0, None, None, 1.0000001, False),
])
def test_tolerance_is_either_bound(expected: float, absolute: float | None,
                                   relative: float | None, got: float, ok: bool) -> None:
    assert within(Check("m", None, expected, absolute, relative), got) is ok


@pytest.mark.parametrize("got", [math.nan, math.inf, None, "0.9", True])
def test_non_finite_or_non_numbers_fail(got: object) -> None:
    assert not within(Check("m", None, 0.9, 1.0, 1.0), got)


def test_metrics_file_forms(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"metrics": [
        {"name": "acc", "split": "test", "value": 0.9},
        {"name": "acc", "split": "validation", "value": 0.8}]}))
    (tmp_path / "b.json").write_text(json.dumps({"acc": 0.9}))
    checks = [Check("acc", "test", 0.9, 0.0), Check("acc", "validation", 0.9, 0.0)]
    assert [o.passed for o in judge(checks, *read_metrics(tmp_path, "a.json"))] == [True, False]
    # a plain {name: value} file answers every split of that name
    assert [o.got for o in judge(checks, *read_metrics(tmp_path, "b.json"))] == [0.9, 0.9]


def test_metrics_file_missing_or_hostile(tmp_path: Path) -> None:
    (tmp_path / "target.json").write_text(json.dumps({"acc": 1}))
    (tmp_path / "link.json").symlink_to(tmp_path / "target.json")
    os.mkfifo(tmp_path / "fifo.json")
    (tmp_path / "bad.json").write_text('{"acc": NaN}')
    (tmp_path / "list.json").write_text("[1]")
    for name in ("absent.json", "link.json", "fifo.json", "bad.json", "list.json"):
        with pytest.raises(MetricsError):
            read_metrics(tmp_path, name)


def test_seed_variables_are_named_from_the_seed() -> None:
    env = seed_variables({"numpy": 3, "torch.cuda": 7, "flag": True, "text": "x"})
    assert env == {"REX_SEED_NUMPY": "3", "REX_SEED_TORCH_CUDA": "7",
                   "REX_SEEDS": json.dumps({"numpy": 3, "torch.cuda": 7}, sort_keys=True)}


def test_command_environment_inherits_nothing(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    env = command_environment(venv_root=tmp_path / "v", venv_bin=tmp_path / "v" / "bin",
                              home=tmp_path / "h", tmp=tmp_path / "t", seeds={"python": 1},
                              declared={"PYTHONHASHSEED": "5"})
    assert "GITHUB_TOKEN" not in env
    assert env["PYTHONHASHSEED"] == "5"  # the export's own declaration wins
    assert env["PATH"].split(os.pathsep)[0] == str(tmp_path / "v" / "bin")


def test_run_command_tail_is_bounded(tmp_path: Path) -> None:
    script = "import sys\nfor n in range(5000): print('x' * 100, n)\n"
    result = run_command(["python3", "-c", script], cwd=tmp_path, env={"PATH": os.defpath},
                         timeout=30, log=tmp_path / "log")
    assert result.returncode == 0
    assert len(result.tail) == 50 and result.tail[-1].endswith(" 4999")


# --- unpacking ---------------------------------------------------------------------------------

def fixture_tar(tmp_path: Path, **kwargs: Any) -> tuple[Path, dict[str, object], bytes]:
    root = build_export(tmp_path / "run")
    data = (root / "rex.json").read_bytes()
    return pack(root, tmp_path / "run.tar", **kwargs), json.loads(data), data


def test_unpack_writes_exactly_the_indexed_files(tmp_path: Path) -> None:
    archive, manifest, data = fixture_tar(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    assert unpack(archive, manifest, data, dest, max_files=100, max_bytes=1 << 20) == 2
    written = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert written == ["code/train.py", "environment/requirements.lock", "rex.json"]
    assert (dest / "rex.json").read_bytes() == data


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"replace": {"code/train.py": b"print('tampered')\n"}}, "REX-I101"),
    ({"replace": {"code/train.py": b""}}, "REX-I101"),
    ({"extra": [Member("notes.txt", b"unindexed")]}, "REX-C103"),
])
def test_unpack_refuses_what_the_index_does_not_say(
        tmp_path: Path, kwargs: dict[str, Any], code: str) -> None:
    archive, manifest, data = fixture_tar(tmp_path, **kwargs)
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(UnpackError) as caught:
        unpack(archive, manifest, data, dest, max_files=100, max_bytes=1 << 20)
    assert caught.value.code == code
    assert not (dest / "rex.json").exists()


def test_unpack_refuses_same_size_tampering(tmp_path: Path) -> None:
    root = build_export(tmp_path / "run")
    original = (root / "code" / "train.py").read_bytes()
    swapped = original.replace(b"0.9", b"0.8")
    archive, manifest, data = fixture_tar(tmp_path / "t", replace={"code/train.py": swapped})
    assert len(swapped) == len(original)
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(UnpackError) as caught:
        unpack(archive, manifest, data, dest, max_files=100, max_bytes=1 << 20)
    assert caught.value.code == "REX-I102"


def test_unpack_never_writes_outside(tmp_path: Path) -> None:
    archive, manifest, data = fixture_tar(tmp_path, extra=[Member("../../outside.txt", b"x")])
    dest = tmp_path / "a" / "b" / "dest"
    dest.mkdir(parents=True)
    with pytest.raises(UnpackError):
        unpack(archive, manifest, data, dest, max_files=100, max_bytes=1 << 20)
    assert not list(tmp_path.rglob("outside.txt"))


def test_unpack_refuses_links(tmp_path: Path) -> None:
    root = build_export(tmp_path / "run")
    archive = pack(root, tmp_path / "link.tar",
                   extra=[Member("code/evil", kind="symlink", target="/etc/passwd")])
    data = (root / "rex.json").read_bytes()
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(UnpackError):
        unpack(archive, json.loads(data), data, dest, max_files=100, max_bytes=1 << 20)
    assert not (dest / "code" / "evil").exists()


# --- lockfiles ---------------------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "-r other.txt", "-rother.txt", "--requirement=other.txt", "-c constraints.txt", "-e .",
    "./local-package", "/abs/pkg.whl", "~/pkg", "pkg @ file:///etc/pkg.whl",
    "-f /opt/wheels", "--find-links=/opt/wheels",
])
def test_lockfile_lines_reading_local_files_are_refused(tmp_path: Path, line: str) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text(f"numpy==1.26.4\n{line}\n")
    with pytest.raises(SetupError):
        inspect_lockfile(lock, "requirements.lock")


def test_lockfile_pins_hashes_and_index_options_pass_when_allowed(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text("--index-url https://pypi.org/simple\n-f https://example.org/wheels\n"
                    "numpy==1.26.4 \\\n    --hash=sha256:" + "a" * 64 + "  # via file: x\n")
    with pytest.raises(SetupError, match=r"requirements\.lock:1"):
        inspect_lockfile(lock, "requirements.lock")
    checked = inspect_lockfile(lock, "requirements.lock", allow_sources=True)
    assert checked.hashes and checked.requirements
    assert checked.lines[-1] == "numpy==1.26.4 --hash=sha256:" + "a" * 64
    lock.write_text("# comments only\n\n--prefer-binary\n")
    checked = inspect_lockfile(lock, "requirements.lock")
    assert not checked.hashes and not checked.requirements
