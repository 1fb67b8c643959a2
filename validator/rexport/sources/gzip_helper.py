"""Gzip inflation in priced pieces; run as a script, the helper process that inflates ahead.

Every piece of output (at most _PIECE bytes) carries its exact price in compressed bytes,
so that a reader can judge the compression ratio of any stretch of output (spec EXP-04).
Pieces are handed over in batches of about _BATCH bytes: the most a bomb can make either
side hold. Run as ``python -I -S gzip_helper.py FD TRAILING_SCAN [PATH MODULE]``, this file
writes the batches of the gzip file (or pipe) on FD to standard output (see
rexport.sources.gzip_child); it imports little, so that the helper starts fast: the standard
library, and the parent's faster inflater MODULE (found under PATH) when it has one.
"""

from __future__ import annotations

import _thread
import os
import struct
import sys
import zlib
from types import ModuleType

# The helper process imports this file alone: typing (and what it pulls in) would add to
# the wait for the first batch, so it is read by type checkers only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol

    class Raw(Protocol):
        def read(self, n: int, /) -> bytes: ...

# Inflaters with zlib's decompressobj interface (max_length, unconsumed_tail, unused_data,
# eof), fastest first: ISA-L's (the isal package, a dependency where it has wheels) inflates
# in about half zlib's time, zlib-ng's in a little more; the standard library's is the fallback.
INFLATERS = ("isal.isal_zlib", "zlib_ng.zlib_ng")


def inflater_module() -> ModuleType:
    """The fastest importable module of INFLATERS, else zlib."""
    for name in INFLATERS:
        try:
            __import__(name)
        except ImportError:
            continue
        return sys.modules[name]
    return zlib


_ZLIB = zlib  # set by use_inflater: the helper process chooses after its path is known


def use_inflater(module: ModuleType) -> None:
    """Inflate with ``module`` from now on (one of INFLATERS, or zlib)."""
    global _ZLIB
    _ZLIB = module


RAW_CHUNK = 1 << 20  # read from the file in large pieces
# Input given to zlib per call: four times what the last piece took, between these. What an
# inflater takes in is priced to the piece, and ISA-L takes in up to 32 KiB ahead of the output
# it may give: a member ending on a piece's end would be charged the next member's input.
_FEED, _MIN_FEED = 1 << 16, 512
_PIECE = 1 << 16  # output per zlib call at most: the unit in which output is priced
_BATCH = 1 << 20  # output handed over at once, at least (one piece more at most)
_MAX_MEMBERS = 4096  # concatenated gzip members; more is a decompression-time attack
_MAGIC = b"\x1f\x8b"
# batches the helper inflates ahead of the reader at most: while the reader checks the
# manifest, the helper keeps going (and holds at most this many MiB)
_AHEAD = 8

# (data, size, ends, prices): ``size`` bytes of output in ``data`` (which may be longer);
# ``ends[i]`` is where piece i ends and ``prices[i]`` the compressed bytes consumed by
# pieces 0..i, both counted from the batch's start
Batch = tuple[bytes | bytearray, int, list[int], list[int]]


class InflateError(Exception):
    """The gzip stream is corrupt or truncated (the message says how)."""


class Inflater:
    """The decompression itself, in priced pieces of at most _PIECE output bytes."""

    def __init__(self, raw: Raw, trailing_scan: int) -> None:
        self._raw = raw
        self._trailing_scan = trailing_scan
        self._zlib = _ZLIB.decompressobj(31)
        self._chunk = b""
        self._chunk_pos = 0
        self._pending = b""
        self._carry = 0  # input consumed since the last piece (headers, empty blocks)
        self._feed = _FEED
        self._failure: InflateError | None = None
        self.members = 1
        self.trailing = False
        self.eof = False

    def _read(self) -> bytes:
        # RAW_CHUNK bytes, fewer only at the end: the same pieces (and so the same prices)
        # however the input comes, from a file or in a pipe's short reads
        data = self._raw.read(RAW_CHUNK)
        if 0 < len(data) < RAW_CHUNK:  # a pipe's short reads (a file is read whole)
            buf = bytearray(data)
            while len(buf) < RAW_CHUNK and (more := self._raw.read(RAW_CHUNK - len(buf))):
                buf += more
            data = bytes(buf)
        return data

    def _input(self) -> bytes | memoryview:
        if self._pending:
            data, self._pending = self._pending[:self._feed], self._pending[self._feed:]
            return data
        if self._chunk_pos >= len(self._chunk):
            self._chunk = self._read()
            self._chunk_pos = 0
            if not self._chunk:
                return b""
        view = memoryview(self._chunk)[self._chunk_pos:self._chunk_pos + self._feed]
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
        try:
            # with no input left, what the inflater took in before may still give output
            out = self._zlib.decompress(data, _PIECE)
        except (zlib.error, _ZLIB.error) as exc:
            raise InflateError(f"the gzip stream is corrupt: {exc}") from None
        if not len(data) and not out and not self._zlib.eof:
            raise InflateError("the gzip stream is truncated")
        if self._zlib.eof:
            # what follows the member is in unused_data; unconsumed_tail may then still
            # hold a stale copy of it, so it does not count here
            rest = self._zlib.unused_data
            self._carry += len(data) - len(rest)
            self._next_member(rest + self._pending)
        else:
            tail = self._zlib.unconsumed_tail
            consumed = len(data) - len(tail)
            self._pending = tail + self._pending if self._pending else tail
            self._carry += consumed
            if out:
                need = consumed * _PIECE // len(out)
                self._feed = min(_FEED, max(_MIN_FEED, 4 * need))
        return out

    def _next_member(self, rest: bytes) -> None:
        """After a gzip member: start the next one, or note what trails the last."""
        leftover = rest + bytes(memoryview(self._chunk)[self._chunk_pos:])
        self._chunk, self._chunk_pos = b"", 0
        while len(leftover) < 2:
            more = self._read()
            if not more:
                break
            leftover += more
        if leftover.startswith(_MAGIC):
            self.members += 1
            if self.members > _MAX_MEMBERS:
                raise InflateError(f"more than {_MAX_MEMBERS} gzip members")
            self._zlib = _ZLIB.decompressobj(31)
            self._pending = leftover
            return
        self.eof = True
        seen = len(leftover)
        # zero padding after the gzip stream is common (tape blocking) and harmless
        self.trailing = bool(leftover.strip(b"\0"))
        while not self.trailing and seen <= self._trailing_scan:
            more = self._read()
            if not more:
                return
            seen += len(more)
            self.trailing = bool(more.strip(b"\0"))
        if seen > self._trailing_scan:
            self.trailing = True


# -- the helper process ------------------------------------------------------------------
# Frames on the pipe: b"B" <count, size> <count ends, count prices> <size bytes>, then one
# of b"E" <trailing: 0|1>, b"X" <length> <message> (InflateError) or b"O" <length> <message>
# (reading failed).
BATCH_HEAD = struct.Struct("<II")
LENGTH = struct.Struct("<I")
BATCH_MAX = _BATCH + _PIECE  # the most output one batch holds


class _Pread:
    """Reads an inherited descriptor from its start without moving its shared offset; a
    pipe (a stream copied to this process) as it comes."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._offset = 0
        try:
            self._pipe = os.lseek(fd, 0, os.SEEK_CUR) < 0
        except OSError:  # ESPIPE
            self._pipe = True

    def read(self, n: int) -> bytes:
        if self._pipe:
            return os.read(self._fd, n)
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
    inflater = Inflater(_Pread(fd), trailing_scan)
    while True:
        try:
            got = inflater.pieces()
        except InflateError as exc:
            message = str(exc).encode("utf-8", "replace")
            frames.put([b"X", LENGTH.pack(len(message)), message])
            break
        except Exception as exc:  # reported to the reader as unreadable
            message = (str(exc) or type(exc).__name__).encode("utf-8", "replace")
            frames.put([b"O", LENGTH.pack(len(message)), message])
            break
        if got is None:
            frames.put([b"E", b"\1" if inflater.trailing else b"\0"])
            break
        pieces, ends, prices = got
        count = len(ends)
        table = struct.pack(f"<{2 * count}Q", *ends, *prices)
        frames.put([b"B", BATCH_HEAD.pack(count, ends[-1]), table, *pieces])
    frames.put(None)
    done.acquire()  # every frame written
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 4:
        # -I -S leaves site-packages out: the parent names its inflater and where it lives,
        # and both sides must inflate alike (the helper's batches are checked against its own)
        sys.path.append(sys.argv[3])
        __import__(sys.argv[4])
        use_inflater(sys.modules[sys.argv[4]])
    sys.exit(_child(int(sys.argv[1]), int(sys.argv[2])))
