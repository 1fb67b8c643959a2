"""Run an experiment's command and record it: the engine of `rexport run`.

The code, git state and environment are captured before the command starts; the command runs
without a shell in the caller's environment and working directory; its metrics, artifacts and
inputs are recorded after it ends, with its start and end as a lineage step, and its own
command line as the replay recipe.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType

from rexport.pack import files, recipe
from rexport.pack.build import Written
from rexport.pack.capture import Capture
from rexport.pack.clock import rfc3339
from rexport.pack.errors import PackError
from rexport.pack.request import ReplaySpec, Request

_PYTHON = re.compile(r"^(?:python|pypy)[0-9.]*(?:\.exe)?$")
_FORWARDED = (signal.SIGINT, signal.SIGTERM)


class Interrupted(Exception):
    """The run was interrupted (SIGINT or SIGTERM): nothing is written."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by signal {signum}")
        self.signum = signum


@dataclass
class Outcome:
    """How the command ended, and the export written when it succeeded."""

    returncode: int
    written: Written | None = None
    notes: list[str] = field(default_factory=list)


def _terminal_sent(signum: int) -> bool:
    """True when the signal came from the terminal to our whole process group, the command
    included, so that forwarding it would deliver it twice."""
    if signum != signal.SIGINT or sys.platform == "win32":
        return False
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return False
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


def execute(argv: Sequence[str]) -> tuple[int, float, float, int | None]:
    """Run ``argv`` without a shell, in this process's environment and working directory,
    forwarding SIGINT and SIGTERM to it. Returns (exit status as a shell gives it, start and
    end as seconds since the epoch, the signal that interrupted the run or None)."""
    import time

    received: list[int] = []
    proc: subprocess.Popen[bytes] | None = None

    def forward(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        if proc is not None and proc.poll() is None and not _terminal_sent(signum):
            proc.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in _FORWARDED}
    try:
        started = time.time()
        try:
            proc = subprocess.Popen(list(argv))
        except OSError as exc:
            raise PackError(f"cannot start {argv[0]}: {exc.strerror or exc}") from None
        code = proc.wait()
        ended = time.time()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    status = 128 - code if code < 0 else code  # killed by signal N: 128 + N, as a shell says
    return status, started, ended, received[0] if received else None


def _interpreter(argv: Sequence[str]) -> str | None:
    """The Python interpreter COMMAND starts, when it starts one other than this one."""
    found = shutil.which(argv[0])
    if found is None or not _PYTHON.match(Path(found).name):
        return None
    if os.path.realpath(found) == os.path.realpath(sys.executable):
        return None
    return found


def _describe_interpreter(cap: Capture, argv: Sequence[str]) -> None:
    """Record the Python and packages of the interpreter COMMAND runs, from inside it."""
    from rexport.pack.probe import probe

    python = _interpreter(argv)
    if python is None:
        if not _PYTHON.match(Path(argv[0]).name):
            cap.advice.append(f"{argv[0]} is not a Python interpreter: the packages recorded are "
                              "those of the interpreter that runs rexport")
        return
    found = probe(python)
    if not found:
        cap.warnings.append(f"could not describe {python}: the packages recorded are those "
                            "of the interpreter that runs rexport")
        return
    for key in ("python", "packages"):
        if key in found:
            cap.environment.section[key] = found[key]


def _script(cap: Capture, argv: Sequence[str], cwd: Path) -> Path | None:
    """The file of the code snapshot that COMMAND runs: a path among its arguments, or the
    module of ``-m MODULE``."""
    candidates = [cwd / arg for arg in argv]
    if "-m" in argv[:-1]:
        module = Path(*argv[argv.index("-m") + 1].split("."))
        candidates += [cwd / module.with_suffix(".py"), cwd / module / "__main__.py"]
    for candidate in candidates:
        try:
            resolved = candidate.resolve()
        except (OSError, ValueError):
            continue
        if resolved in cap.snapshot:
            return resolved
    return None


def _lineage(cap: Capture, script: Path | None, started: float, ended: float) -> None:
    """The run as a lineage step: its code is the script COMMAND names, else the first entry
    point given with a path."""
    code = cap.snapshot[script].path if script is not None else next(
        (e["path"] for e in cap.entry_points if "path" in e), None)
    if code is None:
        cap.advice.append("the command names no file of the code snapshot, so the run's start "
                          "and end are not recorded: --entry-point NAME=PATH names its code")
        return
    inputs: list[dict[str, str]] = [{"dataset": ident} for ident in cap.datasets]
    if "path" in cap.config_section:
        inputs.append({"file": cap.config_section["path"]})
    outputs = [{"file": a["path"]} for a in cap.artifacts if "path" in a]
    cap.steps.append({"id": "run", "description": "the run recorded by rexport run",
                      "inputs": inputs, "outputs": outputs,
                      "code": {"path": code},
                      "started": rfc3339(_clamped(cap, min(started, ended))),
                      "ended": rfc3339(_clamped(cap, ended))})


def _clamped(cap: Capture, moment: float) -> float:
    # the capture's clock is wall time clamped to SOURCE_DATE_EPOCH: a rebuild at a fixed
    # reference time then records the same times
    return min(moment, cap.clock())


def run(request: Request, argv: Sequence[str]) -> Outcome:
    """Capture the code and environment, run ``argv``, then record and write the export.

    Returns the command's exit status and, when it succeeded, what was written. Raises
    Interrupted when SIGINT or SIGTERM arrived (nothing is written) and PackError when the
    request cannot be packed (checked as far as possible before the command runs).
    """
    cwd = Path.cwd()
    # the replay runs what ran, where it ran, whatever a project file says
    spec = ReplaySpec(command=list(argv), working_directory=cwd).over(request.replay)
    request = replace(request, replay=spec)
    cap = files.start(request)
    recipe.place(cap, spec, request.metrics)  # refused now rather than after a long run
    _describe_interpreter(cap, argv)
    status, started, ended, signum = execute(argv)
    if signum is not None:
        raise Interrupted(signum)
    if status != 0:
        return Outcome(status, notes=[f"{argv[0]} exited with status {status}: no export "
                                      "was written"])
    files.record(cap, request)
    script = _script(cap, argv, cwd)
    if not request.entry_points and script is not None:
        cap.entry_points.append({"name": "run", "path": cap.snapshot[script].path})
    _lineage(cap, script, started, ended)
    return Outcome(0, files.write(cap, request))
