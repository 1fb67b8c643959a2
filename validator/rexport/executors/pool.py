"""``--executor local:N``: N worker processes on this machine, each reading its files."""

from __future__ import annotations

import multiprocessing
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from rexport.executors.base import Executor
from rexport.executors.tasks import Outcome, Task, hash_tasks


class PoolExecutor(Executor):
    """A pool of ``workers`` processes; a process that dies fails its batches, which are then
    read here (see Executor)."""

    def __init__(self, workers: int) -> None:
        super().__init__(workers)
        # forkserver where there is one: forking this process would copy its threads' locks
        method = "forkserver" if sys.platform.startswith("linux") else "spawn"
        self._pool = ProcessPoolExecutor(max_workers=workers,
                                         mp_context=multiprocessing.get_context(method))

    def submit(self, tasks: list[Task]) -> Future[list[Outcome]]:
        return self._pool.submit(hash_tasks, tasks)

    def collect(self, handle: Any) -> list[Outcome]:
        outcomes: list[Outcome] = handle.result()
        return outcomes

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
