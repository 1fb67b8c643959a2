"""A bounded gzip reader that knows how many compressed bytes each output byte cost."""

from __future__ import annotations

import zlib
from typing import BinaryIO

from rexport.sources.base import TRAILING_SCAN, ContainerError

RAW_CHUNK = 1 << 20  # read from the file in large pieces: the speed of `gzip -dc`
_FEED = 1 << 16  # input given to zlib per call: what it leaves unconsumed is copied back
_STEP = 1 << 18  # output produced per call for small reads (headers, small members)
_MAX_STEP = 4 << 20  # output produced per call at most: the memory a bomb can claim at once
_MAX_MEMBERS = 4096  # concatenated gzip members; more is a decompression-time attack
_MAGIC = b"\x1f\x8b"


class GzipReader:
    """Reads the decompressed bytes of a (multi-member) gzip file, in bounded steps.

    ``compressed_offset()`` tells the compressed bytes consumed up to the current read
    position, interpolated within the last step, so a caller can price each stretch of
    output. Raises ContainerError(REX-X118) on corruption or truncation; non-zero bytes
    after the last gzip member set ``trailing``.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._zlib = zlib.decompressobj(31)
        self._chunk = b""
        self._chunk_pos = 0
        self._pending = b""
        self._buf = b""
        self._pos = 0
        self._buf_start = 0
        self._buf_cost = 0
        self.consumed = 0
        self.members = 1
        self.trailing = False
        self._eof = False

    def compressed_offset(self) -> float:
        """Compressed bytes consumed for the output read so far."""
        if not self._buf:
            return float(self.consumed)
        return self._buf_start + self._buf_cost * self._pos / len(self._buf)

    def read(self, n: int) -> bytes:
        """Return up to ``n`` bytes; fewer only at the end of the stream."""
        parts: list[bytes] = []
        while n > 0:
            avail = len(self._buf) - self._pos
            if avail <= 0:
                if not self._fill(min(max(n, _STEP), _MAX_STEP)):
                    break
                continue
            take = avail if avail <= n else n
            parts.append(self._buf[self._pos:self._pos + take])
            self._pos += take
            n -= take
        if len(parts) == 1:
            return parts[0]
        return b"".join(parts)

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

    def _fill(self, want: int) -> bool:
        while not self._eof:
            data = self._input()
            if not len(data):
                raise ContainerError("REX-X118", "the gzip stream is truncated")
            try:
                out = self._zlib.decompress(data, want)
            except zlib.error as exc:
                raise ContainerError("REX-X118", f"the gzip stream is corrupt: {exc}") from None
            used = len(data) - len(self._zlib.unconsumed_tail)
            if self._zlib.eof:
                rest = self._zlib.unused_data
                used -= len(rest)
                self._next_member(rest)
            else:
                self._pending = self._zlib.unconsumed_tail
            start = self.consumed
            self.consumed += used
            if out:
                self._buf, self._pos, self._buf_start, self._buf_cost = out, 0, start, used
                return True
        return False

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
                raise ContainerError("REX-X118", f"more than {_MAX_MEMBERS} gzip members")
            self._zlib = zlib.decompressobj(31)
            self._pending = leftover
            return
        self._eof = True
        seen = len(leftover)
        # zero padding after the gzip stream is common (tape blocking) and harmless
        self.trailing = bool(leftover.strip(b"\0"))
        while not self.trailing and seen <= TRAILING_SCAN:
            more = self._raw.read(RAW_CHUNK)
            if not more:
                return
            seen += len(more)
            self.trailing = bool(more.strip(b"\0"))
        if seen > TRAILING_SCAN:
            self.trailing = True
