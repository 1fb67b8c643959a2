"""`rexport diff`: what differs between two exports, or between one and this machine."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from rexport.diff.compare import SECTIONS, Difference, diff_environment, diff_manifests
from rexport.paths import display
from rexport.sources import ManifestError, read_manifest

_MARK = {"added": "+", "removed": "-", "changed": "~"}
THIS_MACHINE = "(this machine)"


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def render_text(differences: list[Difference]) -> str:
    """Differences grouped by section, one line each: ``~ what: a -> b``."""
    if not differences:
        return "no differences"
    lines: list[str] = []
    for section in SECTIONS:
        found = [d for d in differences if d.section == section]
        if not found:
            continue
        lines.append(section)
        for d in found:
            if d.change == "added":
                text = _value(d.b)
            elif d.change == "removed":
                text = _value(d.a)
            else:
                text = f"{_value(d.a)} -> {_value(d.b)}"
                if d.delta is not None:
                    text += f" ({d.delta:+.6g})"
            lines.append(f"  {_MARK[d.change]} {d.what}: {text}")
    lines.append(f"{len(differences)} difference(s)")
    # labels and values come from the manifests: no control character reaches the terminal
    return "\n".join(display(line, 1000) for line in lines)


def render_json(a: str, b: str, differences: list[Difference]) -> str:
    counts = {s: sum(d.section == s for d in differences) for s in SECTIONS}
    return json.dumps({"a": a, "b": b, "identical": not differences, "sections": counts,
                       "differences": [d.to_json() for d in differences]},
                      indent=2, sort_keys=True)


def compare(a: str, b: str | None) -> list[Difference]:
    """The differences between exports ``a`` and ``b``, or ``a`` and this machine if b is None."""
    manifest_a, _ = read_manifest(a)
    if b is None:
        from rexport.pack.probe import probe

        here = probe()
        if not here:
            raise ManifestError("REX-U103", "could not describe this machine's environment")
        # what is installed here beyond the recorded packages rarely explains a difference
        return diff_environment(manifest_a, {"environment": here}, only_recorded=True,
                                extra_packages=False)
    manifest_b, _ = read_manifest(b)
    return diff_manifests(manifest_a, manifest_b)


@click.command("diff")
@click.argument("a", type=click.Path(path_type=str))
@click.argument("b", type=click.Path(path_type=str), required=False)
@click.option("--env", "against_env", is_flag=True,
              help="Compare A's recorded environment with this machine and interpreter "
                   "(only what A records; packages installed here beyond those are not listed).")
@click.option("-o", "--output-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def command(a: str, b: str | None, against_env: bool, output_format: str) -> None:
    """Show what differs between exports A and B (directories or archives), section by section.

    \b
    code:        commit, branch, tag, dirty, uncommitted diff, snapshot file digests
    data:        datasets and splits added, removed, or with changed digests
    environment: Python, OS, architecture, container, hardware, packages
    config:      every recorded value (hyperparameters, seeds, ...) by JSON pointer
    results:     metrics added, removed or changed, with the delta B - A

    Only manifests are read; creation time, producer and export digest are not compared.
    Exit codes: 0 no differences, 1 differences, 2 unreadable input or bad usage.
    """
    if (b is None) == (not against_env):
        raise click.UsageError("give either B or --env")
    try:
        differences = compare(a, b)
    except ManifestError as exc:
        click.echo(display(f"rexport diff: {exc.code}: {exc}", None), err=True)
        sys.exit(2)
    if output_format == "json":
        click.echo(render_json(a, b if b is not None else THIS_MACHINE, differences))
    else:
        click.echo(render_text(differences))
    sys.exit(1 if differences else 0)
