"""Hashing spread over other processes or machines (spec VAL-12): ``local:N`` worker processes
or a Dask cluster (``dask://HOST:PORT``).

Jobs whose file a worker can open itself (a path, or an object behind a URL) and that nothing
else reads (no text scan, no config capture) go to the workers in batches bounded by count
and bytes; every other job is read here, as it comes. A batch whose worker is lost, or that
fails as a whole, is read here too: the report is complete whatever the workers do.
"""

from __future__ import annotations

from typing import Any

from rexport.executors.base import BATCH_BYTES, BATCH_FILES, SPEC, Executor, PartsJob


def start(spec: str, *, storage_options: dict[str, Any] | None = None) -> Executor | None:
    """The Executor that ``spec`` names (``local:N`` or ``dask://HOST:PORT``), started, or None
    for ``local`` (hashing in this process); raise ValueError for a malformed spec and
    InputError (REX-U107, REX-U108) when it cannot start."""
    match = SPEC.match(spec.strip())
    if match is None:
        raise ValueError(f"{spec!r} is not local, local:N or dask://HOST:PORT")
    if match["address"]:
        from rexport.executors.dask import DaskExecutor

        return DaskExecutor(match["address"])
    if match["n"] is None:
        return None
    from rexport.executors.pool import PoolExecutor

    return PoolExecutor(int(match["n"]))


__all__ = ["BATCH_BYTES", "BATCH_FILES", "SPEC", "Executor", "PartsJob", "start"]
