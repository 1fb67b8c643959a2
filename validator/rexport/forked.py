"""Work handed to a forked copy of this process, where forking is safe; its result comes back
pickled through a pipe, or not at all (then the caller does the work itself)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
_SETTLE = 10  # milliseconds, at most, for threads being joined to be gone


def forkable() -> bool:
    """Fork only where it is safe: Linux, and a process running one thread (a fork copies
    only the calling thread, and a lock another thread held would stay held in the child)."""
    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        return False
    # threads started outside Python count too; a thread just joined (a hashing pool's)
    # may take a moment more to leave the list
    for _ in range(_SETTLE):
        try:
            if len(os.listdir("/proc/self/task")) == 1:
                return True
        except OSError:
            return False
        time.sleep(0.001)
    return False



class Forked(Generic[T]):
    """A child process running ``work()`` on a copy of this process's memory.

    Start with :meth:`start`; :meth:`result` waits for the child and returns what ``work``
    returned, or None when the child failed in any way (killed, raised, sent nothing
    whole). The child never returns into the caller's code, never writes to the terminal
    and never runs the parent's exit handlers.
    """

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd
        self.done = False

    @classmethod
    def start(cls, work: Callable[[], T]) -> Forked[T] | None:
        """Fork a child running ``work``; None when forking is not safe or fails."""
        if not forkable():
            return None
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        import pickle  # here, not at the top: a small validation forks nothing

        if pid == 0:  # the child
            try:
                os.close(read_end)
                _quiet_stdio()
                data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
                view = memoryview(data)
                while view:
                    view = view[os.write(write_end, view):]
            finally:
                os._exit(0)
        os.close(write_end)
        return cls(pid, read_end)

    def result(self) -> T | None:
        """Wait for the child; what ``work`` returned, or None when the child failed."""
        chunks = []
        with contextlib.suppress(OSError):
            while chunk := os.read(self.fd, 1 << 20):
                chunks.append(chunk)
        self.close()
        import pickle

        try:
            return pickle.loads(b"".join(chunks))  # type: ignore[no-any-return]
        except Exception:  # a child killed half-way sends a cut pickle: do the work here
            return None

    def close(self) -> None:
        """Stop the child if it still runs, and reap it; safe to call more than once."""
        if self.done:
            return
        self.done = True
        os.close(self.fd)  # its next write fails, should the kill below not land first
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ChildProcessError, ProcessLookupError):
            pass  # already reaped, say by the program's own SIGCHLD handler


def _quiet_stdio() -> None:
    # a child never writes to the terminal, and must not keep the caller's pipes open
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
