"""What a worker runs: a batch of hashing tasks, each reading its file (or a part of it)
itself. Imported by worker processes, so it imports little."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import BinaryIO, NamedTuple

from rexport.digests import CHUNK, new_hasher
from rexport.jobs import Job, run_job


class Task(NamedTuple):
    """One file to hash (``offset`` None), or one part of it: ``length`` bytes at ``offset``.

    ``open`` and ``read`` are portable callables (see portable): a worker calls them itself.
    """

    open: Callable[[], BinaryIO]
    read: Callable[[int], bytes] | None
    algorithms: tuple[str, ...]
    limit: int | None
    offset: int | None = None
    length: int = 0


# (bytes read, {algorithm: hex digest}) or (-1, {"code": ..., "message": ...}) for an error
Outcome = tuple[int, dict[str, str]]

_PORTABLE = {("rexport.sources.directory", "open_regular"),
             ("rexport.sources.directory", "read_regular"),
             ("rexport.sources.remote_io", "open_stream"), ("rexport.sources.remote", "_read_head")}


def portable(function: object) -> bool:
    """Whether ``function`` can be sent to a worker and called there: a partial of a file
    path or URL opener of rexport's (a closure over an archive's handle cannot)."""
    if not isinstance(function, functools.partial):
        return False
    inner = function.func
    return (getattr(inner, "__module__", None), getattr(inner, "__name__", None)) in _PORTABLE


def _error(exc: BaseException) -> Outcome:
    code = getattr(exc, "code", None)
    return -1, {"code": code if isinstance(code, str) else "",
                "message": str(exc) or type(exc).__name__}


def _part_stream(open_file: Callable[[], BinaryIO], offset: int, length: int) -> BinaryIO:
    """A seekable stream over the file: ranged reads for an object behind a URL."""
    if isinstance(open_file, functools.partial) and open_file.func.__name__ == "open_stream":
        from rexport.sources.remote_io import open_range

        fs, path = open_file.args
        return open_range(fs, path, offset + length)
    return open_file()


def hash_part(task: Task) -> Outcome:
    """The SHA-256 of ``task.length`` bytes at ``task.offset`` (fewer at the file's end)."""
    assert task.offset is not None
    hasher = new_hasher("sha256")
    done = 0
    with _part_stream(task.open, task.offset, task.length) as fp:
        if task.offset:
            fp.seek(task.offset)
        while done < task.length:
            data = fp.read(min(CHUNK, task.length - done))
            if not data:
                break
            hasher.update(data)
            done += len(data)
    return done, {"sha256": hasher.hexdigest()}


def hash_tasks(tasks: list[Task]) -> list[Outcome]:
    """Run every task of a batch; a file that cannot be read gives an error outcome."""
    out: list[Outcome] = []
    for task in tasks:
        try:
            if task.offset is not None:
                out.append(hash_part(task))
                continue
            result = run_job(Job(task.open, task.algorithms, limit=task.limit, read=task.read),
                             (Exception,))
        except Exception as exc:  # anything a reader raises is this file's problem
            out.append(_error(exc))
            continue
        out.append(_error(result.error) if result.error is not None
                   else (result.size, result.digests))
    return out


def outcome_error(outcome: Outcome) -> OSError:
    """The error an error outcome stands for, with its code when it had one."""
    error = OSError(outcome[1].get("message", "unreadable"))
    error.code = outcome[1].get("code") or None  # type: ignore[attr-defined]
    return error
