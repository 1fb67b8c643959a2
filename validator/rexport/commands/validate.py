"""`rexport validate PATH...`: check exports and report in text, json, sarif or junit."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import click

from rexport.commands import write_output
from rexport.limits import MAX_BYTES, MAX_FILES

if TYPE_CHECKING:
    from rexport.report import Report

FORMATS = ("text", "json", "sarif", "junit")


def use_color(choice: str, stream: Any) -> bool:
    """--color: always/never, or auto: on a terminal unless NO_COLOR is set (no-color.org)."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def run(paths: tuple[str, ...], **options: Any) -> list[Report]:
    """Validate each path with the options of rexport.validate; return the reports in order.

    A BagIt bag around an export is checked as a bag, then its data/ as the export (VAL-09).
    """
    from rexport.extended import validate_all
    from rexport.interop.bagcheck import is_bag, validate_bag
    from rexport.validation import validate

    def one(path: str, **chosen: Any) -> Report:
        return validate_bag(path, **chosen) if is_bag(path) else validate(path, **chosen)

    return validate_all(paths, one, **options)


def exit_code(reports: list[Report]) -> int:
    """The worst exit code over all reports: 2 unreadable, 1 invalid, 0 valid."""
    return max((r.exit_code for r in reports), default=0)


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("-o", "--output-format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Report format.")
@click.option("--output", "output", type=click.Path(dir_okay=False, writable=True),
              default=None, help="Write the report to this file instead of stdout.")
@click.option("--strict", is_flag=True,
              help="Warnings make an export invalid; unknown fields are reported.")
@click.option("--select", multiple=True, metavar="CODE",
              help="Report only these codes, prefixes (REX-I10) or families (integrity).")
@click.option("--ignore", multiple=True, metavar="CODE",
              help="Do not report these codes, prefixes or families.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Files hashed in parallel. Default: the processors this process may use "
                   "(CPU affinity and cgroup quota); 1 reads one file at a time.")
@click.option("--max-files", type=click.IntRange(min=1), default=MAX_FILES, show_default=True,
              help="Refuse exports with more entries than this.")
@click.option("--max-bytes", type=click.IntRange(min=1), default=MAX_BYTES, show_default=True,
              help="Refuse exports larger than this many bytes.")
@click.option("--storage-option", "storage_option", multiple=True, metavar="KEY=VALUE",
              help="An fsspec storage option for URLs (s3://, gs://, https://); VALUE is read "
                   "as JSON when it can be (anon=true). Repeatable.")
@click.option("--endpoint-url", default=None, metavar="URL",
              help="The endpoint of an S3-compatible store (a storage option).")
@click.option("--verify-remote", type=click.Choice(("none", "size", "metadata", "full")),
              default="none", show_default=True,
              help="Check the objects that dataset references and artifacts name: their size, "
                   "the provider's SHA-256 checksum, or their whole content. Only then does "
                   "the validator reach them.")
@click.option("--executor", default=None, metavar="local[:N]|dask://HOST:PORT",
              help="Hash files on N local worker processes or on a Dask cluster whose workers "
                   "read them too (shared paths or URLs).")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show a progress bar on a terminal while hashing a large export.")
@click.option("-q", "--quiet", count=True,
              help="Text: only the first finding and a count; -qq: nothing, exit code only.")
@click.option("-v", "--verbose", count=True, help="Text: add hints, schema pointers, sections.")
@click.option("--color", type=click.Choice(("auto", "always", "never")), default="auto",
              show_default=True, help="Colour the text report (NO_COLOR is honoured).")
@click.option("--sarif-base", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="SARIF: URIs relative to this folder (default: the working directory, "
                   "the repository's root in CI); exports outside it get absolute URIs.")
@click.option("--sarif-category", default=None, metavar="NAME",
              help="SARIF: the run's category (automationDetails), to tell uploads apart.")
@click.option("--sarif-spec-url", default=None, metavar="URL",
              help="SARIF: where the spec pages are, for the rules' help links "
                   "(default: the package's Specification URL).")
@click.pass_context
def command(ctx: click.Context, paths: tuple[str, ...], fmt: str, output: str | None,
            strict: bool, select: tuple[str, ...], ignore: tuple[str, ...], jobs: int | None,
            max_files: int, max_bytes: int, storage_option: tuple[str, ...],
            endpoint_url: str | None, verify_remote: str, executor: str | None,
            progress: bool, quiet: int, verbose: int, color: str, sarif_base: str | None,
            sarif_category: str | None, sarif_spec_url: str | None) -> None:
    """Validate REX exports: directories, .tar, .tar.gz/.tgz, .zip or a bare rex.json.

    A folder holding bagit.txt and no rex.json is read as a BagIt bag: its manifests are
    checked against the files, then data/ is validated as the export.

    A PATH may be a URL (s3://bucket/run.tar.gz, https://host/run.zip, gs://bucket/run/),
    read through fsspec: pip install 'rexport[s3]' (or [gcs], [remote] for https).

    Exit status: 0 valid (warnings allowed unless --strict), 1 invalid, 2 usage error or
    unreadable input; with several PATHs, the worst of them; 130 interrupted (no report).
    """
    try:
        _check_codes(select, "--select")
        _check_codes(ignore, "--ignore")
        options = _storage_options(storage_option, endpoint_url)
        _check_executor(executor)
        reports = run(paths, strict=strict, select=select, ignore=ignore, jobs=jobs,
                      max_files=max_files, max_bytes=max_bytes, progress=progress and not quiet,
                      storage_options=options, verify_remote=verify_remote, executor=executor)
        sarif = {"base": sarif_base, "category": sarif_category, "spec_url": sarif_spec_url}
        text = _render(fmt, reports, output=output, color=color, verbosity=verbose - quiet,
                       sarif=sarif)
        _emit(text, output)
    except click.ClickException:
        raise
    except Exception as exc:  # the last line of defence: a message and exit 2, no traceback
        from rexport.paths import display

        click.echo(display(f"rexport validate: internal error: {type(exc).__name__}: {exc}"),
                   err=True)
        ctx.exit(2)
    ctx.exit(exit_code(reports))


def _check_codes(values: tuple[str, ...], option: str) -> None:
    # checked before any export is read, so that a typo is a usage error (exit 2)
    # rather than a filter that silently keeps nothing
    from rexport.selection import code_filter

    try:
        code_filter(values, ())
    except ValueError as exc:
        raise click.BadOptionUsage(option, f"Invalid value for '{option}': {exc}") from None


def _storage_options(pairs: tuple[str, ...], endpoint_url: str | None) -> dict[str, Any]:
    from rexport.remote import parse_options

    try:
        return parse_options(pairs, endpoint_url)
    except ValueError as exc:
        raise click.BadOptionUsage("--storage-option", f"Invalid value for "
                                   f"'--storage-option': {exc}") from None


def _check_executor(executor: str | None) -> None:
    from rexport.executors import SPEC

    if executor is not None and not SPEC.match(executor.strip()):
        raise click.BadOptionUsage("--executor", f"Invalid value for '--executor': "
                                   f"{executor!r} is not local, local:N or dask://HOST:PORT")


def _render(fmt: str, reports: list[Report], *, output: str | None, color: str,
            verbosity: int, sarif: dict[str, str | None]) -> str:
    from rexport.reporters import render

    if fmt == "sarif":
        return render(fmt, reports, **sarif)
    if fmt != "text":
        return render(fmt, reports)
    colored = use_color(color, sys.stdout) if output is None else color == "always"
    return render("text", reports, color=colored, verbosity=verbosity)


def _emit(text: str, output: str | None) -> None:
    if output is not None:
        # whole or not at all: an interrupt or a full disk leaves no half report
        write_output(output, text.encode("utf-8", "backslashreplace"))
        return
    if not text:
        return
    stream = sys.stdout
    try:
        stream.write(text)
    except UnicodeEncodeError:
        # a terminal that cannot show every character still gets the whole report
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
    stream.flush()
