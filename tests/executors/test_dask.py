"""--executor dask://: 20,000 files hashed by the workers of a Dask LocalCluster and of an
external scheduler with two worker processes, all on 127.0.0.1; the report is the local one,
also when a worker is killed mid-run."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rexport.executors.base as executors
import rexport.executors.dask as dask_executor
from helpers.servers import free_port
from rexport.executors import start
from rexport.validation import validate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_report(twenty_thousand: Path) -> dict[str, Any]:
    report = validate(twenty_thousand)
    assert report.valid and report.files_checked == 20_001
    return report.to_json()


@pytest.fixture
def local_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = executors.hash_tasks

    def counted(tasks: list[Any]) -> Any:
        calls.append(len(tasks))
        return original(tasks)

    monkeypatch.setattr(executors, "hash_tasks", counted)
    return calls


def _env() -> dict[str, str]:
    # the workers import rexport from the same tree as this process
    paths = [p for p in sys.path if p and Path(p, "rexport", "__init__.py").is_file()]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


@contextlib.contextmanager
def external_cluster(workers: int) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """`dask scheduler` and ``workers`` `dask worker` processes on 127.0.0.1."""
    port = free_port()
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    procs = [subprocess.Popen([*dask, "--host", "127.0.0.1", "--port", str(port),
                               "--dashboard-address", ":0", "--no-show"],
                              env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    address = f"127.0.0.1:{port}"
    started: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(workers):
            started.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", f"tcp://{address}",
                 "--nthreads", "1", "--nworkers", "1", "--host", "127.0.0.1",
                 "--dashboard-address", ":0", "--no-nanny"],
                env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        yield address, started
    finally:
        for proc in started + procs:
            proc.kill()
            proc.wait()


def test_a_local_cluster_gives_the_local_report(twenty_thousand: Path,
                                                local_report: dict[str, Any],
                                                local_reads: list[int]) -> None:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        address = cluster.scheduler_address.removeprefix("tcp://")
        report = validate(twenty_thousand, executor=f"dask://{address}")
    assert report.to_json() == local_report
    assert local_reads == []


def test_an_external_cluster_gives_the_local_report(twenty_thousand: Path,
                                                    local_report: dict[str, Any],
                                                    local_reads: list[int]) -> None:
    with external_cluster(2) as (address, _):
        done = subprocess.run([sys.executable, "-m", "rexport", "validate", "-o", "json",
                               str(twenty_thousand), "--executor", f"dask://{address}"],
                              capture_output=True, text=True, env=_env(), timeout=600,
                              check=False)
    import json

    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    out.pop("$schema")
    assert out == local_report


def _kill_after_first(runner: Any, victims: list[subprocess.Popen[bytes]],
                      monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Kill ``victims`` once the first batch is back: mid-run, with batches in flight."""
    collect = runner.collect
    collected: list[int] = []

    def collect_then_kill(handle: Any) -> Any:
        outcomes = collect(handle)
        collected.append(len(outcomes))
        if len(collected) == 1:
            for victim in victims:
                victim.send_signal(signal.SIGKILL)
                victim.wait()
        return outcomes

    monkeypatch.setattr(runner, "collect", collect_then_kill)
    return collected


def test_a_worker_killed_mid_run_costs_no_file(twenty_thousand: Path,
                                               local_report: dict[str, Any],
                                               monkeypatch: pytest.MonkeyPatch,
                                               local_reads: list[int]) -> None:
    with external_cluster(2) as (address, workers):
        runner = start(f"dask://{address}")
        try:
            collected = _kill_after_first(runner, workers[:1], monkeypatch)
            report = validate(twenty_thousand, executor=runner)
        finally:
            runner.close()
    assert report.to_json() == local_report
    assert len(collected) > 1  # the other worker went on (its batches are not read here)


def test_every_worker_killed_ends_in_a_complete_report(twenty_thousand: Path,
                                                       local_report: dict[str, Any],
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       local_reads: list[int]) -> None:
    monkeypatch.setattr(dask_executor, "_WORKERS_TIMEOUT", 3)
    with external_cluster(2) as (address, workers):
        runner = start(f"dask://{address}")
        try:
            _kill_after_first(runner, workers, monkeypatch)
            began = time.monotonic()
            report = validate(twenty_thousand, executor=runner)
        finally:
            runner.close()
    assert report.to_json() == local_report  # every file was still read, here
    assert local_reads and runner.lost
    assert time.monotonic() - began < 120


def test_an_unreachable_scheduler_is_one_line(twenty_thousand: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dask_executor, "_CONNECT_TIMEOUT", 2)
    report = validate(twenty_thousand, executor=f"dask://127.0.0.1:{free_port()}")
    assert [f.code for f in report.findings] == ["REX-U107"]
    assert report.exit_code == 2
