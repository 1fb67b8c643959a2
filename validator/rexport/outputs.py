"""Write a command's output file whole or not at all: never a half report at its path."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


class OutputError(OSError):
    """An output file could not be written; the message names it and says why, in one line."""


def write_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path``: first to a hidden file beside it, renamed over ``path`` once
    complete. Anything that stops the write, Ctrl-C included, leaves ``path`` as it was and
    no temporary behind. Raises OutputError (an OSError) when it cannot be written."""
    target = Path(path)
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
