"""Safe JSON and YAML loading: each parse problem is a finding with its place, never a traceback."""

from __future__ import annotations

from typing import Any

from rexport.findings import Finding
from rexport.limits import CONFIG_CAP, MAX_DEPTH
from rexport.parsing._text import MAX_PER_CODE, decode_utf8
from rexport.parsing.json_text import load_json
from rexport.parsing.positions import Span, locate, place_findings, placed, root_span
from rexport.parsing.structure import json_depth

__all__ = [
    "MAX_PER_CODE",
    "Span",
    "decode_utf8",
    "json_depth",
    "load_json",
    "load_yaml",
    "locate",
    "place_findings",
    "placed",
    "root_span",
]


def load_yaml(data: bytes, *, file: str, max_depth: int = MAX_DEPTH, max_bytes: int = CONFIG_CAP,
              ) -> tuple[Any | None, list[Finding]]:
    """Parse ``data`` as one YAML document; see rexport.parsing.yaml_text.load_yaml.

    PyYAML is imported on the first call only: most exports hold no YAML config, and
    importing it would cost a small export's validation a noticeable part of its time.
    """
    from rexport.parsing.yaml_text import load_yaml as load

    return load(data, file=file, max_depth=max_depth, max_bytes=max_bytes)
