"""`rexport pack`: pack code, data, config, metrics and artifacts into a deterministic export."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType

import click

from rexport.paths import display

_PATH = click.Path(exists=True, path_type=Path)


def _seed(values: tuple[str, ...]) -> dict[str, int]:
    seeds = {}
    for text in values:
        name, _, number = text.partition("=")
        try:
            seeds[name] = int(number)
        except ValueError:
            raise click.BadParameter(f"{text!r}: expected NAME=INTEGER",
                                     param_hint="--seed") from None
        if not name:
            raise click.BadParameter(f"{text!r}: expected NAME=INTEGER", param_hint="--seed")
    return seeds


def _terminate(signum: int, frame: FrameType | None) -> None:
    # turn SIGTERM into SystemExit so that the partial output is removed on the way out
    raise SystemExit(128 + signum)


@click.command("pack")
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path),
              help="Where to write: a directory, or a .tar, .tar.gz/.tgz or .zip file.")
@click.option("--code", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The code directory: its git-tracked files, or all its files outside git.")
@click.option("--data", multiple=True, type=_PATH, help="A dataset file or folder to embed.")
@click.option("--data-ref", "data_refs", multiple=True, metavar="URI=sha256:HEX,size=N",
              help="A dataset referenced by URI, digest and size (never fetched).")
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The experiment's JSON or YAML config (secret values are redacted).")
@click.option("--metrics", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help='Metrics JSON: {"metrics": [{"name", "value", "split"}]} or {name: value}.')
@click.option("--artifact", "artifacts", multiple=True, type=_PATH,
              help="A result file (or folder) to embed: model, plot, table...")
@click.option("--notes", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A text or Markdown file of notes.")
@click.option("--seed", "seeds", multiple=True, metavar="NAME=INT",
              help="A random seed used (default: seed/seeds/random_state in the config).")
@click.option("--title", help="A title for the export.")
@click.option("--format", "fmt", type=click.Choice(["dir", "tar", "tar.gz", "zip"]),
              help="Container format. Default: taken from OUT's suffix, else a directory.")
@click.option("--jobs", "-j", default=1, show_default=True, type=click.IntRange(min=1),
              help="Files hashed in parallel.")
@click.option("--digest", "digests", multiple=True,
              type=click.Choice(["sha512", "blake2b"]), help="Extra digests besides sha256.")
@click.option("--untracked", is_flag=True, help="Include untracked, not ignored files of git.")
@click.option("--no-git", is_flag=True, help="Do not read git: snapshot the folder as is.")
@click.option("--allow-secrets", is_flag=True,
              help="Embed files even when they hold credentials (manifest values stay redacted).")
@click.option("--ro-crate", "ro_crate", is_flag=True,
              help="Also write ro-crate-metadata.json (RO-Crate 1.1, Process Run Crate 0.5).")
@click.option("--force", is_flag=True,
              help="Replace OUT if it is an earlier export or an empty folder (never else).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bars on stderr. Default: only on a terminal.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
def command(out: Path, code: Path | None, data: tuple[Path, ...], data_refs: tuple[str, ...],
            config: Path | None, metrics: Path | None, artifacts: tuple[Path, ...],
            notes: Path | None, seeds: tuple[str, ...], title: str | None, fmt: str | None,
            jobs: int, digests: tuple[str, ...], untracked: bool, no_git: bool,
            allow_secrets: bool, ro_crate: bool, force: bool, progress: bool | None,
            quiet: bool) -> None:
    """Pack an experiment into a REX export at OUT, deterministically and atomically.

    Identical inputs give a byte-identical OUT. Times come from SOURCE_DATE_EPOCH, else the
    code's commit time, else 1980-01-01. Inputs must be regular files or folders, not
    links. Exit codes: 0 written, 1 refused because a file holds a credential, 2 usage error
    or unusable input, 130 interrupted (nothing is left at OUT).
    """
    from rexport.pack.errors import PackError
    from rexport.pack.files import Request, pack

    request = Request(out=out, code=code, data=data, data_refs=data_refs, config=config,
                      metrics=metrics, artifacts=artifacts, notes=notes, seeds=_seed(seeds),
                      title=title, format=fmt, jobs=jobs, allow_secrets=allow_secrets,
                      include_untracked=untracked, git=not no_git, digests=digests,
                      overwrite=force, ro_crate=ro_crate,
                      progress=sys.stderr.isatty() if progress is None else progress)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        written = pack(request)
    except PackError as exc:
        click.echo(display(f"error: {exc}", None), err=True)
        sys.exit(exc.exit_code)
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        click.echo(display(f"error: cannot read or write{where}: {exc.strerror or exc}", None),
                   err=True)
        sys.exit(2)
    finally:
        signal.signal(signal.SIGTERM, previous)
    for warning in written.warnings:
        click.echo(display(f"warning: {warning}", None), err=True)
    if not quiet:
        click.echo(display(f"wrote {written.path} ({written.format}, "
                           f"{len(written.manifest['files']) + 1} files) "
                           f"{written.export_digest}", None))
