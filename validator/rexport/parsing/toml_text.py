"""TOML loading with a size cap: the standard library's parser (tomli on Python 3.10)."""

from __future__ import annotations

import sys
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

TOML_CAP = 16 << 20


def load_toml(data: bytes, *, file: str, max_bytes: int = TOML_CAP
              ) -> tuple[dict[str, Any] | None, str | None]:
    """Parse ``data`` as a TOML document; return (table, None) or (None, why it cannot be).

    TOML builds only tables, arrays and scalars (dates among them); nothing is executed. Deep
    nesting that would exhaust the parser's recursion is reported, never raised.
    """
    if len(data) > max_bytes:
        return None, f"{file} is {len(data)} bytes, more than the {max_bytes} read"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"{file} is not UTF-8 (byte {exc.start})"
    try:
        return tomllib.loads(text), None
    except tomllib.TOMLDecodeError as exc:
        return None, f"{file} is not valid TOML: {exc}"
    except RecursionError:
        return None, f"{file} nests too deeply"
