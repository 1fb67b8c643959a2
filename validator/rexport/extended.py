"""Validation runs with the reach their user asked for beyond one disk: the objects that
references name checked (--verify-remote, VAL-13), files hashed by an executor (VAL-12)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from rexport.findings import Finding
from rexport.jobs import JobRunner
from rexport.report import Report
from rexport.sources import InputError


def validate_all(paths: Iterable[str | os.PathLike[str]], check: Callable[..., Report], *,
                 verify_remote: str = "none", executor: str | JobRunner | None = None,
                 **options: Any) -> list[Report]:
    """Validate each of ``paths`` with ``check`` (rexport.validation.validate, or a function
    taking its options) and ``options``; return the reports in order.

    ``verify_remote`` is a level (none, size, metadata, full); ``executor`` an executor spec
    (``local``, ``local:N``, ``dask://HOST:PORT``), started for these paths and stopped after,
    or a running executor. Raise ValueError for an unknown level or a malformed spec; an
    executor that cannot start is every path's input finding (REX-U107, REX-U108).
    """
    from rexport.remote import verifier

    paths = list(paths)
    references = verifier(verify_remote, options.get("storage_options") or {})
    if isinstance(executor, str):
        from rexport.executors import start

        try:
            started = start(executor, storage_options=options.get("storage_options"))
        except InputError as exc:
            return [_unstarted(path, exc, strict=bool(options.get("strict"))) for path in paths]
        runner: JobRunner | None = started  # what the payload pass sees of it
        try:
            return [check(path, references=references, executor=runner, **options)
                    for path in paths]
        finally:
            if started is not None:
                started.close()
    return [check(path, references=references, executor=executor, **options)
            for path in paths]


def _unstarted(path: str | os.PathLike[str], exc: InputError, *, strict: bool) -> Report:
    shown = os.fsdecode(path)
    return Report(path=shown, strict=strict,
                  findings=[Finding.of(exc.code, exc.message, file=shown)])
