"""The text report for people: findings grouped by file, one summary line per export."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from itertools import groupby

from rexport.findings import Finding, Severity
from rexport.paths import display
from rexport.report import Report

_shown = partial(display, limit=None)  # whole messages, only escaped

_COLOURS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}
_BOLD, _DIM, _GREEN, _RED = "1", "2", "32", "31"

Paint = Callable[[str, str], str]


def render(reports: Sequence[Report], *, color: bool = False, verbosity: int = 0) -> str:
    """Render reports as text.

    ``verbosity`` below 0 is ``-q``: the first error or warning and a count (nothing when
    there is none), and nothing at all from -2 down; above 0 (``-v``) adds hints, schema pointers
    and spec sections.
    """
    paint = _painter(color)
    lines: list[str] = []
    for report in reports:
        if verbosity < 0:
            lines.extend(_quiet(report, paint) if verbosity == -1 else [])
            continue
        lines.extend(_full(report, paint, verbose=verbosity > 0))
    return "".join(line + "\n" for line in lines)


def _painter(color: bool) -> Paint:
    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    return paint


def _where(finding: Finding) -> str:
    # the pointer names the member; a line alone is for findings without one (parse errors)
    if finding.pointer:
        return _shown(finding.pointer)
    return _line_column(finding) or "(file)"


def _line_column(finding: Finding) -> str:
    if finding.line is None:
        return ""
    return f"{finding.line}" + (f":{finding.column}" if finding.column is not None else "")


def _line(finding: Finding, paint: Paint) -> str:
    severity = paint(f"{finding.severity.value:<7}", _COLOURS[finding.severity])
    return f"{_where(finding)}: {severity} {paint(finding.code, _BOLD)} {_shown(finding.message)}"


def _full(report: Report, paint: Paint, *, verbose: bool) -> list[str]:
    lines: list[str] = []
    for file, group in groupby(report.findings, key=lambda f: f.file):
        lines.append(f"  {paint(_shown(file) or '(export)', _BOLD)}")
        for finding in group:
            lines.append(f"    {_line(finding, paint)}")
            if verbose:
                lines.extend(f"        {paint(extra, _DIM)}" for extra in _details(finding))
    header = [paint(_shown(report.path), _BOLD)] if lines else []
    return [*header, *lines, _summary(report, paint, verbose=verbose)]


def _details(finding: Finding) -> list[str]:
    out = []
    if finding.hint:
        out.append(f"hint: {_shown(finding.hint)}")
    if finding.schema_pointer:
        out.append(f"schema: {_shown(finding.schema_pointer)}")
    if finding.pointer and finding.line is not None:
        out.append(f"line: {_line_column(finding)}")
    out.append(f"spec: {finding.section}")
    return out


def _counts(report: Report) -> str:
    parts = []
    for severity, name in ((Severity.ERROR, "error"), (Severity.WARNING, "warning"),
                           (Severity.INFO, "info")):
        n = sum(1 for f in report.findings if f.severity is severity)
        if n or severity is not Severity.INFO:
            parts.append(f"{n} {name}{'s' if n != 1 and severity is not Severity.INFO else ''}")
    return ", ".join(parts)


def _summary(report: Report, paint: Paint, *, verbose: bool) -> str:
    if report.unreadable:
        verdict = paint("unreadable", _RED)
    elif report.valid and report.skipped:
        # a partial check never calls the export valid (VAL-05)
        verdict = paint("no problem in the checks selected", _GREEN) \
            + f"; not checked: {', '.join(report.skipped)}"
    elif report.valid:
        verdict = paint("valid", _GREEN)
    else:
        verdict = paint("invalid", _RED)
    strict = " under --strict" if report.strict and report.warnings and not report.errors \
        else ""
    checked = ""
    if report.container not in (None, "manifest"):
        files = report.files_checked
        checked = f"; {files} file{'' if files == 1 else 's'}, {_size(report.bytes_checked)} " \
            "checked"
    if verbose and report.export_digest:
        checked += f"; export digest {report.export_digest}"
    return f"{_shown(report.path)}: {verdict}{strict} ({_counts(report)}){checked}"


def _quiet(report: Report, paint: Paint) -> list[str]:
    # info findings never change the verdict: quiet mode leaves them out
    shown = [f for f in report.findings if f.severity is not Severity.INFO]
    if not shown:
        return []
    first = shown[0]
    more = len(shown) - 1
    tail = f" (+{more} more: {_counts(report)})" if more else ""
    return [f"{_shown(report.path)}: {_shown(first.file)}: {_line(first, paint)}{tail}"]


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # not reached
