"""Run a replay command: no shell, allowlisted variables, a timeout that ends all it started."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from rexport.replay import reap

TAIL_LINES = 50
_TAIL_BYTES = 256 * 1024
_LOG_CAP = 64 << 20  # the log kept in the work folder; the tail in memory is separate
_KILL_GRACE = 5.0
BASE_PATH = "/usr/local/bin:/usr/bin:/bin" if sys.platform != "win32" else ""


def seed_variables(seeds: Any) -> dict[str, str]:
    """``REX_SEED_<NAME>`` for each recorded integer seed, and ``REX_SEEDS`` with all as JSON.

    NAME is the seed's name upper-cased with every character outside A-Z and 0-9 made ``_``:
    ``{"numpy": 0, "torch.cuda": 7}`` gives REX_SEED_NUMPY=0 and REX_SEED_TORCH_CUDA=7.
    """
    out: dict[str, str] = {}
    if not isinstance(seeds, dict):
        return out
    kept = {k: v for k, v in seeds.items()
            if isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)}
    for name, value in kept.items():
        out["REX_SEED_" + re.sub(r"[^A-Z0-9]", "_", name.upper())] = str(value)
    if kept:
        out["REX_SEEDS"] = json.dumps(kept, sort_keys=True)
    return out


def command_environment(*, venv_root: Path, venv_bin: Path, home: Path, tmp: Path,
                        seeds: Any, declared: Mapping[str, str]) -> dict[str, str]:
    """The whole environment of the replay command; nothing is inherited from the caller.

    In order, later entries winning: PATH (the venv's scripts first), HOME and TMPDIR (fresh
    folders in the work folder, so the caller's dotfiles and credentials are out of reach),
    LANG=C.UTF-8, VIRTUAL_ENV, PYTHONHASHSEED=0, the seed variables, then ``replay.environment``.
    """
    env = {
        "PATH": os.pathsep.join(p for p in (str(venv_bin), BASE_PATH) if p),
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "LANG": "C.UTF-8",
        "VIRTUAL_ENV": str(venv_root),
        "PYTHONHASHSEED": "0",
    }
    if sys.platform == "win32":  # Windows programs cannot start without these
        for name in ("SYSTEMROOT", "COMSPEC", "PATHEXT"):
            if name in os.environ:
                env[name] = os.environ[name]
        env["TEMP"] = env["TMP"] = str(tmp)
        env["USERPROFILE"] = str(home)
    env.update(seed_variables(seeds))
    env.update(declared)
    return env


@dataclass
class RunResult:
    """How the command ended: its status (None on timeout), time taken and last lines."""

    returncode: int | None
    seconds: float
    tail: list[str] = field(default_factory=list)

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


class _Collector(threading.Thread):
    """Drain the command's output so it never blocks: a log with a cap, and a bounded tail."""

    def __init__(self, stream: IO[bytes], log: Path) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.log = log
        self.tail = bytearray()

    def run(self) -> None:
        written = 0
        with open(self.log, "wb") as out:
            for chunk in iter(lambda: os.read(self.stream.fileno(), 65536), b""):
                if written < _LOG_CAP:
                    out.write(chunk[: _LOG_CAP - written])
                    written += len(chunk)
                self.tail += chunk
                if len(self.tail) > 2 * _TAIL_BYTES:
                    del self.tail[:-_TAIL_BYTES]

    def lines(self) -> list[str]:
        return bytes(self.tail[-_TAIL_BYTES:]).decode("utf-8", "replace").splitlines()[
            -TAIL_LINES:]


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    if sys.platform == "win32":
        proc.kill()
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def run_command(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float,
                log: Path) -> RunResult:
    """Run ``argv`` (no shell) in its own process group; when it ends or times out, end every
    process it started, those that left the group included (reap.reaped).

    Output (stdout and stderr together) goes to ``log`` (capped) and its last lines to the result.
    """
    start = time.monotonic()
    options: dict[str, Any] = {}
    if sys.platform == "win32":
        options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        options["start_new_session"] = True
    returncode: int | None
    with reap.reaped():
        try:
            proc = subprocess.Popen(list(argv), cwd=cwd, env=dict(env),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, **options)
        except OSError as exc:
            return RunResult(127, time.monotonic() - start, [f"cannot start {argv[0]}: {exc}"])
        assert proc.stdout is not None
        collector = _Collector(proc.stdout, log)
        collector.start()
        try:
            returncode = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            returncode = None
        finally:
            # also after a normal exit: children left running in the group must not outlive it
            _kill_group(proc)
            proc.wait()
    seconds = time.monotonic() - start
    collector.join(_KILL_GRACE)
    if not collector.is_alive():  # else a child that left the group still holds the pipe
        proc.stdout.close()
    return RunResult(returncode, seconds, collector.lines())
