"""Exports and referenced data behind URLs (s3://, gs://, https://...), read through fsspec.

Nothing here is imported unless a URL is given: a local validation never loads fsspec, and
the validator touches the network only when its user names a URL or asks for remote checks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# the package each protocol needs, and the extra of rexport that installs it
EXTRAS = {"s3": ("s3fs", "s3"), "s3a": ("s3fs", "s3"), "gs": ("gcsfs", "gcs"),
          "gcs": ("gcsfs", "gcs"), "http": ("aiohttp", "remote"),
          "https": ("aiohttp", "remote")}


def is_url(path: object) -> bool:
    """True when ``path`` is a string naming a URL (``scheme://...``), not a local path."""
    return isinstance(path, str) and _URL.match(path) is not None


def protocol(url: str) -> str:
    """The URL's scheme in lower case: ``s3`` for ``s3://bucket/key``."""
    return url.split("://", 1)[0].lower()


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


def shown_options(options: Mapping[str, Any]) -> str:
    """The option names only, for messages: their values may be credentials."""
    return ", ".join(sorted(options)) or "none"
