"""Describe an interpreter and its machine as a REX `environment` object, from inside it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

from rexport.pack import distributions, environment

PROBE_TIMEOUT = 120.0

# Run by the probed interpreter itself, which may be another Python without rexport installed:
# it loads the producer's capture modules by path (stdlib only), so a replay's environment is
# described by exactly the code that described the recorded one, and drift means drift.
_SCRIPT = """
import json, platform, runpy, sys
m = runpy.run_path(sys.argv[1])
d = runpy.run_path(sys.argv[2])
env = {"os": m["os_section"](True), "architecture": platform.machine(),
       "python": m["python_section"](), "packages": d["installed_packages"](),
       "hardware": m["hardware_section"](True)}
compiler = m["compiler_section"]()
if compiler:
    env["compiler"] = compiler
sys.stdout.write(json.dumps(env))
"""


def probe(python: str | os.PathLike[str] | None = None, *,
          env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The environment of interpreter ``python`` (default: this one): OS, architecture, Python,
    packages it can import, hardware, compiler. Returns {} when the probe cannot run."""
    argv = [os.fspath(python or sys.executable), "-I", "-c", _SCRIPT, environment.__file__,
            distributions.__file__]
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, check=False,
                              timeout=PROBE_TIMEOUT, env=None if env is None else dict(env))
        found = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return {}
    return found if isinstance(found, dict) else {}
