"""The options `rexport pack` and `rexport run` share, and the Request they make with the
project file (rex.yaml or [tool.rexport]): the options win over the file."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import click

from rexport.pack.errors import PackError
from rexport.paths import display

F = TypeVar("F", bound=Callable[..., Any])
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)

_OPTIONS: list[Callable[[Any], Any]] = [
    click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path),
                 help="Where to write: a directory, or a .tar, .tar.gz/.tgz or .zip file."),
    click.option("--code", type=click.Path(exists=True, file_okay=False, path_type=Path),
                 help="The code directory: its git-tracked files, or all its files outside git."),
    click.option("--data", multiple=True, metavar="[ID=]PATH",
                 help="A dataset file or folder to embed (its id: ID, else its name)."),
    click.option("--data-ref", "data_refs", multiple=True, metavar="URI=sha256:HEX,size=N",
                 help="A dataset referenced by URI, digest and size (never fetched)."),
    click.option("--dataset-license", multiple=True, metavar="ID=SPDX",
                 help="A dataset's licence, an SPDX expression (default NOASSERTION)."),
    click.option("--dataset-access", multiple=True, metavar="ID=LEVEL",
                 help="Who may see a dataset: public, internal (default), restricted, "
                      "confidential."),
    click.option("--dataset-identifier", multiple=True, metavar="ID=SCHEME:VALUE",
                 help="A dataset's persistent identifier, as doi:10.24432/C56C76."),
    click.option("--split", "splits", multiple=True, metavar="NAME=DATASET:PATH",
                 help="A split of a dataset and the file listing its members (row numbers)."),
    click.option("--config", type=_FILE,
                 help="The experiment's JSON or YAML config (secret values are redacted)."),
    click.option("--metrics", type=click.Path(dir_okay=False, path_type=Path),
                 help='Metrics file, JSON or YAML: {"metrics": [{"name", "value", "split"}]} '
                      "or {name: value}."),
    click.option("--artifact", "artifacts", multiple=True, type=click.Path(path_type=Path),
                 help="A result file (or folder) to embed: model, plot, table..."),
    click.option("--notes", type=_FILE, help="A text or Markdown file of notes."),
    click.option("--seed", "seeds", multiple=True, metavar="NAME=INT",
                 help="A random seed used (default: seed/seeds/random_state in the config)."),
    click.option("--title", help="A title for the export."),
    click.option("--license", help="The export's licence, an SPDX expression."),
    click.option("--creator", "creators", multiple=True, help="Who made it (repeatable)."),
    click.option("--entry-point", "entry_points", multiple=True, metavar="NAME=PATH[:SYMBOL]",
                 help="Where to start: a file of the code (and the function in it)."),
    click.option("--container", metavar="IMAGE@sha256:HEX",
                 help="The container image the run used, by digest."),
    click.option("--replay-workdir", type=click.Path(file_okay=False, path_type=Path),
                 help="Where the replay command runs (default: the code directory)."),
    click.option("--replay-metrics-file", type=click.Path(path_type=Path),
                 help="Where the command writes its metrics (default: --metrics)."),
    click.option("--replay-timeout", type=click.FloatRange(min=0, min_open=True), metavar="S",
                 help="Seconds a replay may run."),
    click.option("--tolerance", "tolerances", multiple=True, metavar="NAME=abs:X|rel:Y",
                 help="A metric's replay tolerance (abs:X,rel:Y for both). Default: "
                      "abs:1e-8,rel:1e-5."),
    click.option("--hashes", is_flag=True, default=None,
                 help="Record the sha256 of each pinned package's wheel (pip download)."),
    click.option("--project-file", type=_FILE,
                 help="The settings file. Default: rex.yaml, else [tool.rexport] of "
                      "pyproject.toml, in the code directory."),
    click.option("--no-project-file", is_flag=True, help="Read no settings file."),
    click.option("--format", "fmt", type=click.Choice(["dir", "tar", "tar.gz", "zip"]),
                 help="Container format. Default: taken from OUT's suffix, else a directory."),
    click.option("--jobs", "-j", default=None, type=click.IntRange(min=1),
                 help="Files hashed in parallel. Default: the processors this process may use."),
    click.option("--digest", "digests", multiple=True, type=click.Choice(["sha512", "blake2b"]),
                 help="Extra digests besides sha256."),
    click.option("--untracked", is_flag=True, default=None,
                 help="Include untracked, not ignored files of git."),
    click.option("--no-git", is_flag=True, help="Do not read git: snapshot the folder as is."),
    click.option("--allow-secrets", is_flag=True,
                 help="Embed files even when they hold credentials (manifest values stay "
                      "redacted)."),
    click.option("--ro-crate", "ro_crate", is_flag=True,
                 help="Also write ro-crate-metadata.json (RO-Crate 1.1, Process Run Crate 0.5)."),
    click.option("--force", is_flag=True,
                 help="Replace OUT if it is an earlier export or an empty folder (never else)."),
    click.option("--progress/--no-progress", default=None,
                 help="Progress bars on stderr. Default: only on a terminal."),
    click.option("-q", "--quiet", is_flag=True,
                 help="Print nothing on success but warnings of what went wrong."),
]


def pack_options(func: F) -> F:
    """Add the shared options to a click command (in the order of --help)."""
    for option in reversed(_OPTIONS):
        func = option(func)
    return func


def terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM as SystemExit, so that partial output is removed on the way out."""
    raise SystemExit(128 + signum)


def fail(exc: BaseException) -> None:
    """Print why the pack failed and exit with its code (2 unless a credential stopped it)."""
    if isinstance(exc, PackError):
        click.echo(display(f"error: {exc}", None), err=True)
        sys.exit(exc.exit_code)
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        click.echo(display(f"error: cannot read or write{where}: {exc.strerror or exc}", None),
                   err=True)
        sys.exit(2)
    raise exc


def run_guarded(action: Callable[[], Any]) -> Any:
    """Run ``action`` with SIGTERM turned into an exit, a PackError or OSError into a message
    and exit code; an interrupt reaches the command line's handler (exit 130), the writer
    having left nothing partial."""
    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        return action()
    except (PackError, OSError) as exc:
        fail(exc)
    finally:
        signal.signal(signal.SIGTERM, previous)


def report(written: Any, quiet: bool) -> None:
    """Say what was written, then (unless ``quiet``) what a reviewer will miss, each with the
    option that adds it."""
    from rexport.pack.review import missing

    for warning in written.warnings:
        click.echo(display(f"warning: {warning}", None), err=True)
    if quiet:
        return
    click.echo(display(f"wrote {written.path} ({written.format}, "
                       f"{len(written.manifest['files']) + 1} files) {written.export_digest}",
                       None))
    for advice in [*written.advice, *missing(written.manifest, written.path)]:
        click.echo(display(f"warning: {advice}", None), err=True)


def _given(options: dict[str, Any]) -> dict[str, Any]:
    """The Request fields the options set (those left at their default set none)."""
    from rexport.pack import specs
    from rexport.pack.request import DatasetSpec, ReplaySpec

    out: dict[str, Any] = {}
    for name in ("code", "config", "metrics", "notes", "title", "license", "container"):
        if options.get(name) is not None:
            out[name] = options[name]
    if options.get("container"):
        specs.container(options["container"])
    for name in ("artifacts", "data_refs", "creators"):
        if options.get(name):
            out[name] = list(options[name])
    if options.get("hashes"):
        out["hashes"] = True
    if options.get("untracked"):
        out["include_untracked"] = True
    datasets = []
    for text in options.get("data", ()):
        ident, sep, path = text.partition("=")
        named = sep and specs.valid_identifier(ident) and not Path(text).exists()
        datasets.append(DatasetSpec(id=ident, path=Path(path)) if named
                        else DatasetSpec(path=Path(text)))
    if datasets:
        out["datasets"] = datasets
    meta: dict[str, dict[str, Any]] = {}
    for option, key in (("dataset_license", "license"), ("dataset_access", "access")):
        for text in options.get(option, ()):
            ident, value = specs.keyed(text, "--" + option.replace("_", "-"))
            meta.setdefault(ident, {})[key] = value
    for text in options.get("dataset_identifier", ()):
        ident, value = specs.keyed(text, "--dataset-identifier")
        scheme, value = specs.scheme_value(value, "--dataset-identifier")
        meta.setdefault(ident, {}).setdefault("identifiers", {})[scheme] = value
    if meta:
        out["dataset_meta"] = meta
    if options.get("seeds"):
        out["seeds"] = dict(specs.seed(text) for text in options["seeds"])
    if options.get("splits"):
        out["splits"] = [{**s, "path": Path(s["path"])}
                         for s in map(specs.split, options["splits"])]
    if options.get("entry_points"):
        out["entry_points"] = [{**e, "path": Path(e["path"])}
                               for e in map(specs.entry_point, options["entry_points"])]
    replay = ReplaySpec(
        command=specs.command(options["replay_command"], "--replay-command")
        if options.get("replay_command") else None,
        working_directory=options.get("replay_workdir"),
        metrics_file=options.get("replay_metrics_file"), timeout=options.get("replay_timeout"),
        tolerances={name: specs.tolerance(value, f"--tolerance {name}") for name, value in
                    map(lambda t: specs.keyed(t, "--tolerance"), options.get("tolerances", ()))})
    if replay != ReplaySpec():
        out["replay"] = replay
    return out


def build_request(options: dict[str, Any]) -> Any:
    """The Request of the options and the project file (rex.yaml or [tool.rexport] in the code
    directory, or --project-file); PackError when either is unusable."""
    from rexport.pack import project
    from rexport.pack.request import Request, merge

    given = _given(options)
    settings: dict[str, Any] = {}
    if not options.get("no_project_file"):
        explicit = options.get("project_file")
        if explicit is not None:
            document = project.load(explicit)
            found = (explicit, document) if document is not None else None
        else:
            found = project.find(options.get("code") or Path.cwd())
        if found is not None:
            settings = project.settings(*found)
    progress = options.get("progress")
    base = Request(out=options["out"], format=options.get("fmt"), jobs=options.get("jobs"),
                   allow_secrets=options.get("allow_secrets", False),
                   git=not options.get("no_git", False),
                   digests=options.get("digests", ()),
                   overwrite=options.get("force", False), ro_crate=options.get("ro_crate", False),
                   progress=sys.stderr.isatty() if progress is None else progress)
    return merge(base, settings, given)
