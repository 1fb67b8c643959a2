"""Report formats: text for people, json (schemas/v1/report.schema.json), sarif 2.1.0, junit."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from rexport.report import Report

FORMATS = ("text", "json", "sarif", "junit")

def render(fmt: str, reports: Sequence[Report], **options: Any) -> str:
    """Render ``reports`` in format ``fmt`` (one of FORMATS); options go to that reporter."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format: {fmt!r}")
    # import only the reporter asked for: each run pays for one
    module = importlib.import_module(f"rexport.reporters.{fmt}")
    text: str = module.render(reports, **options)
    return text
