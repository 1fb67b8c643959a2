"""The sha256 of each pinned package's distribution file, as `pip download` gets it."""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from rexport.parsing.lockfiles import normal_name

DOWNLOAD_TIMEOUT = 1800.0


def _owner(filename: str) -> str | None:
    """The normalised project name of a wheel's file name (``scikit_learn-1.5.0-...whl``)."""
    if not filename.endswith(".whl"):
        return None
    return normal_name(filename.split("-", 1)[0])


def fetch(pins: Sequence[tuple[str, str]], *, python: str = sys.executable
          ) -> tuple[dict[str, list[str]], list[str]]:
    """Download each ``(name, version)`` once, without dependencies and as wheels only (an
    sdist would run its build to be inspected), and hash what came; pip's own configuration
    (index, cache, proxy) applies, and a file pip has cached is not fetched again.

    Returns (``sha256:`` hashes by normalised name, names no file could be had for). A hash
    pins the file of this platform: a replay elsewhere needs the same wheel to be installable.
    """
    if not pins:
        return {}, []
    with tempfile.TemporaryDirectory(prefix="rexport-hashes-") as tmp:
        folder = Path(tmp) / "files"
        wanted = Path(tmp) / "requirements.txt"
        wanted.write_text("".join(f"{name}=={version}\n" for name, version in pins), "utf-8")
        argv = [python, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                "--disable-pip-version-check", "--no-input", "--quiet", "--dest", str(folder),
                "--requirement", str(wanted)]
        # what was downloaded is judged below, whatever pip said, and the rest named missing
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, check=False,
                           timeout=DOWNLOAD_TIMEOUT, env=dict(os.environ))
        found: dict[str, list[str]] = {}
        for item in sorted(folder.iterdir()) if folder.is_dir() else []:
            owner = _owner(item.name)
            if owner is None or not item.is_file():
                continue
            digest = hashlib.sha256()
            with open(item, "rb") as fp:
                for chunk in iter(lambda: fp.read(1 << 20), b""):
                    digest.update(chunk)
            found.setdefault(owner, []).append(f"sha256:{digest.hexdigest()}")
    missing = [name for name, _ in pins if normal_name(name) not in found]
    return found, missing
