"""Safe JSON and YAML loading: each parse problem is a finding with its place, never a traceback."""

from __future__ import annotations

from rexport.parsing._text import MAX_PER_CODE, decode_utf8
from rexport.parsing.json_text import json_depth, load_json
from rexport.parsing.yaml_text import load_yaml

__all__ = ["MAX_PER_CODE", "decode_utf8", "json_depth", "load_json", "load_yaml"]
