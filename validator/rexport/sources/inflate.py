"""Gzip inflation in priced pieces, in this process or in a helper process that runs ahead.

Every piece of output (at most _PIECE bytes) carries its exact price in compressed bytes,
so that a reader can judge the compression ratio of any stretch of output (spec EXP-04).
Pieces are handed over in batches of about _BATCH bytes: the most a bomb can make either
side hold. A large file is inflated by a helper process (this very file, run with the
standard library only) that writes batches to a pipe, so that zlib runs on another core
while the reader parses and hashes: threads would not do, as the reader's Python holds the
GIL and each return from zlib waits for it. Only the standard library is imported here.
"""

from __future__ import annotations

import _thread
import os
import struct
import sys
import zlib

# The helper process imports this file alone: typing (and what it pulls in) would add to
# the wait for the first batch, so it is read by type checkers only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from typing import BinaryIO, Protocol

    class Raw(Protocol):
        def read(self, n: int, /) -> bytes: ...

RAW_CHUNK = 1 << 20  # read from the file in large pieces
_FEED = 1 << 16  # input given to zlib per call: what it leaves unconsumed is copied back
_PIECE = 1 << 16  # output per zlib call at most: the unit in which output is priced
_BATCH = 1 << 20  # output handed over at once, at least (one piece more at most)
_MAX_MEMBERS = 4096  # concatenated gzip members; more is a decompression-time attack
_MAGIC = b"\x1f\x8b"
# A compressed file smaller than this is inflated in process: starting a helper costs
# about what inflating 8 MiB does.
CHILD_MIN = 8 << 20
_PIPE_SIZE = 1 << 20  # asked of the kernel for the pipe (Linux), so that few reads do
# batches the helper inflates ahead of the reader at most: while the reader checks the
# manifest, the helper keeps going (and holds at most this many MiB)
_AHEAD = 8

# (data, size, ends, prices): ``size`` bytes of output in ``data`` (which may be longer);
# ``ends[i]`` is where piece i ends and ``prices[i]`` the compressed bytes consumed by
# pieces 0..i, both counted from the batch's start
Batch = tuple[bytes | bytearray, int, list[int], list[int]]


class InflateError(Exception):
    """The gzip stream is corrupt or truncated (the message says how)."""


class _Inflater:
    """The decompression itself, in priced pieces of at most _PIECE output bytes."""

    def __init__(self, raw: Raw, trailing_scan: int) -> None:
        self._raw = raw
        self._trailing_scan = trailing_scan
        self._zlib = zlib.decompressobj(31)
        self._chunk = b""
        self._chunk_pos = 0
        self._pending = b""
        self._carry = 0  # input consumed since the last piece (headers, empty blocks)
        self._failure: InflateError | None = None
        self.members = 1
        self.trailing = False
        self.eof = False

    def _input(self) -> bytes | memoryview:
        if self._pending:
            data, self._pending = self._pending, b""
            return data
        if self._chunk_pos >= len(self._chunk):
            self._chunk = self._raw.read(RAW_CHUNK)
            self._chunk_pos = 0
            if not self._chunk:
                return b""
        view = memoryview(self._chunk)[self._chunk_pos:self._chunk_pos + _FEED]
        self._chunk_pos += len(view)
        return view

    def pieces(self) -> tuple[list[bytes], list[int], list[int]] | None:
        """The next pieces (about _BATCH bytes of output) with their cumulative ends and
        prices; None at the end. Raise InflateError (after handing over what was good)."""
        if self._failure is not None:
            raise self._failure
        pieces: list[bytes] = []
        ends: list[int] = []
        prices: list[int] = []
        size = price = 0
        try:
            while size < _BATCH and not self.eof:
                out = self._piece()
                if out:
                    pieces.append(out)
                    size += len(out)
                    price += self._carry
                    self._carry = 0
                    ends.append(size)
                    prices.append(price)
        except InflateError as exc:
            if not pieces:
                raise
            self._failure = exc
        return (pieces, ends, prices) if pieces else None

    def _piece(self) -> bytes:
        data = self._input()
        if not len(data):
            raise InflateError("the gzip stream is truncated")
        try:
            out = self._zlib.decompress(data, _PIECE)
        except zlib.error as exc:
            raise InflateError(f"the gzip stream is corrupt: {exc}") from None
        if self._zlib.eof:
            # what follows the member is in unused_data; unconsumed_tail may then still
            # hold a stale copy of it, so it does not count here
            rest = self._zlib.unused_data
            self._carry += len(data) - len(rest)
            self._next_member(rest)
        else:
            self._pending = self._zlib.unconsumed_tail
            self._carry += len(data) - len(self._pending)
        return out

    def _next_member(self, rest: bytes) -> None:
        """After a gzip member: start the next one, or note what trails the last."""
        leftover = rest + bytes(memoryview(self._chunk)[self._chunk_pos:])
        self._chunk, self._chunk_pos = b"", 0
        while len(leftover) < 2:
            more = self._raw.read(RAW_CHUNK)
            if not more:
                break
            leftover += more
        if leftover.startswith(_MAGIC):
            self.members += 1
            if self.members > _MAX_MEMBERS:
                raise InflateError(f"more than {_MAX_MEMBERS} gzip members")
            self._zlib = zlib.decompressobj(31)
            self._pending = leftover
            return
        self.eof = True
        seen = len(leftover)
        # zero padding after the gzip stream is common (tape blocking) and harmless
        self.trailing = bool(leftover.strip(b"\0"))
        while not self.trailing and seen <= self._trailing_scan:
            more = self._raw.read(RAW_CHUNK)
            if not more:
                return
            seen += len(more)
            self.trailing = bool(more.strip(b"\0"))
        if seen > self._trailing_scan:
            self.trailing = True


class LocalReader:
    """Batches inflated in this process, as they are asked for."""

    def __init__(self, raw: Raw, trailing_scan: int) -> None:
        self._inflater = _Inflater(raw, trailing_scan)
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


# -- the helper process ------------------------------------------------------------------
# Frames on the pipe: b"B" <count, size> <count ends, count prices> <size bytes>, then one
# of b"E" <trailing: 0|1>, b"X" <length> <message> (InflateError) or b"O" <length> <message>
# (reading failed).
_BATCH_HEAD = struct.Struct("<II")
_LENGTH = struct.Struct("<I")


class _Pread:
    """Reads an inherited descriptor from its start without moving its shared offset."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._offset = 0

    def read(self, n: int) -> bytes:
        data = os.pread(self._fd, n, self._offset)
        self._offset += len(data)
        return data


def _write(fd: int, parts: list[bytes]) -> None:
    total = sum(len(p) for p in parts)
    done = os.writev(fd, parts)
    if done < total:  # a blocking pipe writes all at once, unless a signal came between
        rest = memoryview(b"".join(parts))[done:]
        while rest:
            rest = rest[os.write(fd, rest):]


class _Frames:
    """A bounded queue of frames between the inflating loop and the writer thread.

    Made of the interpreter's own locks rather than queue and threading, whose import
    would delay the first batch (the reader waits for the manifest). One producer, one
    consumer: ``ready`` is unlocked while a frame waits, ``room`` while one more fits.
    """

    def __init__(self, limit: int) -> None:
        self._items: list[list[bytes] | None] = []
        self._limit = limit
        self._lock = _thread.allocate_lock()
        self._ready = _thread.allocate_lock()
        self._ready.acquire()
        self._room = _thread.allocate_lock()

    def put(self, item: list[bytes] | None) -> None:
        self._room.acquire()
        with self._lock:
            self._items.append(item)
            count = len(self._items)
        if count < self._limit:
            self._room.release()
        if count == 1:
            self._ready.release()

    def get(self) -> list[bytes] | None:
        self._ready.acquire()
        with self._lock:
            item = self._items.pop(0)
            count = len(self._items)
        if count:
            self._ready.release()
        if count == self._limit - 1:
            self._room.release()
        return item


def _child(fd: int, trailing_scan: int) -> int:
    """The helper's main: inflate the file on ``fd`` to standard output, as frames.

    A writer thread sends them, so that inflating goes on (up to _AHEAD batches ahead)
    while the reader is busy elsewhere, as it is while it checks the manifest.
    """
    out = sys.stdout.fileno()
    frames = _Frames(_AHEAD)
    done = _thread.allocate_lock()
    done.acquire()

    def send() -> None:
        try:
            while (parts := frames.get()) is not None:
                _write(out, parts)
        except BaseException:
            # the reader is gone (a closed pipe), or writing failed: stop here; the reader
            # sees the pipe end early if it is still there
            os._exit(0)
        done.release()

    _thread.start_new_thread(send, ())
    inflater = _Inflater(_Pread(fd), trailing_scan)
    while True:
        try:
            got = inflater.pieces()
        except InflateError as exc:
            message = str(exc).encode("utf-8", "replace")
            frames.put([b"X", _LENGTH.pack(len(message)), message])
            break
        except Exception as exc:  # reported to the reader as unreadable
            message = (str(exc) or type(exc).__name__).encode("utf-8", "replace")
            frames.put([b"O", _LENGTH.pack(len(message)), message])
            break
        if got is None:
            frames.put([b"E", b"\1" if inflater.trailing else b"\0"])
            break
        pieces, ends, prices = got
        count = len(ends)
        table = struct.pack(f"<{2 * count}Q", *ends, *prices)
        frames.put([b"B", _BATCH_HEAD.pack(count, ends[-1]), table, *pieces])
    frames.put(None)
    done.acquire()  # every frame written
    return 0


class ChildReader:
    """Batches inflated ahead by a helper process, read from its pipe.

    The output buffer is reused from batch to batch: a Batch is valid until the next one.
    Should the helper fail before it sent anything, the file is inflated here instead.
    """

    def __init__(self, fp: BinaryIO, trailing_scan: int) -> None:
        import subprocess  # only paid for when a large archive is read
        import weakref

        self._fp = fp
        self._trailing_scan = trailing_scan
        fd = fp.fileno()
        self._proc = subprocess.Popen(
            _command(fd, trailing_scan), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, pass_fds=(fd,), bufsize=0)
        self._reap = weakref.finalize(self, _reap, self._proc)
        assert self._proc.stdout is not None
        self._pipe = self._proc.stdout
        try:
            import fcntl

            fcntl.fcntl(self._pipe.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_SIZE)  # Linux only
        except (ImportError, AttributeError, OSError):
            pass  # a smaller pipe only means more reads
        self._buffer = bytearray(_BATCH + _PIECE)
        self._view = memoryview(self._buffer)
        self._done = False
        self._trailing = False
        self._started = False  # whether a frame came: before one, a fallback is possible
        self._local: LocalReader | None = None

    @property
    def trailing(self) -> bool:
        if self._local is not None:
            return self._local.trailing
        return self._done and self._trailing

    def _exact(self, view: memoryview) -> None:
        done = 0
        while done < len(view):
            got = os.readv(self._pipe.fileno(), [view[done:]])
            if not got:
                raise OSError("the inflating process ended early")
            done += got

    def _bytes(self, n: int) -> bytes:
        out = bytearray(n)
        self._exact(memoryview(out))
        return bytes(out)

    def next(self) -> Batch | None:
        """The next batch, None at the end; raise InflateError or OSError."""
        if self._local is not None:
            return self._local.next()
        if self._done:
            return None
        try:
            kind = self._bytes(1)
        except OSError:
            self.close()
            if self._started:
                raise
            # the helper could not run (an odd interpreter, no resources): read here
            self._local = LocalReader(self._fp, self._trailing_scan)
            return self._local.next()
        self._started = True
        try:
            return self._frame(kind)
        except BaseException:
            self.close()
            raise

    def _frame(self, kind: bytes) -> Batch | None:
        if kind == b"B":
            count, size = _BATCH_HEAD.unpack(self._bytes(_BATCH_HEAD.size))
            if not 0 < count <= size <= len(self._buffer):
                raise OSError("the inflating process sent a malformed batch")
            table = struct.unpack(f"<{2 * count}Q", self._bytes(16 * count))
            self._exact(self._view[:size])
            return self._buffer, size, list(table[:count]), list(table[count:])
        if kind == b"E":
            self._trailing = self._bytes(1) == b"\1"
            self.close()
            return None
        if kind not in (b"X", b"O"):
            raise OSError("the inflating process sent a malformed frame")
        (length,) = _LENGTH.unpack(self._bytes(_LENGTH.size))
        message = self._bytes(min(length, 1 << 16)).decode("utf-8", "replace")
        raise InflateError(message) if kind == b"X" else OSError(message)

    def close(self) -> None:
        self._done = True
        self._reap()
        if self._local is not None:
            self._local.close()


def _reap(proc: subprocess.Popen[bytes]) -> None:
    """Stop the helper (it may be blocked writing to a pipe nobody reads) and wait for it."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def open_reader(fp: BinaryIO, trailing_scan: int) -> LocalReader | ChildReader:
    """A reader of the gzip file ``fp`` (at its start): a helper process for a large file
    where one can be started, this process otherwise."""
    if _child_possible():
        try:
            if os.fstat(fp.fileno()).st_size >= CHILD_MIN:
                return ChildReader(fp, trailing_scan)
        except OSError:
            pass  # no helper: inflate here
    return LocalReader(fp, trailing_scan)


def _command(fd: int, trailing_scan: int) -> list[str]:
    # -I -S: none of the user's environment, site or path; this file needs none of it
    return [sys.executable, "-I", "-S", os.path.abspath(__file__), str(fd), str(trailing_scan)]


def _child_possible() -> bool:
    # an embedding program (a web server, a frozen app) may stand in sys.executable
    name = os.path.basename(sys.executable or "").lower()
    return (os.name == "posix" and name.startswith(("python", "pypy"))
            and not getattr(sys, "frozen", False) and os.path.isfile(__file__))


if __name__ == "__main__":
    sys.exit(_child(int(sys.argv[1]), int(sys.argv[2])))
