"""`rexport pack`: pack code, data, config, metrics and artifacts into a deterministic export."""

from __future__ import annotations

from typing import Any

import click

from rexport.commands.pack_options import build_request, pack_options, report, run_guarded


@click.command("pack")
@pack_options
@click.option("--replay-command", metavar="'CMD ARG...'",
              help="The command that re-runs the experiment from the code directory (split "
                   "like a shell line; no shell runs it).")
def command(quiet: bool, **options: Any) -> None:
    """Pack an experiment into a REX export at OUT, deterministically and atomically.

    Options override the project file: rex.yaml, else [tool.rexport] of pyproject.toml, in
    the code directory (docs/producing.md). Identical inputs give a byte-identical OUT. Times
    come from SOURCE_DATE_EPOCH, else the code's commit time, else 1980-01-01. Exit codes: 0
    written, 1 refused because a file holds a credential, 2 usage error or unusable input,
    130 interrupted (nothing written). Inputs must be regular files or folders, not links.
    """
    from rexport.pack.files import pack

    written = run_guarded(lambda: pack(build_request(options)))
    report(written, quiet)
