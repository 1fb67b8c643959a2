"""Byte feeds under the tar walker (a seekable file; gzip: rexport.sources.gzip_feed) and the
member readers."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import BinaryIO, cast

from rexport.limits import RATIO_LIMIT, RATIO_MIN_SIZE, RATIO_PREFIX
from rexport.paths import display
from rexport.sources.base import ContainerError
from rexport.sources.gzip_feed import Buffer, GzipFeed

# the most one read or skip of a member takes at once: memory stays bounded however large it is
_STEP_MAX = 4 << 20


class FileFeed:
    """A plain tar file: reads go forward, skips are seeks (member data is never read)."""

    def __init__(self, fp: io.FileIO) -> None:
        self._fp = fp
        self._size = os.fstat(fp.fileno()).st_size
        self.pos = 0

    def read(self, n: int) -> bytes:
        parts: list[bytes] = []
        while n > 0:
            chunk = self._fp.read(n)
            if not chunk:
                break
            parts.append(chunk)
            n -= len(chunk)
        data = b"".join(parts)
        self.pos += len(data)
        return data

    def readinto(self, buffer: Buffer, n: int) -> int:
        view = memoryview(buffer)[:n]
        done = 0
        while done < n:
            got = self._fp.readinto(view[done:])
            if not got:
                break
            done += got
        self.pos += done
        return done

    def skip(self, n: int) -> int:
        step = max(0, min(n, self._size - self.pos))
        if step:
            self._fp.seek(step, os.SEEK_CUR)
            self.pos += step
        return step

    def priced(self) -> tuple[int, int] | None:
        return None

    def settled(self) -> tuple[int, int]:
        return 0, 0

    def trailing(self) -> bool:
        return False

    def close(self) -> None:
        self._fp.close()


Feed = FileFeed | GzipFeed
Report = Callable[[str, str, str], None]


class MemberData:
    """The data of one tar member on the feed: read at most ``size`` bytes, priced on the way.

    A problem met while the consumer reads (truncation, a bomb) ends the data early and is
    kept in ``error``; the walker raises it once the next entry is asked for.
    """

    __slots__ = ("_feed", "_report", "_start", "error", "left", "offset", "path", "size")

    def __init__(self, feed: Feed, size: int, path: str, report: Report) -> None:
        self._feed = feed
        self.size = size
        self.left = size
        self.offset = feed.pos
        self.path = path
        self._report = report
        # Only members above the ratio floor are priced (spec EXP-04). Their price counts
        # the pieces that begin after their start: the piece it starts in is shared with
        # what came before (see GzipFeed.priced). None for a plain tar: nothing to price.
        self._start = feed.priced() if size > RATIO_MIN_SIZE else None
        self.error: ContainerError | None = None

    def _truncated(self) -> None:
        self.error = ContainerError("REX-X118", "the archive is truncated inside a member",
                                    display(self.path))

    def read(self, n: int = -1) -> bytes:
        if self.left <= 0 or self.error is not None:
            return b""
        # one call returns at most _STEP_MAX: a caller asking for a huge read gets it in
        # pieces (see _Stream.read) rather than twice in memory while they are joined
        n = self.left if n < 0 or n > self.left else n
        n = min(n, _STEP_MAX)
        try:
            data = self._feed.read(n)
        except ContainerError as exc:
            self.error = exc
            return b""
        self.left -= len(data)
        if len(data) < n:
            self._truncated()
        if self._start is not None:
            self._price()
        return data

    def readinto(self, buffer: Buffer) -> int:
        if type(buffer) is not bytearray and (type(buffer) is not memoryview
                                              or buffer.format != "B"):
            buffer = memoryview(buffer).cast("B")  # any writable buffer, as bytes
        n = len(buffer)
        if n > self.left:
            n = self.left
        if n <= 0 or self.error is not None:
            return 0
        try:
            got = self._feed.readinto(buffer, n)
        except ContainerError as exc:
            self.error = exc
            return 0
        self.left -= got
        if got < n:
            self._truncated()
        if self._start is not None:
            self._price()
        return got

    def _price(self) -> None:
        done = self.size - self.left
        if done <= RATIO_MIN_SIZE or self._start is None:
            return
        out, price = self._feed.settled()
        out -= self._start[0]
        price -= self._start[1]
        if out <= RATIO_LIMIT * max(price, 1):
            return
        message = (f"{out} bytes from {price} compressed bytes "
                   f"(more than {RATIO_LIMIT}:1)")
        if self.left == 0:
            self._report("REX-X115", message, display(self.path))
        elif done >= RATIO_PREFIX:
            self.error = ContainerError("REX-X115", message + ": reading stopped",
                                        display(self.path))
            self.left = 0

    def finish(self, padding: int) -> None:
        """Pass over what the consumer left unread and the ``padding`` after it; the
        reader is spent afterwards."""
        if self._start is None:
            # nothing to price (a plain tar, or a member under the ratio floor): one skip
            # over the rest and the padding
            padding += self.left
            self.left = 0
        while self.left > 0 and self.error is None:
            step = self.left if self.left < _STEP_MAX else _STEP_MAX
            got = self._feed.skip(step)
            self.left -= got
            if got < step:
                self._truncated()
            else:
                self._price()
        self.left = 0
        if self.error is None and self._feed.skip(padding) < padding:
            self._truncated()

    def open(self) -> BinaryIO:
        return cast(BinaryIO, _Stream(self))


class _Stream(io.BufferedIOBase):
    """A read-only binary stream over a member's data."""

    def __init__(self, data: MemberData) -> None:
        super().__init__()
        self._data = data

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        want = -1 if size is None or size < 0 else size
        read = self._data.read
        first = read(_STEP_MAX if want < 0 else want)
        if not first or len(first) == want:
            return first
        out = io.BytesIO()  # grows in place: a list joined at the end would double the peak
        out.write(first)
        while want < 0 or out.tell() < want:
            chunk = read(_STEP_MAX if want < 0 else min(want - out.tell(), _STEP_MAX))
            if not chunk:
                break
            out.write(chunk)
        return out.getvalue()

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def readinto(self, buffer: Buffer) -> int:  # type: ignore[override]
        return self._data.readinto(buffer)


class Slice(io.BufferedIOBase):
    """``size`` bytes of a file from ``offset``, through its own handle (thread-safe)."""

    def __init__(self, path: str, offset: int, size: int) -> None:
        super().__init__()
        self._fp = open(path, "rb", buffering=0)  # noqa: SIM115 - closed in close()
        self._fp.seek(offset)
        self._left = size

    @staticmethod
    def opener(path: str, offset: int, size: int) -> Callable[[], BinaryIO]:
        return lambda: cast(BinaryIO, Slice(path, offset, size))

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        want = min(len(buffer), self._left)
        if want <= 0 or self._fp.closed:
            return 0
        got = self._fp.readinto(memoryview(buffer)[:want]) or 0
        self._left = self._left - got if got else 0
        if not self._left:
            self._fp.close()  # done: do not wait for the consumer to close
        return got

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self._left
        buffer = bytearray(min(size, self._left))
        got = self.readinto(buffer)
        return bytes(buffer[:got])

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def close(self) -> None:
        self._fp.close()
        super().close()
