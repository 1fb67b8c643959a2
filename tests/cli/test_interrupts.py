"""Ctrl-C and destinations that cannot be written: exit 130 or 2, one line, nothing half-written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.exports import read_manifest, seal, write_export, write_manifest
from rexport.cli import cli
from rexport.outputs import OutputError, write_atomically
from rexport.pack import Capture, PackError

BIG = 4 << 30  # sparse: no disk used, and hashing it takes seconds


def big_export(root: Path) -> Path:
    """An export with a large file whose hashing is still going on when the signal comes."""
    write_export(root)
    with open(root / "data" / "values.csv", "r+b") as fp:
        fp.truncate(BIG)
    manifest = read_manifest(root)
    entry = next(f for f in manifest["files"] if f["path"] == "data/values.csv")
    entry["size"] = BIG  # the digest no longer matches: uninterrupted, validate says invalid
    write_manifest(root, seal(manifest))
    return root


def start(*args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    # a session of its own: Ctrl-C on a terminal signals the whole foreground process group
    return subprocess.Popen([sys.executable, "-m", "rexport", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def read_bytes_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    return 0


def interrupt_when_reading(proc: subprocess.Popen[bytes], after: int) -> tuple[int, str, bytes]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if read_bytes_of(proc.pid) > after:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the command ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, err.decode(), out


linux_only = pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="reads /proc/PID/io")


@linux_only
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_during_validate_exits_130_and_writes_no_report(tmp_path: Path,
                                                               jobs: str) -> None:
    root = big_export(tmp_path / "export")
    report = tmp_path / "report.json"
    report.write_text("the previous report\n")
    proc = start("validate", str(root), "-o", "json", "--output", str(report), "-j", jobs)
    code, err, out = interrupt_when_reading(proc, 64 << 20)
    assert code == 130, err
    assert err == "rexport: interrupted\n"
    assert out == b""
    assert report.read_text() == "the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "report.json"]


@linux_only
def test_ctrl_c_during_pack_exits_130_and_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "in" / "code").mkdir(parents=True)
    (tmp_path / "in" / "code" / "main.py").write_text("print(1)\n")
    (tmp_path / "in" / "metrics.json").write_text('{"loss": 0.25}')
    with open(tmp_path / "in" / "big.bin", "wb") as fp:
        fp.truncate(BIG)
    out = tmp_path / "target" / "out.tar.gz"
    proc = start("pack", "-o", str(out), "--code", str(tmp_path / "in" / "code"),
                 "--data", str(tmp_path / "in" / "big.bin"),
                 "--metrics", str(tmp_path / "in" / "metrics.json"), "--no-git")
    code, err, _ = interrupt_when_reading(proc, 64 << 20)
    assert code == 130, err
    assert err == "rexport: interrupted\n"
    assert not out.exists()
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def unwritable(tmp_path: Path) -> list[Path]:
    """Destinations that fail even for root: under a regular file, and in /proc."""
    (tmp_path / "a-file").write_text("not a folder\n")
    return [tmp_path / "a-file" / "out", Path("/proc/rexport-test-output")]


def test_validate_output_that_cannot_be_written(tmp_path: Path) -> None:
    root = write_export(tmp_path / "export")
    full = [Path("/dev/full")] if Path("/dev/full").exists() else []  # ENOSPC, root or not
    for dest in [*unwritable(tmp_path), *full]:
        result = CliRunner().invoke(cli, ["validate", str(root), "--output", str(dest)])
        assert result.exit_code == 2
        assert result.stderr.startswith(f"Error: cannot write {dest}"), result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


def test_an_output_through_a_link_replaces_the_target_not_the_link(tmp_path: Path) -> None:
    root = write_export(tmp_path / "export")
    (tmp_path / "report.json").symlink_to(tmp_path / "target.json")
    result = CliRunner().invoke(cli, ["validate", str(root), "-o", "json",
                                      "--output", str(tmp_path / "report.json")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report.json").is_symlink()
    assert '"valid": true' in (tmp_path / "target.json").read_text()


def test_badge_output_that_cannot_be_written(tmp_path: Path) -> None:
    root = write_export(tmp_path / "export")
    for dest in unwritable(tmp_path):
        for option in ("-o", "--json"):
            args = ["badge", str(root), option, str(dest)]
            if option == "--json":
                args += ["-o", str(tmp_path / "badge.svg")]
            result = CliRunner().invoke(cli, args)
            assert result.exit_code == 2, result.output
            assert result.exception is None or isinstance(result.exception, SystemExit)
            assert result.stderr.startswith(f"Error: cannot write {dest}"), result.stderr
            assert result.stderr.count("\n") == 1


def test_capture_write_that_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "main.py").write_text("print(1)\n")
    cap = Capture(tmp_path / "code", git=False)
    cap.metric("loss", 0.25)
    for dest in unwritable(tmp_path):
        for name in ("x.tar.gz", "x"):
            with pytest.raises(PackError, match="cannot write") as caught:
                cap.write(dest / name)
            assert "\n" not in str(caught.value)
    (tmp_path / "metrics.json").write_text('{"loss": 0.25}')
    result = CliRunner().invoke(cli, ["pack", "-o", str(tmp_path / "a-file" / "out"),
                                      "--code", str(tmp_path / "code"), "--no-git",
                                      "--metrics", str(tmp_path / "metrics.json")])
    assert result.exit_code == 2 and "cannot write" in result.stderr


def test_a_failed_write_leaves_the_old_file_and_cleanup_raises_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")

    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    def locked(self: Path, missing_ok: bool = False) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", full)
    monkeypatch.setattr(Path, "unlink", locked)
    with pytest.raises(OutputError, match="No space left") as caught:
        write_atomically(target, b"new")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert target.read_text() == "old"
