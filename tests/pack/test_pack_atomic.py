"""Atomic output: an interrupted or failed pack leaves nothing at OUT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from rexport.pack import PackError, writers
from rexport.pack.files import Request, pack

BIG = 64 << 20


def inputs(root: Path, big: int = 0) -> Path:
    (root / "code").mkdir(parents=True)
    (root / "code/main.py").write_text("print(1)\n")
    (root / "metrics.json").write_text('{"loss": 0.25}')
    if big:
        with open(root / "big.bin", "wb") as fp:
            for _ in range(big >> 20):
                fp.write(os.urandom(1 << 20))  # incompressible: the write takes a while
    return root


def _start(root: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "rexport", "pack", "-o", str(out), "--code", str(root / "code"),
         "--data", str(root / "big.bin"), "--metrics", str(root / "metrics.json"), "--no-git"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for_partial(out: Path, proc: subprocess.Popen[bytes]) -> None:
    """Wait until pack has written over 4 MiB of its partial output (an archive, or the big
    file inside a partial folder)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for candidate in out.parent.glob(f".{out.name}.*.rexport-partial"):
            written = candidate / "data" / "big.bin" if candidate.is_dir() else candidate
            if written.exists() and written.stat().st_size > (4 << 20):
                return
        if proc.poll() is not None:
            pytest.fail(f"pack ended before it could be interrupted: {proc.stderr!r}")
        time.sleep(0.01)
    proc.kill()
    pytest.fail("no partial output appeared")


@pytest.mark.parametrize("name", ["out.tar.gz", "out.zip", "outdir"])
def test_sigkill_halfway_leaves_nothing_at_out(tmp_path: Path, name: str) -> None:
    root = inputs(tmp_path / "in", big=BIG)
    out = tmp_path / "target" / name
    proc = _start(root, out)
    _wait_for_partial(out, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.stderr is not None
    proc.stderr.close()
    assert not out.exists()


def test_sigterm_removes_the_partial_output(tmp_path: Path) -> None:
    root = inputs(tmp_path / "in", big=BIG)
    out = tmp_path / "out.tar.gz"
    proc = _start(root, out)
    _wait_for_partial(out, proc)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    assert proc.stderr is not None
    assert b"Traceback" not in proc.stderr.read()
    proc.stderr.close()
    assert not out.exists()
    assert list(tmp_path.glob(".out.tar.gz.*")) == []


@pytest.mark.parametrize("name", ["out.tar.gz", "out.zip", "out"])
def test_a_failure_while_writing_leaves_nothing(tmp_path: Path, name: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    root = inputs(tmp_path / "in")

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    for writer in ("_write_tar", "_write_zip", "_write_dir"):
        monkeypatch.setattr(writers, writer, broken)
    # a directory is written while it is hashed, its manifest last
    monkeypatch.setattr(writers.DirectoryOutput, "finish", broken)
    with pytest.raises(PackError, match=r"cannot write .*: No space left on device"):
        pack(Request(out=tmp_path / name, code=root / "code", metrics=root / "metrics.json",
                     git=False))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_a_failure_while_copying_leaves_nothing(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    root = inputs(tmp_path / "in", big=2 << 20)
    real = writers.DirectoryOutput.file

    def failing(self: writers.DirectoryOutput, member: Any) -> Any:
        if member.path.endswith("big.bin"):
            raise OSError(28, "No space left on device")
        return real(self, member)

    monkeypatch.setattr(writers.DirectoryOutput, "file", failing)
    with pytest.raises(PackError, match=r"cannot write .*: No space left on device"):
        pack(Request(out=tmp_path / "out", code=root / "code", data=(root / "big.bin",),
                     metrics=root / "metrics.json", git=False))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_existing_output_is_kept_unless_overwrite(tmp_path: Path) -> None:
    root = inputs(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    request = Request(out=out, code=root / "code", metrics=root / "metrics.json", git=False)
    with pytest.raises(PackError):
        pack(request)
    request.overwrite = True
    pack(request)  # an empty folder
    pack(request)  # an earlier export
    assert (out / "rex.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


def test_file_changed_between_hashing_and_writing_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = inputs(tmp_path / "in")
    real = writers._opened

    def touch_then_open(member: writers.Member, hashed: writers.Hashed) -> object:
        if member.path == "code/main.py":
            (root / "code/main.py").write_text("print(2)  # changed\n")
        return real(member, hashed)

    monkeypatch.setattr(writers, "_opened", touch_then_open)
    with pytest.raises(PackError, match="changed"):
        pack(Request(out=tmp_path / "out.zip", code=root / "code",
                     metrics=root / "metrics.json", git=False))
    assert not (tmp_path / "out.zip").exists()


@pytest.mark.parametrize(("first", "second"), [("out", "zip"), ("zip", "dir"), ("dir", "dir")])
def test_overwrite_across_kinds(tmp_path: Path, first: str, second: str) -> None:
    root = inputs(tmp_path / "in")
    out = tmp_path / "result"
    for fmt in (first, second):
        request = Request(out=out, code=root / "code", metrics=root / "metrics.json",
                          git=False, format="dir" if fmt == "out" else fmt, overwrite=True)
        pack(request)
    assert out.is_dir() == (second == "dir")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "result"]


@pytest.mark.parametrize(("name", "message"), [
    ("environment/reproduce.sh", r"two files would both be stored at 'environment/reproduce\.sh'"),
    ("Environment/reproduce.sh", r"^some files cannot be stored under REX's path rules: "
                                 r"'environment/reproduce\.sh' collides with "
                                 r"'Environment/reproduce\.sh'; 'environment' collides")])
def test_an_environment_file_made_while_hashing_that_collides_leaves_nothing(
        tmp_path: Path, name: str, message: str) -> None:
    # the environment's files are made while the others are hashed and written
    from rexport.pack import Capture, EnvironmentOptions

    root = inputs(tmp_path / "in", big=4 << 20)
    cap = Capture(root / "code", git=False,
                  environment=EnvironmentOptions(packages="none", hardware=False))
    cap.metric("loss", 0.25)
    cap.artifact("big", root / "big.bin")
    cap.add_bytes(name, b"#!/bin/sh\n", role="environment")
    with pytest.raises(PackError, match=message):
        cap.write(tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]
