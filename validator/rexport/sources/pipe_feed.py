"""A forward-only stream copied into a pipe by a thread, for a helper process to read.

A .tar.gz behind a URL has no descriptor a helper could read: its bytes are copied into a
pipe here (the thread waits on the network and on the pipe, both without the interpreter
lock), and the helper inflates from the pipe's other end, on another core.
"""

from __future__ import annotations

import os
import threading
from typing import BinaryIO

_CHUNK = 1 << 20  # asked of the stream at once
_PIPE_SIZE = 1 << 20  # asked of the kernel for a pipe (Linux), so that few reads and writes do
_JOIN = 1.0  # seconds given to the thread to end once its reader is gone


def widen(pipe: int) -> None:
    """Ask the kernel for a larger buffer for ``pipe`` (Linux); elsewhere, or refused, a
    smaller pipe only means more reads and writes."""
    try:
        import fcntl

        fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)  # Linux only
    except (ImportError, AttributeError, OSError):
        pass


class PipeFeed:
    """``stream`` copied into a pipe; ``fileno()`` is the pipe's reading end, to be handed
    to one process and then closed here (``handed()``).

    A failure to read the stream is kept in ``error`` (set before the pipe is closed, so
    that whoever sees the pipe end early finds it there); a failure to write ends the copy
    quietly: the reader is gone.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._read_end, self._write_end = os.pipe()
        widen(self._write_end)
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def fileno(self) -> int:
        return self._read_end

    def handed(self) -> None:
        """The reading end is another process's now: start copying (once only)."""
        self._close_read_end()
        if self._thread is None:
            self._thread = threading.Thread(target=self._copy, name="rexport-pipe-feed",
                                            daemon=True)
            self._thread.start()

    def _copy(self) -> None:
        out = self._write_end
        try:
            while True:
                try:
                    chunk = self._stream.read(_CHUNK)
                except Exception as exc:  # told to the reader, never lost
                    self.error = exc
                    return
                if not chunk:
                    return
                view = memoryview(chunk)
                while view:
                    view = view[os.write(out, view):]
        except OSError:
            return  # the reader closed its end: nothing more is wanted
        finally:
            self._write_end = -1
            os.close(out)

    def _close_read_end(self) -> None:
        if self._read_end >= 0:
            os.close(self._read_end)
            self._read_end = -1

    def close(self) -> None:
        """Wait (briefly) for the copy to end, its reader being gone; close the pipe."""
        self._close_read_end()
        if self._thread is not None:
            self._thread.join(_JOIN)
        elif self._write_end >= 0:  # never started
            os.close(self._write_end)
            self._write_end = -1
