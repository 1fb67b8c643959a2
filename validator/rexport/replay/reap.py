"""End every process a replay step started, also those that left its session (Linux)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from collections.abc import Iterator

_PR_SET_CHILD_SUBREAPER = 36
_PR_GET_CHILD_SUBREAPER = 37
_REAP_SECONDS = 5.0

Process = tuple[int, int]  # pid and start time: a pid alone may be reused meanwhile


def _prctl(option: int, value: object) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(option, value, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _subreaper() -> int | None:
    """Whether this process is a child subreaper now (1 or 0), None when it cannot be told."""
    flag = ctypes.c_int(0)
    return flag.value if _prctl(_PR_GET_CHILD_SUBREAPER, ctypes.pointer(flag)) else None


def _table() -> dict[Process, int]:
    """Every process of the machine: (pid, start time) -> parent pid, from /proc."""
    table: dict[Process, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fp:
                data = fp.read()
        except OSError:
            continue  # ended meanwhile
        # the command name comes in parentheses and may itself hold spaces and ")"
        fields = data[data.rindex(b")") + 2:].split()
        table[(int(name), int(fields[19]))] = int(fields[1])
    return table


def descendants(pid: int) -> set[Process]:
    """The processes whose chain of parents leads to ``pid``, zombies included."""
    children: dict[int, list[Process]] = {}
    for process, parent in _table().items():
        children.setdefault(parent, []).append(process)
    found: set[Process] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child[0])
    return found


def _end(before: set[Process]) -> None:
    me = os.getpid()
    deadline = time.monotonic() + _REAP_SECONDS
    while time.monotonic() < deadline:
        left = descendants(me) - before
        if not left:
            return
        for pid, _ in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        for pid, _ in left:
            # our own children (orphans handed to us) are reaped here; the others are reaped
            # by their parents, or handed to us when those die, and seen on the next round
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
        time.sleep(0.01)


@contextlib.contextmanager
def reaped() -> Iterator[None]:
    """Run the body so that no process it starts outlives it.

    On Linux this process becomes a child subreaper (prctl PR_SET_CHILD_SUBREAPER) while the
    body runs: a process that detaches itself (double fork, setsid) is handed to us rather than
    to init when its parent ends. Afterwards every process descended from this one that did not
    exist before is killed and reaped. Elsewhere only the process groups are ended (run.py).
    """
    if not sys.platform.startswith("linux") or not os.path.isdir("/proc/self"):
        yield
        return
    previous = _subreaper()
    if previous is None or not _prctl(_PR_SET_CHILD_SUBREAPER, 1):
        yield
        return
    before = descendants(os.getpid())
    try:
        yield
    finally:
        _end(before)
        if not previous:
            _prctl(_PR_SET_CHILD_SUBREAPER, 0)
