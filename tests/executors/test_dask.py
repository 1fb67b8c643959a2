"""--executor dask://: 20,000 files hashed by the workers of a Dask LocalCluster and of an
external scheduler with two worker processes, all on 127.0.0.1; the report is the local one,
also when a worker is killed mid-run."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.servers import free_port
from rexport.validation import validate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_report(twenty_thousand: Path) -> dict[str, Any]:
    report = validate(twenty_thousand)
    assert report.valid and report.files_checked == 20_001
    return report.to_json()


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


def _run(export: Path, where: str, victims: list[int] | None = None) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).with_name("dask_run.py")), str(export), where]
    if victims:
        command.append(",".join(str(pid) for pid in victims))
    done = subprocess.run(command, capture_output=True, text=True, env=_env(), timeout=600,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_a_local_cluster_gives_the_local_report(twenty_thousand: Path,
                                                local_report: dict[str, Any]) -> None:
    ran = _run(twenty_thousand, "local")
    assert ran["report"] == local_report
    assert ran["local_reads"] == 0  # every batch was hashed by a worker


def test_an_external_cluster_gives_the_local_report(twenty_thousand: Path,
                                                    local_report: dict[str, Any]) -> None:
    with external_cluster(2) as (address, _):
        done = subprocess.run([sys.executable, "-m", "rexport", "validate", "-o", "json",
                               str(twenty_thousand), "--executor", f"dask://{address}"],
                              capture_output=True, text=True, env=_env(), timeout=600,
                              check=False)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    out.pop("$schema")
    assert out == local_report


def test_a_worker_killed_mid_run_costs_no_file(twenty_thousand: Path,
                                               local_report: dict[str, Any]) -> None:
    with external_cluster(2) as (address, workers):
        ran = _run(twenty_thousand, address, [workers[0].pid])
    assert ran["report"] == local_report
    assert ran["collected"] > 1  # the other worker went on


def test_every_worker_killed_ends_in_a_complete_report(twenty_thousand: Path,
                                                       local_report: dict[str, Any]) -> None:
    began = time.monotonic()
    with external_cluster(2) as (address, workers):
        ran = _run(twenty_thousand, address, [w.pid for w in workers])
    assert ran["report"] == local_report  # every file was still read, here
    assert ran["local_reads"] and ran["lost"]
    assert time.monotonic() - began < 300


def test_an_unreachable_scheduler_is_one_line(twenty_thousand: Path) -> None:
    # in a process of its own: a client that never connected keeps its event loop's thread
    nowhere = f"dask://127.0.0.1:{free_port()}"
    done = subprocess.run([sys.executable, "-m", "rexport", "validate", "-o", "json",
                           str(twenty_thousand), "--executor", nowhere],
                          capture_output=True, text=True, env=_env(), timeout=120, check=False)
    report = json.loads(done.stdout)
    assert [f["code"] for f in report["findings"]] == ["REX-U107"]
    assert done.returncode == 2
