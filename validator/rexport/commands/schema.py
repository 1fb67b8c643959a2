"""`rexport schema`: write or check the bundled schema, print one schema."""

from __future__ import annotations

import json
from pathlib import Path

import click

from rexport.schema import bundle, validators


@click.group("schema")
def command() -> None:
    """The REX v1 JSON Schemas shipped with rexport."""


@command.command("bundle")
@click.option("--check", "check_only", is_flag=True,
              help="Do not write: exit 1 when the bundle file differs from the schemas.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the bundle ('-' for standard output); "
                   "default: rex.bundle.schema.json next to the schemas.")
def bundle_command(check_only: bool, output: Path | None) -> None:
    """Build rex.bundle.schema.json: every schema resource embedded in one file."""
    text = bundle.bundle_text()
    if output is not None and str(output) == "-":
        click.echo(text, nl=False)
        return
    target = output if output is not None else validators.schema_dir() / validators.BUNDLE_FILE
    if check_only:
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current != text:
            raise click.ClickException(
                f"{target} is out of date: run `rexport schema bundle` to regenerate it")
        click.echo(f"{target} is up to date")
        return
    target.write_text(text, encoding="utf-8")
    click.echo(f"wrote {target}")


@command.command("show")
@click.argument("name")
def show_command(name: str) -> None:
    """Print the schema NAME (rex, files, code, ..., bundle) as JSON."""
    file = validators.BUNDLE_FILE
    if name in {"bundle", file, file[: -len(validators.SUFFIX)]}:
        click.echo(bundle.bundle_text(), nl=False)
        return
    contents = validators.resources().get(validators.uri_for(name))
    if contents is None:
        known = ", ".join(sorted(uri.rsplit("/", 1)[-1][: -len(validators.SUFFIX)]
                                 for uri in validators.resources()))
        raise click.BadParameter(f"unknown schema {name!r}; known: {known}, bundle",
                                 param_hint="NAME")
    click.echo(json.dumps(contents, indent=2, ensure_ascii=False))
