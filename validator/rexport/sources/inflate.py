"""A bounded gzip reader that knows how many compressed bytes each output byte cost.

Output is made in pieces of at most _PIECE bytes, about _BATCH bytes at a time: the most
a bomb can make the reader hold. (A helper thread decompressing ahead was tried: every
piece then waits for the GIL, and the stream got slower, not faster.)
"""

from __future__ import annotations

import zlib
from typing import BinaryIO

from rexport.sources.base import TRAILING_SCAN, ContainerError

RAW_CHUNK = 1 << 20  # read from the file in large pieces
_FEED = 1 << 16  # input given to zlib per call: what it leaves unconsumed is copied back
_PIECE = 1 << 16  # output per zlib call at most: the unit in which output is priced
_BATCH = 1 << 20  # output decompressed per batch of pieces
_MAX_MEMBERS = 4096  # concatenated gzip members; more is a decompression-time attack
_MAGIC = b"\x1f\x8b"

Piece = tuple[bytes, int]  # (output, the compressed bytes consumed to produce it)


class _Inflater:
    """The decompression itself, in priced pieces of at most _PIECE output bytes."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._zlib = zlib.decompressobj(31)
        self._chunk = b""
        self._chunk_pos = 0
        self._pending = b""
        self._carry = 0  # input consumed since the last piece (headers, empty blocks)
        self._failure: ContainerError | None = None
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

    def batch(self) -> list[Piece] | None:
        """Return the next pieces (about _BATCH bytes of output); None at the end."""
        if self._failure is not None:
            raise self._failure
        pieces: list[Piece] = []
        size = 0
        try:
            while size < _BATCH and not self.eof:
                piece = self._piece()
                if piece is not None:
                    pieces.append(piece)
                    size += len(piece[0])
        except ContainerError as exc:
            if not pieces:
                raise
            self._failure = exc  # hand over what was good first
        return pieces or None

    def _piece(self) -> Piece | None:
        data = self._input()
        if not len(data):
            raise ContainerError("REX-X118", "the gzip stream is truncated")
        try:
            out = self._zlib.decompress(data, _PIECE)
        except zlib.error as exc:
            raise ContainerError("REX-X118", f"the gzip stream is corrupt: {exc}") from None
        used = len(data) - len(self._zlib.unconsumed_tail)
        if self._zlib.eof:
            rest = self._zlib.unused_data
            used -= len(rest)
            self._next_member(rest)
        else:
            self._pending = self._zlib.unconsumed_tail
        self._carry += used
        if not out:
            return None
        piece, self._carry = (out, self._carry), 0
        return piece
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
        self.eof = True
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


class GzipReader:
    """Reads the decompressed bytes of a (multi-member) gzip file.

    Output comes in pieces whose compressed price is exact: ``priced()`` tells the output
    and price of the pieces read up to and including the current one, ``settled()`` of
    those read completely, so a caller can price any stretch of output to within one piece
    at each end. ``read`` raises ContainerError(REX-X118) on corruption or truncation;
    non-zero bytes after the last gzip member set ``trailing``.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._inflater = _Inflater(raw)
        self._pieces: list[Piece] = []
        self._next_piece = 0
        self._buf = b""
        self._pos = 0
        self._price = 0
        self._settled_out = 0
        self._settled_price = 0
        self._done = False

    @property
    def trailing(self) -> bool:
        return self._done and self._inflater.trailing

    def priced(self) -> tuple[int, int]:
        """(output, price) of every piece up to and including the current one."""
        return self._settled_out + len(self._buf), self._settled_price + self._price

    def settled(self) -> tuple[int, int]:
        """(output, price) of every piece read to its end."""
        return self._settled_out, self._settled_price

    def _next(self) -> bool:
        self._settled_out += len(self._buf)
        self._settled_price += self._price
        self._buf, self._pos, self._price = b"", 0, 0
        if self._next_piece >= len(self._pieces):
            if self._done:
                return False
            try:
                batch = self._inflater.batch()
            except BaseException:
                self._done = True
                raise
            if batch is None:
                self._done = True
                return False
            self._pieces, self._next_piece = batch, 0
        self._buf, self._price = self._pieces[self._next_piece]
        self._next_piece += 1
        return True

    def read(self, n: int) -> bytes:
        """Return up to ``n`` bytes; fewer only at the end of the stream."""
        if len(self._buf) - self._pos >= n:  # the common case: a header, a small member
            self._pos += n
            return self._buf[self._pos - n:self._pos]
        parts: list[bytes] = []
        while n > 0:
            avail = len(self._buf) - self._pos
            if avail <= 0:
                if not self._next():
                    break
                continue
            take = avail if avail <= n else n
            parts.append(self._buf[self._pos:self._pos + take])
            self._pos += take
            n -= take
        return parts[0] if len(parts) == 1 else b"".join(parts)
