"""The gzip feed under the tar walker: batches inflated ahead by a helper process, or here
(rexport.sources.gzip_child chooses)."""

from __future__ import annotations

import io
from bisect import bisect_left, bisect_right
from typing import BinaryIO, cast

from rexport.sources.base import TRAILING_SCAN, ContainerError
from rexport.sources.gzip_child import INFLATER, open_reader
from rexport.sources.gzip_helper import InflateError

Buffer = bytearray | memoryview


class GzipFeed:
    """A gzip-compressed tar stream: skips are reads, and every output byte has a price.

    The output comes in batches (see rexport.sources.gzip_helper) that are read in place: a
    header is a slice of the batch, member data is copied once, into the reader's buffer.
    """

    def __init__(self, fp: io.FileIO, *, stream: bool = False) -> None:
        self._fp = fp
        self._gz = open_reader(cast(BinaryIO, fp), TRAILING_SCAN, stream=stream)
        self._buf: bytes | bytearray = b""
        self._view = memoryview(self._buf)
        self._pos = 0
        self._end = 0  # where the batch's output ends in _buf
        self._base = 0  # stream offset of the batch's first byte
        self._base_price = 0  # price of the output before the batch
        self._ends: list[int] = []
        self._prices: list[int] = []

    @property
    def pos(self) -> int:
        return self._base + self._pos

    def _advance(self) -> bool:
        """Move to the next batch, the current one being read; False at the end."""
        if self._prices:
            self._base_price += self._prices[-1]
        self._base += self._end
        self._buf, self._pos, self._end, self._ends, self._prices = b"", 0, 0, [], []
        self._view = memoryview(self._buf)
        try:
            batch = self._gz.next()
        except InflateError as exc:
            raise ContainerError("REX-X118", str(exc)) from None
        if batch is None:
            return False
        self._buf, self._end, self._ends, self._prices = batch
        self._view = memoryview(self._buf)
        return True

    def read(self, n: int) -> bytes:
        pos = self._pos
        if pos + n <= self._end:  # the common case: a header, within one batch
            self._pos = pos + n
            return bytes(self._view[pos:pos + n])
        out = io.BytesIO()  # grows in place: parts joined at the end would double the peak
        while n > 0:
            avail = self._end - self._pos
            if avail <= 0:
                if not self._advance():
                    break
                continue
            take = avail if avail <= n else n
            out.write(self._view[self._pos:self._pos + take])
            self._pos += take
            n -= take
        return out.getvalue()

    def readinto(self, buffer: Buffer, n: int) -> int:
        """Copy the next ``n`` bytes into ``buffer``; fewer only at the end of the stream."""
        pos = self._pos
        if pos + n <= self._end:
            buffer[:n] = self._view[pos:pos + n]
            self._pos = pos + n
            return n
        done = 0
        while done < n:
            avail = self._end - self._pos
            if avail <= 0:
                if not self._advance():
                    break
                continue
            take = avail if avail <= n - done else n - done
            buffer[done:done + take] = self._view[self._pos:self._pos + take]
            self._pos += take
            done += take
        return done

    def skip(self, n: int) -> int:
        done = 0
        while True:
            avail = self._end - self._pos
            if n - done <= avail:
                self._pos += n - done
                return n
            done += avail
            self._pos = self._end
            if not self._advance():
                return done

    def priced(self) -> tuple[int, int] | None:
        """(output, price) of every piece up to and including the one holding the last
        byte read."""
        if self._pos == 0:
            return self._base, self._base_price
        i = bisect_left(self._ends, self._pos)
        return self._base + self._ends[i], self._base_price + self._prices[i]

    def settled(self) -> tuple[int, int]:
        """(output, price) of every piece read to its end."""
        i = bisect_right(self._ends, self._pos) - 1
        if i < 0:
            return self._base, self._base_price
        return self._base + self._ends[i], self._base_price + self._prices[i]

    def trailing(self) -> bool:
        return self._gz.trailing

    def close(self) -> None:
        self._gz.close()  # the helper first: it reads from the file
        self._fp.close()


__all__ = ["INFLATER", "Buffer", "GzipFeed"]
