"""A watched place to validate a hostile export in: nothing may be written anywhere near it."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from hostile.cases import EVIL

Snapshot = dict[str, tuple[int, int, int]]


def snapshot(root: Path) -> Snapshot:
    """Every path under ``root`` with its mode, size and modification time (links unfollowed)."""
    out: Snapshot = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            full = os.path.join(folder, name)
            info = os.lstat(full)
            out[os.path.relpath(full, root)] = (info.st_mode, info.st_size, info.st_mtime_ns)
    return out


def evil_outside(*roots: Path) -> list[str]:
    """Files named like the corpus's escape target in the places an extractor could write."""
    return [str(r / EVIL) for r in roots if (r / EVIL).exists()]


class Sandbox:
    """A case laid out in ``tmp_path``: export, working directory and TMPDIR, all watched."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = tmp_path
        self.exports = tmp_path / "exports"
        self.cwd = tmp_path / "cwd"
        self.tmp = tmp_path / "tmp"
        for folder in (self.exports, self.cwd, self.tmp):
            folder.mkdir()
        monkeypatch.chdir(self.cwd)
        monkeypatch.setenv("TMPDIR", str(self.tmp))
        monkeypatch.setattr(tempfile, "tempdir", str(self.tmp))
        self._before: Snapshot = {}
        self._parent: set[str] = set()

    def watch(self) -> None:
        self._before = snapshot(self.root)
        self._parent = set(os.listdir(self.root.parent))

    def assert_untouched(self) -> None:
        assert snapshot(self.root) == self._before, "something was written"
        assert set(os.listdir(self.root.parent)) == self._parent
        assert not evil_outside(self.root.parent, self.root.parent.parent, Path("/tmp"))


def validate_in_child(sandbox: Sandbox, target: Path, options: dict[str, Any], *, memory: int,
                      seconds: float) -> subprocess.CompletedProcess[str]:
    """`rexport validate -o json` on ``target`` with ``options`` (validate() keywords), in a
    child process of the sandbox held to ``memory`` bytes of address space and ``seconds``."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    flags: list[str] = []
    for key, value in options.items():
        flags += ["--" + key.replace("_", "-"), str(value)]
    env = {**os.environ, "TMPDIR": str(sandbox.tmp), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "rexport", "validate", "-o", "json", *flags, str(target)],
        cwd=sandbox.cwd, env=env, capture_output=True, text=True, timeout=seconds,
        preexec_fn=limit, check=False)
