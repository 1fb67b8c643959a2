"""A command's peak resident memory, measured from a small launcher (wait4) so that the figure
is the command's own: a process started straight from pytest would inherit pytest's peak."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_LAUNCHER = """
import json, os, sys
out = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
actions = [(os.POSIX_SPAWN_DUP2, out, 1)]
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ, file_actions=actions)
_, status, usage = os.wait4(pid, 0)
print(json.dumps({"code": os.waitstatus_to_exitcode(status), "peak_kib": usage.ru_maxrss}))
"""


def run_measured(argv: list[str], env: dict[str, str], out: Path,
                 timeout: float = 600) -> tuple[int, str, float]:
    """Run ``argv`` (its stdout to ``out``); return (exit code, stdout, peak RSS in MiB)."""
    done = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, str(out), *argv], env=env,
                          capture_output=True, text=True, timeout=timeout, check=True)
    measured = json.loads(done.stdout)
    return measured["code"], out.read_text(encoding="utf-8"), measured["peak_kib"] / 1024
