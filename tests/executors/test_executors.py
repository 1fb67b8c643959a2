"""--executor local:N: batches hashed by worker processes that read the files themselves; the
report is the one hashing here gives, and a lost worker costs time, never a file."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import rexport
import rexport.executors.base as executors
from helpers.exports import TEXT, build_manifest, many_files, seal, where, write_export
from rexport.executors import start
from rexport.validation import validate


@pytest.fixture
def local_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The batches read in this process because their worker failed (the fallback)."""
    calls: list[int] = []
    original = executors.hash_tasks

    def counted(tasks: list[Any]) -> Any:
        calls.append(len(tasks))
        return original(tasks)

    monkeypatch.setattr(executors, "hash_tasks", counted)
    return calls


def _damaged(tmp_path: Path, count: int) -> Path:
    root = many_files(tmp_path / "run", count)
    (root / "data/07/f00007.bin").write_bytes(b"changed")
    (root / "data/08/f00108.bin").unlink()
    return root


def test_worker_processes_give_the_report_of_this_process(tmp_path: Path,
                                                          local_reads: list[int]) -> None:
    root = _damaged(tmp_path, 1500)
    here = validate(root)
    runner = start("local:2")
    try:
        there = validate(root, executor=runner)
    finally:
        runner.close()
    assert there.to_json() == here.to_json()
    assert {code for code, _, _ in where(there)} == {"REX-I101", "REX-C102"}
    assert local_reads == []  # every batch was hashed by a worker


def test_a_lost_pool_leaves_no_file_unchecked(tmp_path: Path, local_reads: list[int],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    root = _damaged(tmp_path, 1500)
    here = validate(root)
    runner = start("local:2")
    submit = runner.submit
    submitted: list[int] = []

    def submit_then_kill(tasks: list[Any]) -> Any:
        handle = submit(tasks)
        submitted.append(len(tasks))
        if len(submitted) == 2:  # mid-run: every worker of the pool is killed
            for process in list(runner._pool._processes.values()):  # type: ignore[attr-defined]
                os.kill(process.pid, signal.SIGKILL)
        return handle

    monkeypatch.setattr(runner, "submit", submit_then_kill)
    try:
        there = validate(root, executor=runner)
    finally:
        runner.close()
    assert there.to_json() == here.to_json()
    assert local_reads  # the lost batches were read here


def _parted(tmp_path: Path, wrong: int | None) -> Path:
    data = bytes(range(256)) * (14 << 10)  # 3.5 MiB: 4 parts of 1 MiB
    files = {**TEXT, "data/big.bin": data}
    manifest = build_manifest(files, rex_version="1.1")  # the version defining sha256-parts
    entry = next(f for f in manifest["files"] if f["path"] == "data/big.bin")
    size = 1 << 20
    parts = [hashlib.sha256(data[i:i + size]).hexdigest() for i in range(0, len(data), size)]
    if wrong is not None:
        parts[wrong] = "0" * 64
    entry["digests"]["sha256-parts"] = {"part_size": size, "digests": parts}
    return write_export(tmp_path / f"run-{wrong}", files, seal(manifest))


@pytest.mark.parametrize("wrong", [None, 1, 3])
def test_a_file_with_parts_is_verified_part_by_part(tmp_path: Path, wrong: int | None) -> None:
    root = _parted(tmp_path, wrong)
    here = validate(root)  # here: the whole file and its parts, in one read
    runner = start("local:2")
    try:
        there = validate(root, executor=runner)
    finally:
        runner.close()
    position = [e["path"] for e in build_manifest({**TEXT, "data/big.bin": b""})["files"]
                ].index("data/big.bin")
    mismatch = [] if wrong is None else [
        ("REX-I102", "rex.json", f"/files/{position}/digests/sha256-parts/digests/{wrong}")]
    assert where(here) == mismatch
    # there: the parts alone, in parallel, and the report says so
    assert where(there) == [*mismatch, ("REX-I108", "rex.json", f"/files/{position}/digests")]


def test_a_malformed_executor_is_a_usage_error(repo_root: Path) -> None:
    minimal = str(repo_root / "examples" / "minimal")
    done = subprocess.run([sys.executable, "-m", "rexport", "validate", minimal,
                           "--executor", "dask:/nowhere"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 2 and "--executor" in done.stderr
    with pytest.raises(ValueError):
        rexport.validate(minimal, executor="local:0")
