"""The commands of the `rexport` command line, one module each, and what they share."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TypeVar

import click

T = TypeVar("T")


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


def interop_call(call: Callable[[], T]) -> T:
    """Run ``call`` (a conversion or attestation); turn its known failures into a one-line
    message and the exit code they give: InteropError's own, 130 interrupted, 2 unreadable."""
    from rexport.interop.export import InteropError

    try:
        return call()
    except InteropError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted: nothing was written", err=True)
        sys.exit(130)
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        click.echo(f"error: cannot read or write{where}: {exc.strerror or exc}", err=True)
        sys.exit(2)
