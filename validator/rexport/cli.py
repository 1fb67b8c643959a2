"""The `rexport` command line: a thin click group; each command lives in rexport.commands.*."""

from __future__ import annotations

import importlib
from typing import Any

import click

from rexport import __version__

# command name -> module in rexport.commands exposing a click command named `command`;
# loaded lazily so that `rexport validate` does not import the packer or replay.
_COMMANDS: dict[str, str] = {
    "validate": "validate",
    "pack": "pack",
    "conformance": "conformance",
    "badge": "badge",
    "replay": "replay",
    "diff": "diff",
    "schema": "schema",
    "import": "import_",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = _COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(f"rexport.commands.{module_name}")
        command: click.Command = module.command
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rexport")
def cli() -> None:
    """rexport: validate, pack, replay and compare REX experiment exports."""


def main(argv: Any = None) -> None:
    """Console entry point."""
    cli.main(args=argv, prog_name="rexport")
