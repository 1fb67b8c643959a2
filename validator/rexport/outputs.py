"""Write a command's output file whole or not at all: never a half report at its path."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path


class OutputError(OSError):
    """An output file could not be written; the message names it and says why, in one line."""


def write_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path``: first to a hidden file beside it, renamed over ``path`` once
    complete. Anything that stops the write, Ctrl-C included, leaves ``path`` as it was and
    no temporary behind. A device or a pipe (``/dev/stdout``) is written to directly, and a
    link's target is replaced, never the link. Raises OutputError (an OSError) when it cannot
    be written."""
    try:
        special = not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        special = False
    if special:
        try:
            with open(path, "wb") as fp:
                fp.write(data)
        except OSError as exc:
            raise OutputError(f"cannot write {os.fspath(path)}: {exc.strerror or exc}") from None
        return
    target = Path(os.path.realpath(path))
    tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}.rexport-partial"
    try:
        with open(tmp, "xb") as fp:
            fp.write(data)
        os.replace(tmp, target)
    except BaseException as exc:
        # the cleanup must never raise a second error over the first
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            reason = exc.strerror or str(exc)
            raise OutputError(f"cannot write {os.fspath(path)}: {reason}") from None
        raise
