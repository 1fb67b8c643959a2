"""The helper process that inflates a .tar.gz ahead of the walker, and the reader of its pipe.

The helper (rexport.sources.gzip_helper run on its own, with the standard library only)
writes priced batches to a pipe: zlib then runs on another core while this process parses
headers and hashes members. Threads would not do: this process's Python holds the GIL, and
each return from zlib would wait for it. A file is read by the helper through its
descriptor; a stream (a URL) is copied to it through a pipe (rexport.sources.pipe_feed).
"""

from __future__ import annotations

import os
import struct
import sys
import zlib
from typing import TYPE_CHECKING, BinaryIO

from rexport.sources import gzip_helper
from rexport.sources.gzip_helper import (
    BATCH_HEAD,
    BATCH_MAX,
    LENGTH,
    Batch,
    InflateError,
    Inflater,
)
from rexport.sources.pipe_feed import PipeFeed, widen

if TYPE_CHECKING:
    import subprocess

    from rexport.sources.gzip_helper import Raw

# the fastest inflater installed, for this process and the helper alike
INFLATER = gzip_helper.inflater_module()
gzip_helper.use_inflater(INFLATER)

# A compressed file smaller than this is inflated in process: starting a helper costs
# about what inflating a few MiB does.
CHILD_MIN = 8 << 20
# batches served by the reader itself while the helper starts, at most (a few, normally)
_HEAD_START_MAX = 256


class LocalReader:
    """Batches inflated in this process, as they are asked for."""

    def __init__(self, raw: Raw, trailing_scan: int) -> None:
        self._inflater = Inflater(raw, trailing_scan)
        self._done = False

    @property
    def trailing(self) -> bool:
        return self._done and self._inflater.trailing

    def next(self) -> Batch | None:
        """The next batch, None at the end; raise InflateError or OSError."""
        if self._done:
            return None
        try:
            got = self._inflater.pieces()
        except BaseException:
            self._done = True
            raise
        if got is None:
            self._done = True
            return None
        pieces, ends, prices = got
        data = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        return data, len(data), ends, prices

    def close(self) -> None:
        self._done = True


class ChildReader:
    """Batches inflated ahead by a helper process, read from its pipe.

    While the helper starts, the first batches are inflated here (the reader waits for
    the manifest); once the helper has output, the batches it made that were already
    served are read, checked against those served (same sizes, same prices) and dropped,
    and the helper takes over. Should it fail before that, or disagree, this process goes
    on alone. The output buffer is reused from batch to batch: a Batch is valid until
    the next one. With ``pipe`` (a stream copied into a pipe) the helper reads the pipe and
    serves every batch: nothing could read the stream a second time here.
    """

    def __init__(self, fp: BinaryIO, trailing_scan: int, pipe: PipeFeed | None = None) -> None:
        import subprocess  # only paid for when a large archive is read
        import weakref

        fd = fp.fileno() if pipe is None else pipe.fileno()
        self._proc = subprocess.Popen(
            _command(fd, trailing_scan), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, pass_fds=(fd,), bufsize=0)
        self._reap = weakref.finalize(self, _reap, self._proc)
        self._feed = pipe
        if pipe is not None:
            pipe.handed()
        assert self._proc.stdout is not None
        self._pipe = self._proc.stdout.fileno()
        widen(self._pipe)
        import select

        self._ready = select.poll()  # poll, not select: the descriptor may be past 1023
        self._ready.register(self._pipe, select.POLLIN)
        self._buffer = bytearray(BATCH_MAX)
        self._view = memoryview(self._buffer)
        self._last: tuple[int, list[int], list[int]] = (0, [], [])
        self._done = False
        self._trailing = False
        # the head start: batches served from here, and what they were (size and prices)
        self._local = LocalReader(fp, trailing_scan) if pipe is None else None
        self._served: list[tuple[int, list[int], list[int]]] = []
        self._alone = False  # the helper was given up: this process goes on by itself

    @property
    def trailing(self) -> bool:
        if self._local is not None:
            return self._local.trailing
        return self._done and self._trailing

    def next(self) -> Batch | None:
        """The next batch, None at the end; raise InflateError or OSError."""
        if self._local is not None and not self._take_over():
            batch = self._local.next()
            if batch is None:
                self.close()
            elif not self._alone:
                self._served.append(batch[1:])
            return batch
        if self._done:
            return None
        try:
            batch = self._frame(self._bytes(1))
        except (InflateError, OSError):
            self.close()
            self._feed_failed()
            raise
        except BaseException:
            self.close()
            raise
        if batch is None:
            self._feed_failed()
        return batch

    def _feed_failed(self) -> None:
        """Raise what failed the stream's reading, when it did: the helper then saw its
        input end early (a truncated stream, to its eyes), and the stream's error is why."""
        if self._feed is not None and self._feed.error is not None:
            raise self._feed.error

    def _take_over(self) -> bool:
        """Whether the helper now serves the batches (it has output, and it agrees)."""
        if self._alone:
            return False
        if not self._ready.poll(0):
            if len(self._served) < _HEAD_START_MAX:
                return False  # not started yet: one more batch from here
            self._give_up()  # too slow to start: it would only hold memory
            return False
        try:
            for served in self._served:
                if self._bytes(1) != b"B":
                    raise OSError("the helper ended early")
                self._frame(b"B")
                if self._last != served:
                    raise OSError("the helper disagrees")
        except (OSError, InflateError):
            # it could not run (an odd interpreter, no resources) or went wrong: every
            # batch so far was served from here, and the rest will be too
            self._give_up()
            return False
        self._local = None
        self._served = []
        return True

    def _give_up(self) -> None:
        self._alone = True
        self._served = []
        self._reap()

    def _exact(self, view: memoryview) -> None:
        done = 0
        while done < len(view):
            got = os.readv(self._pipe, [view[done:]])
            if not got:
                raise OSError("the inflating process ended early")
            done += got

    def _bytes(self, n: int) -> bytes:
        out = bytearray(n)
        self._exact(memoryview(out))
        return bytes(out)

    def _frame(self, kind: bytes) -> Batch | None:
        if kind == b"B":
            count, size = BATCH_HEAD.unpack(self._bytes(BATCH_HEAD.size))
            if not 0 < count <= size <= len(self._buffer):
                raise OSError("the inflating process sent a malformed batch")
            table = struct.unpack(f"<{2 * count}Q", self._bytes(16 * count))
            self._exact(self._view[:size])
            self._last = (size, list(table[:count]), list(table[count:]))
            return self._buffer, size, self._last[1], self._last[2]
        if kind == b"E":
            self._trailing = self._bytes(1) == b"\1"
            self.close()
            return None
        if kind not in (b"X", b"O"):
            raise OSError("the inflating process sent a malformed frame")
        (length,) = LENGTH.unpack(self._bytes(LENGTH.size))
        message = self._bytes(min(length, 1 << 16)).decode("utf-8", "replace")
        raise InflateError(message) if kind == b"X" else OSError(message)

    def close(self) -> None:
        self._done = True
        self._reap()  # the copy into its pipe (if any) then fails, and ends
        if self._feed is not None:
            self._feed.close()
        if self._local is not None:
            self._local.close()


def _reap(proc: subprocess.Popen[bytes]) -> None:
    """Stop the helper (it may be blocked writing to a pipe nobody reads) and wait for it."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def open_reader(fp: BinaryIO, trailing_scan: int, *, stream: bool = False
                ) -> LocalReader | ChildReader:
    """A reader of the gzip file ``fp`` (at its start): a helper process for a large file,
    or for a ``stream`` (of unknown size, read once: a URL), where one can be started; this
    process otherwise."""
    if _child_possible():
        try:
            if stream:
                return _piped(fp, trailing_scan)
            if os.fstat(fp.fileno()).st_size >= CHILD_MIN:
                return ChildReader(fp, trailing_scan)
        except OSError:
            pass  # no helper: inflate here (nothing of the stream was read yet)
    return LocalReader(fp, trailing_scan)


def _piped(fp: BinaryIO, trailing_scan: int) -> ChildReader:
    pipe = PipeFeed(fp)
    try:
        return ChildReader(fp, trailing_scan, pipe)
    except BaseException:
        pipe.close()
        raise


def _command(fd: int, trailing_scan: int) -> list[str]:
    # -I -S: none of the user's environment, site or path; this file needs none of it but
    # the inflater this process uses, whose location it is given
    command = [sys.executable, "-I", "-S", os.path.abspath(gzip_helper.__file__), str(fd),
               str(trailing_scan)]
    if INFLATER is not zlib and INFLATER.__file__:
        top = sys.modules[INFLATER.__name__.split(".")[0]]
        package = os.path.dirname(os.path.abspath(top.__file__ or INFLATER.__file__))
        command += [os.path.dirname(package), INFLATER.__name__]
    return command


def _child_possible() -> bool:
    """Whether a helper can run here, and on a core of its own (else it only costs)."""
    # an embedding program (a web server, a frozen app) may stand in sys.executable
    name = os.path.basename(sys.executable or "").lower()
    if not (os.name == "posix" and name.startswith(("python", "pypy"))
            and not getattr(sys, "frozen", False) and os.path.isfile(gzip_helper.__file__)):
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on every POSIX system
        cores = os.cpu_count() or 1
    return cores >= 2
