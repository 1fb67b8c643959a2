"""The JSON report: one report object per export, or a batch wrapper for several exports."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from rexport.report import Report

SCHEMA_ID = "https://rex.example.org/schemas/v1/report.schema.json"


def document(reports: Sequence[Report]) -> dict[str, Any]:
    """The JSON value of schemas/v1/report.schema.json for ``reports``.

    One export gives its report object; several give {"valid", "reports": [...]} so that a
    consumer always finds the overall verdict under the same top-level key.
    """
    if len(reports) == 1:
        doc = reports[0].to_json()
    else:
        doc = {"valid": all(r.valid for r in reports), "reports": [r.to_json() for r in reports]}
    return {"$schema": SCHEMA_ID, **doc}


_SURROGATE = re.compile("[\ud800-\udfff]")


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def render(reports: Sequence[Report], **_options: Any) -> str:
    """Render ``reports`` as indented JSON text (UTF-8 safe: undecodable names escaped)."""
    doc = document(reports)
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # a member name that was not UTF-8 reaches us as lone surrogates, which no UTF-8
        # output can carry; write them as visible escapes instead of failing (other
        # characters stay as they are: JSON escapes controls, and consumers want exact names)
        text = json.dumps(_scrub(doc), ensure_ascii=False, indent=2)
    return text + "\n"
