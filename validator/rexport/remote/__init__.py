"""Remote checks asked for by the user: the objects that references name (--verify-remote,
spec VAL-13), and the storage options of URLs (--storage-option, --endpoint-url).

The core never imports this package (pyproject's import contracts): reading an export behind
a URL is the sources' (rexport.sources.remote), and checking references is handed to
rexport.validation.validate as a function.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from typing import Any

from rexport.findings import Finding

LEVELS = ("none", "size", "metadata", "full")


def parse_options(pairs: Iterable[str], endpoint_url: str | None = None) -> dict[str, Any]:
    """Storage options from ``key=value`` strings (--storage-option); raise ValueError.

    A value that reads as JSON (true, 3, {"verify": "ca.pem"}) is taken as such, any other
    as a string; ``endpoint_url`` (--endpoint-url) is one more option.
    """
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"{pair!r} is not KEY=VALUE")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        options[key] = value
    if endpoint_url:
        options["endpoint_url"] = endpoint_url
    return options


def verifier(level: str, options: Mapping[str, Any]
             ) -> functools.partial[tuple[list[Finding], list[dict[str, Any]]]] | None:
    """The reference check of a --verify-remote ``level`` (None for ``none``) that reaches the
    objects with the storage ``options``; raise ValueError for an unknown level."""
    if level not in LEVELS:
        raise ValueError(f"verify_remote must be one of {', '.join(LEVELS)}")
    if level == "none":
        return None
    from rexport.remote.verify import verify_references

    return functools.partial(verify_references, level=level, options=dict(options))
