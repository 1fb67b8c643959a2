"""Validate an export with a Dask executor in a process of its own, and print the JSON report
with what the executor did: distributed keeps threads (and loads libraries that start native
ones) that would stay in the test process, where later tests fork.

    python dask_run.py EXPORT local             # a LocalCluster of two worker processes
    python dask_run.py EXPORT HOST:PORT [PIDS]  # that scheduler; PIDS (comma-separated) are
                                                # killed once the first batch is back
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

import rexport.executors.base as base
import rexport.executors.dask as dask_executor
from rexport.executors import start
from rexport.validation import validate


def main(export: str, where: str, victims: list[int]) -> dict[str, Any]:
    dask_executor._WORKERS_TIMEOUT = 3  # all workers gone: read here after 3 s, not 30
    local_reads: list[int] = []
    original = base.hash_tasks

    def counted(tasks: list[Any]) -> Any:
        local_reads.append(len(tasks))
        return original(tasks)

    base.hash_tasks = counted  # type: ignore[assignment]
    cluster = None
    if where == "local":
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        where = cluster.scheduler_address.removeprefix("tcp://")
    runner = start(f"dask://{where}")
    collect = runner.collect
    collected: list[int] = []

    def collect_then_kill(handle: Any) -> Any:
        outcomes = collect(handle)
        collected.append(len(outcomes))
        if len(collected) == 1:
            for pid in victims:
                os.kill(pid, signal.SIGKILL)
        return outcomes

    runner.collect = collect_then_kill  # type: ignore[method-assign]
    try:
        report = validate(export, executor=runner)
    finally:
        runner.close()
        if cluster is not None:
            cluster.close()
    return {"report": report.to_json(), "collected": len(collected),
            "local_reads": len(local_reads), "lost": runner.lost}


if __name__ == "__main__":
    pids = [int(p) for p in sys.argv[3].split(",")] if len(sys.argv) > 3 else []
    print(json.dumps(main(sys.argv[1], sys.argv[2], pids)))
