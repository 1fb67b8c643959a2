"""`rexport conformance`: run the conformance suite against a validator, or lint the suite."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import click

from rexport.conformance.archive import pack_suite, unpacked_suite
from rexport.conformance.lint import lint, spec_sections
from rexport.conformance.runner import (
    REFERENCE,
    command_validator,
    describe_failure,
    junit_xml,
    reference,
    result_document,
    run,
    summary_line,
)
from rexport.conformance.suite import SuiteError, find_suite, load_cases
from rexport.paths import display

_SUITE_HELP = ("The suite's root (the folder holding case.schema.json). Default: "
               "conformance-tests/ found upward from the working directory, or next to the "
               "package.")


@click.group("conformance", context_settings={"help_option_names": ["-h", "--help"]})
def command() -> None:
    """The REX conformance suite: run it against any validator, or lint it."""


@command.command("run")
@click.option("--validator", "template", metavar="'CMD {args} {path}'",
              help="Command to test; {path} becomes each case's export, {args} its options "
                   "(--strict, --max-files N, --max-bytes N). Default: the reference validator.")
@click.option("--suite", type=click.Path(file_okay=False, path_type=Path),
              envvar="REX_CONFORMANCE_SUITE", help=_SUITE_HELP)
@click.option("--suite-archive", type=click.Path(dir_okay=False, path_type=Path),
              help="Run the suite in this archive (made by `rexport conformance pack-suite`), "
                   "unpacked safely in a temporary folder.")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a JUnit XML report here.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the run's JSON result here (`rexport badge` reads it).")
@click.option("-k", "--select", "patterns", multiple=True, metavar="GLOB",
              help="Run only cases whose id (outcome-area-name) matches; repeatable.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Cases run at once.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=120.0, show_default=True,
              help="Seconds a validator may take on one case.")
@click.option("--exact/--contains", default=True, show_default=True,
              help="--exact: an error the case does not allow fails it (spec VAL-11); "
                   "--contains: only the expected findings must be present.")
@click.option("-v", "--verbose", is_flag=True, help="Also list the cases that passed.")
def run_command(template: str | None, suite: Path | None, suite_archive: Path | None,
                junit_path: Path | None, json_path: Path | None, patterns: tuple[str, ...],
                jobs: int, timeout: float, exact: bool, verbose: bool) -> None:
    """Run every case against a validator; print failures, then `N passed, M failed`.

    Exit codes: 0 every case passed, 1 a case failed, 2 usage error (no suite, bad command,
    an unusable suite archive).
    """
    if suite_archive is None:
        _run(template, suite, junit_path, json_path, patterns, jobs, timeout, exact, verbose)
        return
    if suite is not None:
        raise click.UsageError("give --suite or --suite-archive, not both")
    try:
        with unpacked_suite(suite_archive) as root:
            _run(template, root, junit_path, json_path, patterns, jobs, timeout, exact,
                 verbose)
    except SuiteError as exc:
        raise click.UsageError(str(exc)) from exc


def _run(template: str | None, suite: Path | None, junit_path: Path | None,
         json_path: Path | None, patterns: tuple[str, ...], jobs: int, timeout: float,
         exact: bool, verbose: bool) -> None:
    try:
        root = find_suite(suite)
        cases = [c for c in load_cases(root)
                 if not patterns or any(fnmatch.fnmatchcase(c.id, p) for p in patterns)]
        validator = (reference if template is None
                     else command_validator(template, timeout=timeout))
    except SuiteError as exc:
        raise click.UsageError(display(str(exc), None)) from exc
    if not cases:
        raise click.UsageError(f"no cases selected in {root}")
    outcomes = run(cases, validator, jobs=jobs, exact=exact)
    for outcome in outcomes:
        if not outcome.passed:
            click.echo(describe_failure(outcome, root))
        elif verbose:
            click.echo(f"ok   {display(outcome.case.id)}")
    if junit_path is not None:
        junit_path.write_bytes(junit_xml(outcomes))
    if json_path is not None:
        document = result_document(outcomes, suite=root, validator=template or REFERENCE)
        json_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    click.echo(summary_line(outcomes))
    if not all(o.passed for o in outcomes):
        raise SystemExit(1)


@command.command("pack-suite")
@click.option("--suite", type=click.Path(file_okay=False, path_type=Path),
              envvar="REX_CONFORMANCE_SUITE", help=_SUITE_HELP)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("rex-conformance-suite.tar.gz"), show_default=True,
              help="The archive to write.")
def pack_suite_command(suite: Path | None, output: Path) -> None:
    """Write the suite as one deterministic .tar.gz, for `conformance run --suite-archive`.

    Identical suites give byte-identical archives. Exit codes: 0 written, 2 usage error.
    """
    try:
        root = find_suite(suite)
        count = pack_suite(root, output)
    except SuiteError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"{output}: {count} files of {root}")


@command.command("lint")
@click.option("--suite", type=click.Path(file_okay=False, path_type=Path),
              envvar="REX_CONFORMANCE_SUITE", help=_SUITE_HELP)
@click.option("--spec", "spec_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The spec's pages (spec/v1), to check that cases cite existing section ids. "
                   "Default: spec/v1 next to the suite, when there is one.")
def lint_command(suite: Path | None, spec_dir: Path | None) -> None:
    """Check the suite itself: case files valid, descriptions unique, codes in the catalogue.

    Exit codes: 0 clean, 1 problems found (one per line), 2 usage error.
    """
    try:
        root = find_suite(suite)
    except SuiteError as exc:
        raise click.UsageError(display(str(exc), None)) from exc
    if spec_dir is None and (root.parent / "spec" / "v1").is_dir():
        spec_dir = root.parent / "spec" / "v1"
    problems = lint(root, sections=spec_sections(spec_dir) if spec_dir else None)
    for problem in problems:
        click.echo(display(problem, None))
    count = len(list(root.glob("v*/*/*/*/expected.json")))
    click.echo(f"{count} cases, {len(problems)} problems")
    if problems:
        raise SystemExit(1)
