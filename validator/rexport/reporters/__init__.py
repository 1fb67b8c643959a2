"""Report formats: text for people, json (schemas/v1/report.schema.json), sarif 2.1.0, junit."""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from typing import Any

from rexport.report import Report

FORMATS = ("text", "json", "sarif", "junit")

# C0/C1 controls, lone surrogates (undecodable names) and bidirectional overrides: a
# hostile file name must not move the cursor, recolour the terminal or reorder the line
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """Return ``text`` with unprintable characters written as escapes (\\x1b, \\udcff, ...)."""
    if not _UNPRINTABLE.search(text):
        return text
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def render(fmt: str, reports: Sequence[Report], **options: Any) -> str:
    """Render ``reports`` in format ``fmt`` (one of FORMATS); options go to that reporter."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format: {fmt!r}")
    # import only the reporter asked for: each run pays for one
    module = importlib.import_module(f"rexport.reporters.{fmt}")
    text: str = module.render(reports, **options)
    return text
