"""One streaming hasher for every digest algorithm the spec allows, sequential or pipelined."""

from __future__ import annotations

import hashlib
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

SUPPORTED = ("sha256", "sha512", "blake2b", "md5", "sha1")
# md5 and sha1 may be recorded next to a strong digest, never alone (spec DIG-01)
WEAK = frozenset({"md5", "sha1"})
HEX_LENGTHS = {"sha256": 64, "sha512": 128, "blake2b": 128, "md5": 32, "sha1": 40}

# 1 MiB: large enough that hashlib releases the GIL and per-call overhead vanishes,
# small enough that a few in flight keep memory far under the 100 MiB budget
CHUNK = 1 << 20
_HEX = "0123456789abcdefABCDEF"

Tap = Callable[[bytes], None]
Progress = Callable[[int], None]


class Stopped(Exception):
    """A worker gave its job up: the caller stopped waiting for it (Ctrl-C, an error)."""


def stoppable(progress: Progress | None, stop: threading.Event) -> Progress:
    """``progress``, called each chunk, made to raise Stopped once ``stop`` is set: a worker
    thread then ends at its next chunk rather than hashing its file to the end, which the
    interpreter would wait for before it could exit."""
    def report(count: int) -> None:
        if stop.is_set():
            raise Stopped
        if progress is not None:
            progress(count)
    return report


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

    Each chunk is also given, as bytes, to every tap (text scanners, small-file capture).
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
        if taps:
            data = bytes(chunk)
            for tap in taps:
                tap(data)
        if progress is not None:
            progress(n)
        total += n
    return total, {n: h.hexdigest() for n, h in zip(names, hashers, strict=True)}


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
            if taps:
                data = bytes(memoryview(buf)[:n])
                for tap in taps:
                    tap(data)
            if progress is not None:
                progress(n)
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
    return not value.strip(_HEX)


class Job:
    """One file to read once: how to open it, what to hash, who else sees its bytes.

    ``read``, when given, returns at most n bytes of the file at once: files smaller than
    WHOLE_MAX are read through it, without a stream. ``context`` is the caller's own
    record, handed back with the result.
    """

    __slots__ = ("algorithms", "context", "limit", "open", "pipelined", "progress", "read",
                 "taps")

    def __init__(self, open: Callable[[], BinaryIO], algorithms: tuple[str, ...], *,
                 taps: Sequence[Tap] = (), limit: int | None = None, pipelined: bool = False,
                 progress: Progress | None = None, context: Any = None,
                 read: Callable[[int], bytes] | None = None) -> None:
        self.open = open
        self.algorithms = algorithms
        self.taps = taps
        self.limit = limit
        self.pipelined = pipelined
        self.progress = progress
        self.context = context
        self.read = read


class Result:
    """What reading a Job gave: bytes read and digests, or the error that stopped it."""

    __slots__ = ("digests", "error", "job", "size")

    def __init__(self, job: Job, size: int = 0, digests: dict[str, str] | None = None,
                 error: BaseException | None = None) -> None:
        self.job = job
        self.size = size
        self.digests = digests if digests is not None else {}
        self.error = error


# A file up to this size is read in one call when its source can (Job.read): one buffer
# of at most this much, where a stream would cost more in Python than the hashing does.
WHOLE_MAX = CHUNK


def run_job(job: Job, errors: tuple[type[BaseException], ...]) -> Result:
    """Read one Job; an exception of a type in ``errors`` is returned, not raised."""
    limit = job.limit
    if job.read is not None and limit is not None and limit < WHOLE_MAX:
        try:
            data = job.read(limit + 1)  # one byte more tells a file grown past its size
        except errors as exc:
            return Result(job, error=exc)
        for tap in job.taps:
            tap(data)
        if job.progress is not None:
            job.progress(len(data))
        return Result(job, len(data), digest_bytes(data, job.algorithms))
    hasher = hash_stream_pipelined if job.pipelined else hash_stream
    try:
        with job.open() as fp:
            size, digests = hasher(fp, job.algorithms, taps=job.taps, limit=job.limit,
                                   progress=job.progress)
    except errors as exc:
        return Result(job, error=exc)
    return Result(job, size, digests)


def _run_batch(batch: list[Job], errors: tuple[type[BaseException], ...]) -> list[Result]:
    return [run_job(job, errors) for job in batch]


# A batch of small files goes to a thread as one task: a task per file would cost more
# in futures and locks than hashing a 4 KiB file does. A batch of less than THREAD_BYTES
# is read by the calling thread itself: for small files the Python around each read, not
# the hashing, is the cost, and two threads contending for the GIL are slower than one.
BATCH_FILES = 64
BATCH_BYTES = 8 << 20
THREAD_BYTES = 1 << 20
_WINDOW = 256  # batches held at most, done or not, so memory stays bounded


def _batches(jobs: Iterable[Job]) -> Iterator[tuple[list[Job], int]]:
    batch: list[Job] = []
    size = 0
    for job in jobs:
        weight = job.limit if job.limit is not None else BATCH_BYTES
        if weight >= THREAD_BYTES:
            # a large file travels alone, so the small ones around it need no thread
            if batch:
                yield batch, size
                batch, size = [], 0
            yield [job], weight
            continue
        batch.append(job)
        size += weight
        if len(batch) >= BATCH_FILES or size >= BATCH_BYTES:
            yield batch, size
            batch, size = [], 0
    if batch:
        yield batch, size


def run_jobs(jobs: Iterable[Job], *, workers: int = 1,
             errors: tuple[type[BaseException], ...] = (OSError,)) -> Iterator[Result]:
    """Run Jobs, yielding Results in the order the jobs came.

    With one worker each job is finished before the next is drawn, as streaming archives
    need. With more, a thread pool reads the larger files, several at once (hashlib
    releases the GIL), while the calling thread goes on with small ones; only a bounded
    window of work is held, so memory does not grow with the export.
    """
    if workers <= 1:
        for job in jobs:
            yield run_job(job, errors)
        return
    window: deque[Future[list[Result]] | list[Result]] = deque()
    in_flight = 0
    stop = threading.Event()
    pool: ThreadPoolExecutor | None = None  # started for the first batch worth a thread
    try:
        for batch, size in _batches(jobs):
            if size < THREAD_BYTES:
                window.append(_run_batch(batch, errors))
            else:
                if pool is None:
                    # a few ms of start-up, paid only when a file is worth a thread
                    from concurrent.futures import ThreadPoolExecutor

                    pool = ThreadPoolExecutor(max_workers=workers,
                                              thread_name_prefix="rexport-hash")
                for job in batch:
                    job.progress = stoppable(job.progress, stop)
                window.append(pool.submit(_run_batch, batch, errors))
                in_flight += 1
            # hand back what is finished, in order; wait only when too much is held
            while window and (len(window) > _WINDOW or in_flight > 2 * workers
                              or isinstance(window[0], list) or window[0].done()):
                head = window.popleft()
                if isinstance(head, list):
                    yield from head
                else:
                    in_flight -= 1
                    yield from head.result()
        while window:
            head = window.popleft()
            yield from head if isinstance(head, list) else head.result()
    finally:
        if pool is not None:
            stop.set()  # when stopped early: the workers give up their files at once
            pool.shutdown(wait=True, cancel_futures=True)
