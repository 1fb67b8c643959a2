"""One streaming hasher for every digest algorithm the spec allows, sequential or pipelined."""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, BinaryIO

SUPPORTED = ("sha256", "sha512", "blake2b", "md5", "sha1")
# md5 and sha1 may be recorded next to a strong digest, never alone (spec DIG-01)
WEAK = frozenset({"md5", "sha1"})
HEX_LENGTHS = {"sha256": 64, "sha512": 128, "blake2b": 128, "md5": 32, "sha1": 40}

# 1 MiB: large enough that hashlib releases the GIL and per-call overhead vanishes,
# small enough that a few in flight keep memory far under the 100 MiB budget
CHUNK = 1 << 20
HEX = "0123456789abcdefABCDEF"  # the digits of a digest, in either case

# A tap is given each chunk as it is read: a view valid during the call only, which a tap
# that keeps bytes must copy (bytes(view)). A copy of every chunk for every tap would cost
# more than hashing it does.
Tap = Callable[[memoryview], None]
Progress = Callable[[int], None]


_CONSTRUCTORS: dict[str, Callable[..., Any]] = {
    "sha256": hashlib.sha256,
    "sha512": hashlib.sha512,
    "blake2b": hashlib.blake2b,  # digest_size defaults to 64: BLAKE2b-512
    # FIPS builds refuse md5/sha1 unless told they do not protect anything here
    "md5": lambda data=b"": hashlib.md5(data, usedforsecurity=False),
    "sha1": lambda data=b"": hashlib.sha1(data, usedforsecurity=False),
}


def new_hasher(algorithm: str) -> Any:
    """Return a fresh hashlib object for one of SUPPORTED; raise ValueError otherwise."""
    try:
        return _CONSTRUCTORS[algorithm]()
    except KeyError:
        raise ValueError(f"unsupported digest algorithm: {algorithm!r}") from None


def digest_bytes(data: bytes, algorithms: Iterable[str]) -> dict[str, str]:
    """{algorithm: lowercase hex digest} of ``data`` held whole in memory (a small file)."""
    return {name: _CONSTRUCTORS[name](data).hexdigest() for name in _unique(algorithms)}


def _unique(algorithms: Iterable[str]) -> Sequence[str]:
    if isinstance(algorithms, tuple) and len(algorithms) == 1:
        names: Sequence[str] = algorithms
    else:
        names = list(dict.fromkeys(algorithms))
    for name in names:
        if name not in _CONSTRUCTORS:
            raise ValueError(f"unsupported digest algorithm: {name!r}")
    return names


_local = threading.local()


def _buffer() -> bytearray:
    """This thread's read buffer: allocating 1 MiB per file would cost more than hashing
    a small file (the memory is touched afresh each time)."""
    buf: bytearray | None = getattr(_local, "buffer", None)
    if buf is None:
        buf = _local.buffer = bytearray(CHUNK)
    return buf


def _readinto(fp: BinaryIO) -> Callable[[bytearray | memoryview], int]:
    method = getattr(fp, "readinto", None)
    if method is not None:
        return method  # type: ignore[no-any-return]

    def fallback(buf: bytearray | memoryview) -> int:
        data = fp.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    return fallback


def hash_stream(fp: BinaryIO, algorithms: Iterable[str], *, taps: Sequence[Tap] = (),
                limit: int | None = None, progress: Progress | None = None
                ) -> tuple[int, dict[str, str]]:
    """Read ``fp`` to its end once; return (bytes read, {algorithm: lowercase hex digest}).

    Each chunk is also given to every tap (text scanners, small-file capture), as a view
    valid during the call only.
    With ``limit``, at most ``limit + 1`` bytes are read: a file larger than its declared
    size is never read to its end, and a count of ``limit + 1`` says it is larger.
    ``progress`` is told each chunk's length.
    """
    names = _unique(algorithms)
    hashers = [new_hasher(n) for n in names]
    updates = [h.update for h in hashers]
    buf = _buffer()
    view = memoryview(buf)
    readinto = _readinto(fp)
    total = 0
    while want := _want(total, limit):
        n = readinto(view[:want] if want < CHUNK else buf)
        if not n:
            break
        chunk = view[:n] if n < CHUNK else view
        for update in updates:
            update(chunk)
        _pass_on(chunk, taps, progress)
        total += n
    return total, {n: h.hexdigest() for n, h in zip(names, hashers, strict=True)}


def _pass_on(chunk: memoryview, taps: Sequence[Tap], progress: Progress | None) -> None:
    """Give a chunk just read to every tap, and its length to ``progress``."""
    for tap in taps:
        tap(chunk)
    if progress is not None:
        progress(len(chunk))


def _want(total: int, limit: int | None) -> int:
    """How much to read next: a chunk, but never past ``limit`` + 1 bytes (spec IDX-05)."""
    return CHUNK if limit is None else max(0, min(CHUNK, limit + 1 - total))


class _Pool:
    """A few reusable buffers, each handed back once every consumer is done with it."""

    def __init__(self, count: int, consumers: int) -> None:
        self.free: queue.Queue[bytearray] = queue.Queue()
        for _ in range(count):
            self.free.put(bytearray(CHUNK))
        self.consumers = consumers
        self.pending: dict[int, int] = {}
        self.lock = threading.Lock()

    def hand_out(self, buf: bytearray) -> None:
        with self.lock:
            self.pending[id(buf)] = self.consumers

    def done(self, buf: bytearray) -> None:
        with self.lock:
            self.pending[id(buf)] -= 1
            last = self.pending[id(buf)] == 0
        if last:
            self.free.put(buf)


def hash_stream_pipelined(fp: BinaryIO, algorithms: Iterable[str], *, taps: Sequence[Tap] = (),
                          limit: int | None = None, progress: Progress | None = None
                          ) -> tuple[int, dict[str, str]]:
    """Like :func:`hash_stream`, but reading (and decompressing) overlaps with hashing.

    The caller's thread reads; one worker thread per algorithm hashes. Worth it for large
    members of compressed archives, where inflating and hashing each cost about as much;
    zlib and hashlib both release the GIL, so the two really run at once.
    """
    names = _unique(algorithms)
    if not names:
        return hash_stream(fp, names, taps=taps, limit=limit, progress=progress)
    hashers = [new_hasher(n) for n in names]
    pool = _Pool(count=4, consumers=len(hashers))
    queues: list[queue.Queue[tuple[bytearray, int] | None]] = [
        queue.Queue() for _ in hashers]

    def work(hasher: Any, inbox: queue.Queue[tuple[bytearray, int] | None]) -> None:
        while (item := inbox.get()) is not None:
            buf, n = item
            hasher.update(memoryview(buf)[:n])
            pool.done(buf)

    threads = [threading.Thread(target=work, args=(h, q), daemon=True)
               for h, q in zip(hashers, queues, strict=True)]
    for t in threads:
        t.start()
    readinto = _readinto(fp)
    total = 0
    try:
        while want := _want(total, limit):
            buf = pool.free.get()
            n = readinto(memoryview(buf)[:want] if want < CHUNK else buf)
            if not n:
                break
            _pass_on(memoryview(buf)[:n], taps, progress)
            pool.hand_out(buf)
            for inbox in queues:
                inbox.put((buf, n))
            total += n
    finally:
        # always stop the workers, even when reading failed, so no thread is left behind
        for inbox in queues:
            inbox.put(None)
        for t in threads:
            t.join()
    return total, {n: h.hexdigest() for n, h in zip(names, hashers, strict=True)}


def well_formed(algorithm: str, value: object) -> bool:
    """True when ``value`` is a hex string of the length ``algorithm`` produces."""
    length = HEX_LENGTHS.get(algorithm)
    if length is None or not isinstance(value, str) or len(value) != length:
        return False
    return not value.strip(HEX)


# -- sha256-parts (spec DIG-05) ------------------------------------------------------------
PARTS = "sha256-parts"
PART_MIN = 1  # parts are at least a byte: their number is bounded by the file's size


def parts_of(value: object) -> tuple[int, list[str]] | None:
    """(part size, part digests) of a well-formed ``sha256-parts`` value, else None (the
    schema check reports a malformed one)."""
    if not isinstance(value, dict):
        return None
    size, digests = value.get("part_size"), value.get("digests")
    if isinstance(size, bool) or not isinstance(size, int) or size < PART_MIN \
            or not isinstance(digests, list) or not digests:
        return None
    if not all(well_formed("sha256", d) for d in digests):
        return None
    return size, [str(d).lower() for d in digests]


def part_count(size: int, part_size: int) -> int:
    """How many parts a file of ``size`` bytes has: an empty file has one, empty part."""
    return max(1, -(-size // part_size))


class PartsHasher:
    """The SHA-256 of each consecutive ``part_size`` bytes of what it is fed (a Tap)."""

    def __init__(self, part_size: int) -> None:
        self.part_size = part_size
        self.done: list[str] = []
        self._current = hashlib.sha256()
        self._filled = 0

    def feed(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while len(view):
            take = min(len(view), self.part_size - self._filled)
            self._current.update(view[:take])
            self._filled += take
            view = view[take:]
            if self._filled == self.part_size:
                self.done.append(self._current.hexdigest())
                self._current, self._filled = hashlib.sha256(), 0

    def finish(self) -> list[str]:
        """Every part's digest, the last (shorter, or the empty file's) included."""
        if self._filled or not self.done:
            self.done.append(self._current.hexdigest())
            self._current, self._filled = hashlib.sha256(), 0
        return self.done


def composite_sha256(part_digests: Iterable[str]) -> str:
    """S3's composite checksum of a multipart object from its parts' SHA-256 (hex): base64 of
    the SHA-256 of the concatenated binary digests, a dash, and the number of parts."""
    import base64

    parts = [bytes.fromhex(d) for d in part_digests]
    return f"{base64.b64encode(hashlib.sha256(b''.join(parts)).digest()).decode()}-{len(parts)}"
