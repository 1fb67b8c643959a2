"""`rexport import mlflow|dvc|sacred|wandb`: make an export from a run a tracker recorded."""

from __future__ import annotations

import json
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rexport.importers.base import Recorded

# a reader takes the list its warnings go to and a scratch folder that lives until the export
# is written (for files a tracker's client downloads)
Reader = Callable[[list[str], Path], "Recorded"]


def _terminate(signum: int, frame: FrameType | None) -> None:
    # SIGTERM becomes SystemExit so that the packer removes its partial output on the way out
    raise SystemExit(128 + signum)


def _common(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path),
                     help="Where to write: a directory, or a .tar, .tar.gz/.tgz or .zip file."),
        click.option("--repo", type=click.Path(exists=True, file_okay=False, path_type=Path),
                     help="A clone holding the run's commit (default: looked for near the run)."),
        click.option("--format", "fmt", type=click.Choice(["dir", "tar", "tar.gz", "zip"]),
                     help="Container format. Default: taken from OUT's suffix, else a folder."),
        click.option("--skip-links", is_flag=True,
                     help="Leave out links and special files found in the run's folders "
                          "(with a warning) instead of refusing the run."),
        click.option("--allow-secrets", is_flag=True,
                     help="Embed files even when they hold credentials."),
        click.option("--force", is_flag=True, help="Replace OUT if it exists."),
        click.option("--output-format", "report", type=click.Choice(["text", "json"]),
                     default="text", show_default=True, help="How to report on stdout."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _emit(report: str, result: dict[str, Any], warnings: list[str]) -> None:
    if report == "json":
        click.echo(json.dumps(result, indent=2, sort_keys=True))
        return
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    if result["status"] == "written":
        click.echo(f"wrote {result['path']} ({result['format']}, {result['files']} files) "
                   f"{result['export_digest']}; validate --strict: {result['validation']}")
    else:
        click.echo(f"error: {result['error']}", err=True)


def run_import(tool: str, read: Reader, out: Path, *, fmt: str | None, force: bool,
               allow_secrets: bool, report: str) -> None:
    """Read a run with ``read``, write it to ``out``, validate it, report; exits the process.

    Exit codes: 0 written and valid under --strict, 1 written but the validator objects (or a
    file holds a credential), 2 the run cannot be read or imported as it is, 130 interrupted.
    """
    from rexport.importers.base import write
    from rexport.pack.errors import PackError

    warnings: list[str] = []
    result: dict[str, Any] = {"tool": tool, "output": str(out), "warnings": warnings}
    previous = signal.signal(signal.SIGTERM, _terminate)
    code = 0
    try:
        with tempfile.TemporaryDirectory(prefix="rexport-import-") as scratch:
            written = write(read(warnings, Path(scratch)), out, fmt=fmt, overwrite=force,
                            allow_secrets=allow_secrets)
    except PackError as exc:
        result.update(status="error", error=str(exc))
        code = exc.exit_code
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        result.update(status="error", error=f"cannot read or write{where}: "
                                            f"{exc.strerror or exc}")
        code = 2
    except KeyboardInterrupt:
        click.echo("interrupted: nothing was written", err=True)
        sys.exit(130)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if code == 0:
        from rexport.validation import validate

        checked = validate(written.path, strict=True)
        warnings[:] = list(dict.fromkeys(written.warnings))
        result.update(status="written", path=str(written.path), format=written.format,
                      export_digest=written.export_digest, files=len(written.manifest["files"]),
                      producer=written.manifest["producer"],
                      validation="valid" if checked.exit_code == 0 else "invalid",
                      findings=[f.to_json() for f in checked.findings])
        code = 0 if checked.exit_code == 0 else 1
    _emit(report, result, warnings)
    sys.exit(code)


@click.group("import")
def command() -> None:
    """Make a REX export from a run an experiment tracker recorded, without running it again.

    Each importer maps what the tracker recorded, says what it could not give (warnings, each
    with what to do) and validates the export it wrote. See docs/importing.md.
    """


@command.command("mlflow")
@click.argument("run")
@click.option("--tracking-uri", help="The store: a folder or file: URI (default ./mlruns), or "
                                     "http://HOST:PORT / sqlite:///FILE (needs rexport[mlflow]).")
@_common
def mlflow_command(run: str, tracking_uri: str | None, out: Path, repo: Path | None,
                   fmt: str | None, skip_links: bool, allow_secrets: bool, force: bool,
                   report: str) -> None:
    """Import the MLflow run RUN: a run's folder (mlruns/EXP/RUN) or a run id."""
    from rexport.importers import mlflow

    def read(warnings: list[str], scratch: Path) -> Recorded:
        if mlflow.needs_client(tracking_uri):
            from rexport.importers import mlflow_server

            found = mlflow_server.read_run(run, tracking_uri or "", skip_links=skip_links,
                                           warnings=warnings, scratch=scratch)
        else:
            found = mlflow.read_file_store(run, tracking_uri, skip_links=skip_links,
                                           warnings=warnings)
        return mlflow.to_recorded(found, repo=repo, warnings=warnings)

    run_import("mlflow", read, out, fmt=fmt, force=force, allow_secrets=allow_secrets,
               report=report)


@command.command("dvc")
@click.argument("project", default=".", type=click.Path(exists=True, file_okay=False,
                                                        path_type=Path))
@click.option("--exp", "experiment", metavar="NAME",
              help="An experiment (`dvc exp list`) instead of the workspace's last run.")
@_common
def dvc_command(project: Path, experiment: str | None, out: Path, repo: Path | None,
                fmt: str | None, skip_links: bool, allow_secrets: bool, force: bool,
                report: str) -> None:
    """Import the DVC pipeline of PROJECT (default: here): dvc.yaml, dvc.lock, params, metrics."""
    from rexport.importers import dvc

    if repo is not None:
        raise click.UsageError("--repo does not apply to dvc: PROJECT is in the repository")

    def read(warnings: list[str], scratch: Path) -> Recorded:
        return dvc.read(project, experiment, skip_links=skip_links, warnings=warnings)

    run_import("dvc", read, out, fmt=fmt, force=force, allow_secrets=allow_secrets,
               report=report)


@command.command("sacred")
@click.argument("run_dir", type=click.Path(path_type=Path))
@_common
def sacred_command(run_dir: Path, out: Path, repo: Path | None, fmt: str | None,
                   skip_links: bool, allow_secrets: bool, force: bool, report: str) -> None:
    """Import a Sacred run: RUN_DIR is a FileStorageObserver run folder (BASEDIR/ID)."""
    from rexport.importers import sacred

    def read(warnings: list[str], scratch: Path) -> Recorded:
        return sacred.read(run_dir, repo=repo, skip_links=skip_links, warnings=warnings)

    run_import("sacred", read, out, fmt=fmt, force=force, allow_secrets=allow_secrets,
               report=report)


@command.command("wandb")
@click.argument("run_dir", type=click.Path(path_type=Path))
@_common
def wandb_command(run_dir: Path, out: Path, repo: Path | None, fmt: str | None,
                  skip_links: bool, allow_secrets: bool, force: bool, report: str) -> None:
    """Import a W&B offline run: RUN_DIR is wandb/offline-run-DATE-ID (or run-DATE-ID)."""
    from rexport.importers import wandb

    def read(warnings: list[str], scratch: Path) -> Recorded:
        return wandb.read(run_dir, repo=repo, skip_links=skip_links, warnings=warnings)

    run_import("wandb", read, out, fmt=fmt, force=force, allow_secrets=allow_secrets,
               report=report)
