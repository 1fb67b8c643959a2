"""The `rexport` command line: a thin click group; each command lives in rexport.commands.*."""

from __future__ import annotations

import gc
import importlib
from typing import Any

import click

from rexport.versions import __version__

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command ended by Ctrl-C

# command name -> module in rexport.commands exposing a click command named `command` (or
# "module:attribute" when a module holds two); loaded lazily so that `rexport validate` does
# not import the packer or replay.
_COMMANDS: dict[str, str] = {
    "validate": "validate",
    "pack": "pack",
    "conformance": "conformance",
    "badge": "badge",
    "replay": "replay",
    "run": "run",
    "seal": "seal",
    "diff": "diff",
    "schema": "schema",
    "convert": "convert",
    "attest": "attest",
    "verify-attestation": "attest:verify_command",
    "import": "import_",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(f"rexport.commands.{module_name}")
        command: click.Command = getattr(module, attribute or "command")
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # Ctrl-C is no verdict: exit 1 would read as "invalid" or "credential found".
            # Each command removed its partial output on the way here.
            click.echo("rexport: interrupted", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rexport")
def cli() -> None:
    """rexport: validate, pack, replay and compare REX experiment exports."""


def main(argv: Any = None) -> None:
    """Console entry point."""
    try:
        cli.main(args=argv, prog_name="rexport")
    finally:
        # the process ends now: the collections Python runs at exit need not walk every object
        # the imports made (some 30 ms after a pack; objects are still freed as their modules go)
        gc.freeze()
