"""Conformance badges: a flat-style SVG and a shields.io endpoint document; deterministic bytes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from rexport.report import Report
from rexport.versions import SPEC_VERSION

# Advance widths (px at 11px) of printable ASCII, measured once from DejaVu Sans, the family's
# metric-compatible fallback; a fixed table keeps the bytes identical on every machine.
_WIDTHS: tuple[float, ...] = (
    3.5, 4.4, 5.1, 9.2, 7.0, 10.5, 8.6, 3.0, 4.3, 4.3, 5.5, 9.2, 3.5, 4.0, 3.5, 3.7,
    7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 3.7, 3.7, 9.2, 9.2, 9.2, 5.8,
    11.0, 7.5, 7.5, 7.7, 8.5, 7.0, 6.3, 8.5, 8.3, 3.2, 3.2, 7.2, 6.1, 9.5, 8.2, 8.7,
    6.6, 8.7, 7.6, 7.0, 6.7, 8.1, 7.5, 10.9, 7.5, 6.7, 7.5, 4.3, 3.7, 4.3, 9.2, 5.5,
    5.5, 6.7, 7.0, 6.0, 7.0, 6.8, 3.9, 7.0, 7.0, 3.1, 3.1, 6.4, 3.1, 10.7, 7.0, 6.7,
    7.0, 7.0, 4.5, 5.7, 4.3, 7.0, 6.5, 9.0, 6.5, 6.5, 5.8, 7.0, 3.7, 7.0, 9.2,
)
_WIDE = 11.0  # characters outside the table: never narrower than drawn, so text is not clipped

# shields.io named colours, so the SVG and the endpoint JSON show the same colour.
COLOURS: dict[str, str] = {
    "brightgreen": "#4c1",
    "yellow": "#dfb317",
    "red": "#e05d44",
    "lightgrey": "#9f9f9f",
}


@dataclass(frozen=True)
class Badge:
    """What a badge says: a label, a message and a shields.io colour name."""

    label: str
    message: str
    color: str

    def endpoint(self) -> dict[str, Any]:
        """The shields.io endpoint document (https://shields.io/badges/endpoint-badge)."""
        return {"schemaVersion": 1, "label": self.label, "message": self.message,
                "color": self.color}


def text_width(text: str) -> float:
    """The width in pixels of ``text`` at 11px, from the fixed table."""
    return sum(_WIDTHS[ord(c) - 32] if 32 <= ord(c) < 127 else _WIDE for c in text)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _label(version: str | None) -> str:
    parts = (version or "").split(".")
    ok = len(parts) == 2 and all(p.isdigit() for p in parts)
    return f"REX v{version if ok else SPEC_VERSION}"


def from_report(report: Report) -> Badge:
    """The badge for one validation report: conformant, conformant with warnings, or the errors."""
    label = _label(report.rex_version)
    if report.unreadable:
        return Badge(label, "unreadable", "lightgrey")
    if not report.valid:
        errors = len(report.errors)
        if errors == 0:  # --strict turned warnings into failures
            return Badge(label, _plural(len(report.warnings), "warning"), "red")
        return Badge(label, _plural(errors, "error"), "red")
    if report.warnings:
        return Badge(label, f"conformant, {_plural(len(report.warnings), 'warning')}", "yellow")
    return Badge(label, "conformant", "brightgreen")


def from_conformance_result(result: dict[str, Any]) -> Badge:
    """The badge for a conformance run's JSON result (``rexport conformance run --json``);
    raise ValueError when its counts are not non-negative integers."""
    label = _label(str(result.get("spec_version", "")))
    # a damaged count (negative, text, a float, Infinity) must not turn into a green badge
    passed, failed = _count(result, "passed"), _count(result, "failed")
    if passed + failed == 0:
        return Badge(label, "no cases run", "lightgrey")
    if failed:
        return Badge(label, f"{failed} of {passed + failed} cases failed", "red")
    return Badge(label, f"conformant ({passed} cases)", "brightgreen")


def _count(result: dict[str, Any], key: str) -> int:
    value = result.get(key)
    if type(value) is not int or value < 0:  # bool is an int; "3", 3.0 and Infinity are not
        raise ValueError(f"{key!r} is not a non-negative integer")
    return value


def _num(value: float) -> str:
    # one decimal at most, no trailing ".0": stable text whatever the float arithmetic
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def svg(badge: Badge) -> bytes:
    """The badge as a flat-style SVG (the shields.io "flat" layout), UTF-8, ending in newline."""
    label_w = round(text_width(badge.label) + 10)
    message_w = round(text_width(badge.message) + 10)
    total = label_w + message_w
    fill = COLOURS.get(badge.color, COLOURS["lightgrey"])
    label, message = escape(badge.label), escape(badge.message)
    title = escape(f"{badge.label}: {badge.message}")
    quoted = title.replace('"', "&quot;")

    def texts(text: str, x0: int, width: int) -> str:
        # coordinates are scaled by 10 (transform scale(.1)) for sub-pixel placement
        x, length = _num((x0 + width / 2) * 10), _num((width - 10) * 10)
        return (f'<text aria-hidden="true" x="{x}" y="150" fill="#010101" fill-opacity=".3" '
                f'transform="scale(.1)" textLength="{length}">{text}</text>'
                f'<text x="{x}" y="140" transform="scale(.1)" fill="#fff" '
                f'textLength="{length}">{text}</text>')

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{quoted}">',
        f"<title>{title}</title>",
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>',
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>',
        f'<g clip-path="url(#r)"><rect width="{label_w}" height="20" fill="#555"/>'
        f'<rect x="{label_w}" width="{message_w}" height="20" fill="{fill}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>',
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        'text-rendering="geometricPrecision" font-size="110">',
        texts(label, 0, label_w),
        texts(message, label_w, message_w),
        "</g></svg>",
    ]
    return ("\n".join(parts) + "\n").encode("utf-8")


def endpoint_json(badge: Badge) -> bytes:
    """The shields.io endpoint JSON as deterministic UTF-8 bytes."""
    return (json.dumps(badge.endpoint(), indent=2, sort_keys=True) + "\n").encode("utf-8")
