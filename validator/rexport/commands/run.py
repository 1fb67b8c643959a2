"""`rexport run`: run an experiment's command and record it as a replayable export."""

from __future__ import annotations

import signal
import sys
from typing import Any

import click

from rexport.commands.pack_options import build_request, fail, pack_options, report, terminate


@click.command("run", context_settings={"allow_interspersed_args": False})
@pack_options
@click.argument("argv", metavar="-- COMMAND...", nargs=-1, required=True,
                type=click.UNPROCESSED)
def command(quiet: bool, argv: tuple[str, ...], **options: Any) -> None:
    """Run COMMAND (no shell) and record the run as a REX export at OUT.

    Before COMMAND starts, the code (git state and snapshot) and the environment it runs in
    are recorded; after it ends, its metrics file (--metrics, JSON or YAML), artifacts, data,
    config and seeds, its start and end, and a replay section whose command is COMMAND, run
    in the same folder of the code, each metric within --tolerance (default abs:1e-8,rel:1e-5).
    Options override the project file (rex.yaml or [tool.rexport]). Then what a reviewer
    will miss is listed, with the option that adds each.

    \b
    Exit codes: COMMAND's own when it fails (nothing written); 0 written; 1 refused because
    a file holds a credential; 2 usage error or unusable input; 130 interrupted (SIGINT is
    passed on to COMMAND; nothing written).
    """
    from rexport.pack.errors import PackError
    from rexport.pack.run import Interrupted, run

    if options.get("replay_workdir") is not None:
        raise click.BadParameter("a run replays where COMMAND ran; this option is for "
                                 "rexport pack", param_hint="--replay-workdir")
    previous = signal.signal(signal.SIGTERM, terminate)  # partial output removed on the way out
    try:
        outcome = run(build_request(options), list(argv))
    except (Interrupted, KeyboardInterrupt) as exc:
        signum = exc.signum if isinstance(exc, Interrupted) else 2
        click.echo("interrupted: nothing was written", err=True)
        sys.exit(128 + signum)
    except (PackError, OSError) as exc:
        fail(exc)
        return
    finally:
        signal.signal(signal.SIGTERM, previous)
    for note in outcome.notes:
        click.echo(f"error: {note}", err=True)
    if outcome.written is None:
        sys.exit(outcome.returncode)
    report(outcome.written, quiet)
