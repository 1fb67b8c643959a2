"""Read many files once each, hashing and tapping their bytes: Jobs run in order, on a thread
pool that holds a bounded window of work; and how many jobs to run by default."""

from __future__ import annotations

import math
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from rexport.digests import (
    CHUNK,
    Progress,
    Tap,
    digest_bytes,
    hash_stream,
    hash_stream_pipelined,
)

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor


def default_jobs() -> int:
    """The number of processors this process may use: what ``--jobs`` defaults to.

    Its CPU affinity (``os.sched_getaffinity``, else every processor), lowered to a CPU quota
    set by its cgroup (v2 ``cpu.max``, v1 ``cpu.cfs_quota_us``), as in a container limited
    to fewer CPUs than the host has. Always at least 1.
    """
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on macOS or Windows
        count = os.cpu_count() or 1
    quota = cgroup_cpu_quota()
    if quota is not None:
        count = min(count, math.ceil(quota))
    return max(1, count)


def cgroup_cpu_quota(proc: str = "/proc/self/cgroup", mount: str = "/sys/fs/cgroup"
                     ) -> float | None:
    """The CPUs' worth of time the cgroups of this process allow (1.5: one and a half), the
    smallest along its cgroup path; None without a quota, or where there are no cgroups.

    ``proc`` and ``mount`` name /proc/self/cgroup and the cgroup file system's mount point.
    """
    try:
        with open(proc, encoding="utf-8") as fp:
            lines = fp.read().splitlines()
    except OSError:
        return None
    quotas: list[float] = []
    for line in lines:
        _, controllers, path = line.split(":", 2) if line.count(":") >= 2 else ("", "", "")
        if controllers == "":  # the unified (v2) hierarchy
            quotas += _quotas(mount, path, _v2_quota)
        elif "cpu" in controllers.split(","):
            quotas += _quotas(os.path.join(mount, controllers), path, _v1_quota)
            quotas += _quotas(os.path.join(mount, "cpu"), path, _v1_quota)
    return min(quotas, default=None)


def _quotas(base: str, path: str, read: Callable[[str], float | None]) -> list[float]:
    """The quotas set on the cgroup at ``path`` under ``base`` and on its ancestors.

    Inside a container the cgroup's own folder is often mounted at ``base`` itself, while
    /proc still names the host's path: ``base`` is always read too.
    """
    found = []
    parts = [p for p in path.strip("/").split("/") if p not in ("", ".", "..")]
    for depth in range(len(parts), -1, -1):
        quota = read(os.path.join(base, *parts[:depth]))
        if quota is not None:
            found.append(quota)
    return found


def _first_line(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as fp:
            return fp.readline().strip()
    except (OSError, ValueError):
        return None


def _v2_quota(folder: str) -> float | None:
    line = _first_line(os.path.join(folder, "cpu.max"))  # "max 100000" or "150000 100000"
    fields = line.split() if line else []
    if len(fields) != 2 or not fields[0].isdigit() or not fields[1].isdigit():
        return None
    period = int(fields[1])
    return int(fields[0]) / period if period > 0 else None


def _v1_quota(folder: str) -> float | None:
    quota = _first_line(os.path.join(folder, "cpu.cfs_quota_us"))  # -1: no quota
    period = _first_line(os.path.join(folder, "cpu.cfs_period_us"))
    if not quota or not period or not quota.isdigit() or not period.isdigit():
        return None
    return int(quota) / int(period) if int(period) > 0 else None


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


class JobRunner(Protocol):
    """Runs Jobs on workers that read the files themselves (rexport.executors, VAL-12): what
    the payload pass sees of an executor."""

    splits: bool  # files with sha256-parts of several parts may be hashed part by part

    def run(self, jobs: Iterable[Job], errors: tuple[type[BaseException], ...]
            ) -> Iterator[Result]:
        """Run ``jobs``; yield one Result for each, in no particular order."""
        ...

    def portable(self, opener: object) -> bool:
        """Whether the workers can open the file ``opener`` opens (a path, a URL)."""
        ...

    def parts_job(self, open: Callable[[], BinaryIO], part_size: int, limit: int,
                  context: Any) -> Job:
        """The Job of a file of ``limit`` bytes verified by its parts of ``part_size``."""
        ...


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
        view = memoryview(data)
        for tap in job.taps:
            tap(view)
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
