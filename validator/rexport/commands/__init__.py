"""The commands of the `rexport` command line, one module each, and what they share."""

from __future__ import annotations

import os

import click


class CannotWrite(click.ClickException):
    """An output file cannot be written: a one-line error, exit status 2 (unusable input)."""

    exit_code = 2


def write_output(path: str | os.PathLike[str], data: bytes) -> None:
    """Write a command's output file atomically (rexport.outputs); CannotWrite if it cannot."""
    from rexport.outputs import OutputError, write_atomically

    try:
        write_atomically(path, data)
    except OutputError as exc:
        raise CannotWrite(str(exc)) from None
