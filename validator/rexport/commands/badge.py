"""`rexport badge`: write a conformance badge (SVG and shields.io endpoint JSON) for an export."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from rexport.commands import write_output
from rexport.conformance import badge as badges
from rexport.paths import MANIFEST, display

RESULT_KIND = "rex-conformance-result"


def _conformance_result(path: Path) -> dict[str, Any] | None:
    """The conformance run result stored at ``path``, or None when ``path`` is something else."""
    if not path.is_file() or path.suffix != ".json" or path.name == MANIFEST:
        return None
    try:
        with path.open("rb") as fp:
            # a run result is small; a large .json is a manifest, which validation reads safely
            data = json.loads(fp.read(16 << 20))
    except (OSError, ValueError, RecursionError):
        return None
    if isinstance(data, dict) and data.get("kind") == RESULT_KIND:
        return data
    return None


def build(path: Path, *, strict: bool) -> badges.Badge:
    """The badge for ``path``: a conformance run result, or an export that is validated here;
    raise ValueError for a conformance result that is malformed."""
    result = _conformance_result(path)
    if result is not None:
        return badges.from_conformance_result(result)
    from rexport.validation import validate

    return badges.from_report(validate(path, strict=strict))


@click.command("badge")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("badge.svg"), show_default=True, help="Where to write the SVG badge.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the shields.io endpoint JSON here.")
@click.option("--strict", is_flag=True, help="Validate with --strict (warnings fail).")
def command(path: Path, output: Path, json_path: Path | None, strict: bool) -> None:
    """Write a badge for PATH: an export (directory, archive, rex.json) or the JSON result of
    `rexport conformance run --json`. Exits 0 once the badge is written, whatever it says;
    2 when PATH is a malformed conformance result (nothing is written)."""
    try:
        badge = build(path, strict=strict)
    except ValueError as exc:
        click.echo(display(f"rexport badge: {path}: not a usable conformance result: {exc}",
                           None), err=True)
        sys.exit(2)
    write_output(output, badges.svg(badge))
    if json_path is not None:
        write_output(json_path, badges.endpoint_json(badge))
    click.echo(display(f"{badge.label} | {badge.message}", None))
