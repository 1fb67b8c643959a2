"""``--executor dask://HOST:PORT``: batches hashed by the workers of a Dask cluster, each
reading its files itself (paths they share with this machine, or URLs)."""

from __future__ import annotations

import importlib
import time
from typing import Any

from rexport.executors.base import Executor
from rexport.executors.tasks import Outcome, Task, hash_tasks
from rexport.sources.base import InputError

_CONNECT_TIMEOUT = 10  # seconds to reach the scheduler
_WORKERS_TIMEOUT = 30  # seconds to wait for a first worker, or for one to come back
_POLL = 2.0


class DaskExecutor(Executor):
    """A client of the scheduler at ``address`` (host:port)."""

    def __init__(self, address: str) -> None:
        try:
            # typed as Any: distributed's own functions carry no annotations
            distributed: Any = importlib.import_module("distributed")
        except ImportError:
            raise InputError("REX-U108", "--executor dask:// needs dask's distributed "
                             "scheduler: pip install 'rexport[dask]'") from None
        self.address = address
        try:
            self._client: Any = distributed.Client(f"tcp://{address}", timeout=_CONNECT_TIMEOUT,
                                  set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise InputError("REX-U107", f"dask://{address}: the scheduler cannot be reached "
                             f"({exc})") from None
        try:
            self._client.wait_for_workers(1, timeout=_WORKERS_TIMEOUT)
        except (OSError, TimeoutError):
            self._client.close()
            raise InputError("REX-U107", f"dask://{address}: the scheduler has no "
                             f"worker after {_WORKERS_TIMEOUT} s") from None
        super().__init__(max(1, len(self._client.nthreads())))

    def submit(self, tasks: list[Task]) -> Any:
        # pure=False: the same batch sent twice (a retry) is hashed again, not looked up
        return self._client.submit(hash_tasks, tasks, pure=False)

    def collect(self, handle: Any) -> list[Outcome]:
        """Wait for a batch; give it up when the cluster has had no worker for a while
        (the scheduler holds tasks without workers forever)."""
        alone_since: float | None = None
        while not self.lost:  # once lost, the batches in flight are read here at once
            try:
                outcomes: list[Outcome] = handle.result(timeout=_POLL)
                return outcomes
            except TimeoutError:
                pass  # not done yet: is there still a worker to do it?
            if self._client.nthreads():
                alone_since = None
                continue
            alone_since = alone_since or time.monotonic()
            if time.monotonic() - alone_since > _WORKERS_TIMEOUT:
                self.lost = True
        handle.cancel()
        raise TimeoutError(f"dask://{self.address} has no worker left")

    def close(self) -> None:
        self._client.close()
