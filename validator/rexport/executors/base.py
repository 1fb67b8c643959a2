"""The Executor: batches of hashing jobs handed to workers that read the files themselves."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

from rexport.digests import PARTS, part_count
from rexport.executors.tasks import Outcome, Task, hash_tasks, outcome_error, portable
from rexport.jobs import Job, Result, run_job

BATCH_FILES = 256
BATCH_BYTES = 64 << 20
SPEC = re.compile(r"^(?:local(?::(?P<n>[1-9][0-9]{0,3}))?|dask://(?P<address>[^\s/]+))$")


class PartsJob(Job):
    """A file verified by its sha256-parts alone, one task a part (see PayloadPass)."""

    __slots__ = ("part_size",)

    def __init__(self, open: Callable[[], BinaryIO], part_size: int, limit: int,
                 context: Any) -> None:
        super().__init__(open, (), limit=limit, context=context)
        self.part_size = part_size


class _Pending:
    """A batch handed to the workers: its jobs, their tasks, and the handle to wait on."""

    __slots__ = ("handle", "jobs", "tasks")

    def __init__(self, jobs: list[Job], tasks: list[Task], handle: Any) -> None:
        self.jobs, self.tasks, self.handle = jobs, tasks, handle


class Executor:
    """Runs Jobs on workers that read the files themselves; see the module's docstring."""

    splits = True  # files with sha256-parts of several parts are hashed part by part
    in_flight = 4  # batches handed out at most, per worker

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.lost = False  # the workers are gone: the rest is read here

    # -- what a kind of executor provides ---------------------------------------------------
    def submit(self, tasks: list[Task]) -> Any:
        """Hand a batch to the workers; return what collect() waits on."""
        raise NotImplementedError

    def collect(self, handle: Any) -> list[Outcome]:
        """The outcomes of a batch handed out; raise when its worker is lost."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the workers (or the connection to them)."""

    # -- the loop ---------------------------------------------------------------------------
    def portable(self, opener: object) -> bool:
        """Whether the workers can open the file ``opener`` opens (a path, a URL)."""
        return portable(opener)

    def parts_job(self, open: Callable[[], BinaryIO], part_size: int, limit: int,
                  context: Any) -> Job:
        """The Job of a file to verify by its parts of ``part_size`` bytes."""
        return PartsJob(open, part_size, limit, context)

    def run(self, jobs: Iterable[Job], errors: tuple[type[BaseException], ...]
            ) -> Iterator[Result]:
        """Run ``jobs``; yield one Result for each (in no particular order)."""
        window: deque[_Pending] = deque()
        batch: list[Job] = []
        weight = 0
        for job in jobs:
            if isinstance(job, PartsJob):
                window.append(self._parts(job))
            elif job.taps or not portable(job.open) or self.lost:
                yield run_job(job, errors)  # now: a streaming source's member is read in turn
                continue
            else:
                batch.append(job)
                weight += job.limit or 0
                if len(batch) < BATCH_FILES and weight < BATCH_BYTES:
                    continue
                window.append(self._batch(batch))
                batch, weight = [], 0
            while len(window) > self.in_flight * self.workers:
                yield from self._finish(window.popleft())
        if batch:
            window.append(self._batch(batch))
        while window:
            yield from self._finish(window.popleft())

    def _batch(self, jobs: list[Job]) -> _Pending:
        tasks = [Task(j.open, j.read if portable(j.read) else None, j.algorithms, j.limit)
                 for j in jobs]
        return _Pending(jobs, tasks, None if self.lost else self._submit(tasks))

    def _parts(self, job: PartsJob) -> _Pending:
        size = job.limit or 0
        count = part_count(size, job.part_size)
        # one byte past the last part tells a file grown past its size (IDX-05)
        tasks = [Task(job.open, None, (), None, i * job.part_size,
                      job.part_size + (1 if i == count - 1 else 0)) for i in range(count)]
        return _Pending([job], tasks, None if self.lost else self._submit(tasks))

    def _submit(self, tasks: list[Task]) -> Any:
        try:
            return self.submit(tasks)
        except Exception:
            self.lost = True  # the workers cannot be reached any more: read here
            return None

    def _finish(self, pending: _Pending) -> Iterator[Result]:
        outcomes: list[Outcome] | None = None
        if pending.handle is not None:
            try:
                outcomes = self.collect(pending.handle)
            except Exception:
                outcomes = None
            if outcomes is not None and len(outcomes) != len(pending.tasks):
                outcomes = None
        if outcomes is None:
            outcomes = hash_tasks(pending.tasks)  # the batch's worker was lost: read here
        first = pending.jobs[0]
        if isinstance(first, PartsJob):
            yield _joined(first, outcomes)
            return
        for job, outcome in zip(pending.jobs, outcomes, strict=True):
            yield (Result(job, error=outcome_error(outcome)) if outcome[0] < 0
                   else Result(job, outcome[0], outcome[1]))


def _joined(job: PartsJob, outcomes: list[Outcome]) -> Result:
    """The Result of a file from its parts' outcomes: their sizes, their digests in order."""
    for outcome in outcomes:
        if outcome[0] < 0:
            return Result(job, error=outcome_error(outcome))
    size = sum(o[0] for o in outcomes)
    return Result(job, size, {PARTS: " ".join(o[1]["sha256"] for o in outcomes)})


