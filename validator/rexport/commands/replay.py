"""`rexport replay`: run an export's declared replay and say whether its metrics come back."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from rexport.paths import display
from rexport.replay.session import (
    Options,
    ReplayReport,
    ReplayStop,
    execute,
    prepare,
    refused,
)

_DRIFT_LINES = 20
_FINDING_LINES = 10
_LINE_CAP = 1000
_CACHE = {"hit": "reused from the cache (cache hit)",
          "miss": "built and kept in the cache (cache miss)",
          "off": "built in the work folder (--no-cache)"}


def _value(value: Any) -> str:
    return "-" if value is None else json.dumps(value) if not isinstance(value, str) else value


def render_text(report: ReplayReport) -> str:
    """The replay report for a person: verdict, metrics, drift, time, output tail."""
    lines = [f"replay: {report.status} (exit {report.exit_code}): {report.reason}"]
    for f in report.findings[:_FINDING_LINES]:
        where = " ".join(str(f[k]) for k in ("file", "pointer") if f.get(k))
        lines.append(f"  {f.get('code') or 'error'} {where} {f.get('message', '')}".rstrip())
    if len(report.findings) > _FINDING_LINES:
        lines.append(f"  ... {len(report.findings) - _FINDING_LINES} more (rexport validate)")
    if report.outcomes:
        lines.append("metrics:")
        for o in report.outcomes:
            data = o.to_json()
            tol = ", ".join(f"{k} {v:g}" for k, v in data["tolerance"].items()) or "exact"
            delta = "" if data["delta"] is None else f", delta {data['delta']:+.6g}"
            lines.append(f"  {'PASS' if o.passed else 'FAIL'} {o.check.label}: expected "
                         f"{_value(o.check.expected)}, got {_value(o.got)}{delta}"
                         f" (tolerance: {tol})")
    if report.drift:
        lines.append("environment drift (recorded -> replay):")
        for d in report.drift[:_DRIFT_LINES]:
            lines.append(f"  {d.what}: {_value(d.a)} -> {_value(d.b)}")
        if len(report.drift) > _DRIFT_LINES:
            lines.append(f"  ... {len(report.drift) - _DRIFT_LINES} more (-o json lists all)")
    if report.environment_cache is not None:
        lines.append(f"environment: {_CACHE[report.environment_cache]}")
    if report.seconds is not None:
        lines.append(f"wall time: {report.seconds:.2f} s (replay in all, with unpacking and "
                     f"the environment: {report.total_seconds or 0:.1f} s)")
    if report.tail:
        lines.append(f"output (last {len(report.tail)} lines):")
        lines += [f"  | {line}" for line in report.tail]
    lines += [f"note: {note}" for note in report.notes]
    if report.workdir:
        lines.append(f"work folder kept: {report.workdir}")
    # names, values and output come from the export: no control character reaches the terminal
    return "\n".join(display(line, _LINE_CAP) for line in lines)


def interactive() -> bool:
    """True when someone can answer the confirmation prompt."""
    return sys.stdin.isatty()


def _emit(report: ReplayReport, output_format: str) -> None:
    if output_format == "json":
        click.echo(json.dumps(report.to_json(), indent=2, sort_keys=True))
    else:
        click.echo(render_text(report))


@click.command("replay")
@click.argument("export", type=click.Path(path_type=str))
@click.option("--workdir", type=click.Path(path_type=Path, file_okay=False),
              help="New or empty folder to work in (kept). Default: a temporary one, removed.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="S",
              help="Seconds before the command is killed. Default: replay.timeout_seconds.")
@click.option("--python", "python", metavar="PY",
              help="Interpreter that builds the virtual environment. Default: this one.")
@click.option("--reuse-site-packages", is_flag=True,
              help="Let the venv see PY's installed packages (faster, no longer isolated).")
@click.option("--allow-export-index", is_flag=True,
              help="Let the lockfile choose where pip downloads from (--index-url, "
                   "--extra-index-url, --find-links, --trusted-host, NAME @ URL).")
@click.option("--pip-env", is_flag=True,
              help="Give the installer your own settings: PIP_* and UV_* variables, pip "
                   "and uv config files, proxy variables and netrc. Default: none of them.")
@click.option("--keep", is_flag=True, help="Keep the temporary work folder.")
@click.option("--no-cache", is_flag=True,
              help="Build the environment afresh, neither reusing nor keeping a cached one.")
@click.option("--installer", type=click.Choice(["auto", "uv", "pip"]), default="auto",
              show_default=True, help="What installs the lockfile: auto is uv when installed.")
@click.option("--yes", "-y", is_flag=True, help="Run without asking for confirmation.")
@click.option("-o", "--output-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def command(export: str, workdir: Path | None, timeout: float | None, python: str | None,
            reuse_site_packages: bool, allow_export_index: bool, pip_env: bool, keep: bool,
            no_cache: bool, installer: str, yes: bool, output_format: str) -> None:
    """Replay EXPORT and compare its metrics with the recorded ones.

    Validates EXPORT (an invalid one is refused and nothing runs), unpacks its
    indexed files into a fresh folder (every digest checked), builds an isolated
    virtual environment from its pip-requirements lockfile (hashes enforced when
    present; with uv when it is installed, else pip), runs replay.command (no
    shell) in replay.working_directory with a timeout, then reads
    replay.metrics_file, JSON or YAML: {"metrics": [{"name", "value", "split"}]}
    or {"name": value}. The command and everything it started are ended when it
    ends or times out.

    \b
    Environments are kept in $XDG_CACHE_HOME/rexport/envs (else ~/.cache/rexport),
    by the lockfiles' checked lines and the interpreter: a second replay reuses one
    after checking that nothing in it changed, and one the command changed is
    removed.

    \b
    The lockfile is read as pip reads it (continued lines joined, comments
    removed) and may hold only pinned requirements, --hash and harmless options;
    ${VAR}, -r, -c, -e, paths and URLs are refused, and so are index options
    unless --allow-export-index. pip (or uv) runs with none of your PIP_* or UV_*
    variables, config files, proxy variables or netrc unless --pip-env; it keeps
    PATH and the certificate variables (SSL_CERT_FILE, REQUESTS_CA_BUNDLE, ...).

    \b
    The command sees only these variables: PATH (the venv first), HOME and TMPDIR
    (fresh folders), LANG=C.UTF-8, VIRTUAL_ENV, PYTHONHASHSEED=0,
    REX_SEED_<NAME> for each seed of config.seeds (NAME upper-cased, other
    characters made _), REX_SEEDS (all seeds as JSON), then replay.environment,
    which wins over all of them.

    \b
    A metric passes when |got - expected| <= absolute, or <= relative * |expected|
    (either bound given suffices; with no tolerance the values must be equal).

    \b
    Exit codes: 0 reproduced, 1 not reproduced (the metric is named),
    2 could not run (invalid export, install failure, command failed or timed out).
    This is the only rexport command that runs code from an export: it shows what
    will run and asks first unless --yes (with no terminal to ask, it refuses).
    """
    options = Options(workdir=workdir, timeout=timeout, python=python,
                      reuse_site_packages=reuse_site_packages, keep=keep, cache=not no_cache,
                      installer=installer, allow_export_index=allow_export_index,
                      pip_env=pip_env)
    try:
        plan = prepare(export, options)
    except ReplayStop as stop:
        _emit(refused(export, stop), output_format)
        sys.exit(2)
    to_stderr = output_format == "json"  # keep stdout a single JSON document
    click.echo("\n".join(display(line, _LINE_CAP) for line in plan.describe()), err=to_stderr)
    if not yes:
        if not interactive():
            # no one to ask: refusing beats hanging on a prompt in a pipeline
            no_tty = ReplayStop("plan", "not confirmed: no terminal to ask; pass --yes to run")
            _emit(refused(export, no_tty), output_format)
            sys.exit(2)
        if not click.confirm("Run this export's code on this machine?", default=False,
                             err=to_stderr):
            _emit(refused(export, ReplayStop("plan", "not confirmed: nothing was run")),
                  output_format)
            sys.exit(2)
    report = execute(plan, options)
    _emit(report, output_format)
    sys.exit(report.exit_code)
