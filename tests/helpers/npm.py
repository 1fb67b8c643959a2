"""Node tools from the npm registry for tests that check rexport's output with them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def npm_install(folder: Path, *packages: str) -> Path:
    """Install ``packages`` under ``folder`` (once per folder); return its node_modules.

    Skips the test, saying why, when node or npm is not on PATH (.ci/run installs them).
    """
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (Debian: apt-get install nodejs npm)")
    modules = folder / "node_modules"
    if not modules.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund",
             "--ignore-scripts", *packages],
            capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
    return modules
