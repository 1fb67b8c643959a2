"""No process a replay started outlives it, not even one that detached itself."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.replay_export import TRAIN, build_export
from rexport.cli import cli
from rexport.replay import env

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="descendants are found through /proc")

# Double fork and setsid, as a daemon does: the grandchild leaves the command's session and
# process group, and its parent ends, so that nothing but its ancestry ties it to the replay.
DAEMON = """\
import os, pathlib, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        if sys.argv[1:] == ["quiet"]:
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
        pathlib.Path("daemon.pid.tmp").write_text(str(os.getpid()))
        os.rename("daemon.pid.tmp", "daemon.pid")
        time.sleep(120)
    os._exit(0)
os.wait()
while not pathlib.Path("daemon.pid").exists():
    time.sleep(0.01)
"""


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie has ended; it only waits to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@contextlib.contextmanager
def daemon_pid(folder: Path) -> Iterator[list[int]]:
    """The pid the daemon wrote in ``folder``; killed afterwards if a test left it running."""
    found: list[int] = []
    try:
        yield found
    finally:
        pid_file = folder / "daemon.pid"
        if pid_file.exists():
            found.append(int(pid_file.read_text()))
            if alive(found[0]):
                os.kill(found[0], signal.SIGKILL)


def replay(*args: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(cli, ["replay", *args, "--yes", "-o", "json"])
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("mode", ["quiet", "holding-the-output"])
def test_a_daemon_started_by_the_command_ends_with_the_replay(tmp_path: Path,
                                                              mode: str) -> None:
    script = DAEMON + TRAIN
    root = build_export(tmp_path / "run", script=script,
                        edit=lambda m: m["replay"].update(
                            command=["python", "code/train.py", mode]))
    work = tmp_path / "work"
    with daemon_pid(work / "export") as pid:
        code, report = replay(str(root), "--workdir", str(work))
        assert code == 0, report
        assert (work / "export" / "daemon.pid").exists()
        assert not alive(int((work / "export" / "daemon.pid").read_text()))
    assert pid and not alive(pid[0])


def test_a_daemon_ends_when_the_command_times_out(tmp_path: Path) -> None:
    root = build_export(tmp_path / "run", script=DAEMON + "time.sleep(60)\n",
                        edit=lambda m: m["replay"].update(
                            command=["python", "code/train.py", "quiet"]))
    work = tmp_path / "work"
    with daemon_pid(work / "export"):
        code, report = replay(str(root), "--workdir", str(work), "--timeout", "3")
        assert code == 2 and report["returncode"] is None
        assert not alive(int((work / "export" / "daemon.pid").read_text()))


def test_setup_commands_time_out_with_all_they_started(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(env, "INSTALL_TIMEOUT", 2.0)
    (tmp_path / "home").mkdir()
    script = DAEMON + "time.sleep(60)\n"
    with daemon_pid(tmp_path / "home"):
        start = time.monotonic()
        code, lines = env.run_tool([sys.executable, "-c", script, "quiet"],
                                   env={"PATH": os.defpath}, cwd=tmp_path / "home",
                                   log=tmp_path / "setup.log")
        assert code == -1 and "timed out" in lines[-1]
        assert time.monotonic() - start < 30
        assert not alive(int((tmp_path / "home" / "daemon.pid").read_text()))


def test_relative_workdir_is_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = build_export(tmp_path / "run")
    monkeypatch.chdir(tmp_path)
    code, report = replay(str(root), "--workdir", "wd")
    assert code == 0, report
    assert report["workdir"] == str(tmp_path / "wd")
    assert (tmp_path / "wd" / "export" / "replay" / "metrics.json").is_file()
