"""Canonical JSON (RFC 8785) and the export digest over the immutable part of a manifest."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import rfc8785

# Members of the manifest that are not covered by the export digest (spec DIG-03).
MUTABLE_MEMBERS: frozenset[str] = frozenset({"export_digest", "annotations"})

_MAX_SAFE_INTEGER = 2**53 - 1
_FAST = json.JSONEncoder(ensure_ascii=False, allow_nan=False, sort_keys=True,
                         separators=(",", ":"), check_circular=False)


def _fast_path_agrees(value: Any) -> bool:
    """True when json's C encoder writes ``value`` exactly as RFC 8785 does.

    The two agree on strings (the same minimal escapes), on integers within the I-JSON range
    and on floats whose repr has no exponent and is not integral ("1.0" is "1" in RFC 8785);
    object keys sort alike unless a key holds a character beyond the BMP (RFC 8785 compares
    UTF-16 code units). Anything else goes through the rfc8785 package.
    """
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    return False
                if not key.isascii() and any(ord(c) > 0xFFFF for c in key):
                    return False
                if isinstance(child, (dict, list)):
                    stack.append(child)
                elif not _scalar_agrees(child):
                    return False
        elif isinstance(item, list):
            for child in item:
                if isinstance(child, (dict, list)):
                    stack.append(child)
                elif not _scalar_agrees(child):
                    return False
        elif not _scalar_agrees(item):
            return False
    return True


def _scalar_agrees(item: Any) -> bool:
    if item is None or isinstance(item, (str, bool)):
        return True
    if isinstance(item, int):
        return -_MAX_SAFE_INTEGER <= item <= _MAX_SAFE_INTEGER
    if isinstance(item, float):
        text = repr(item)
        return "e" not in text and "n" not in text and not item.is_integer()
    return False


def canonical_bytes(value: Any) -> bytes:
    """Return the RFC 8785 (JCS) canonical UTF-8 serialisation of a JSON value.

    Raises ``rfc8785.CanonicalizationError`` (or a subclass) for values JCS cannot represent:
    integers beyond the I-JSON range, NaN, infinities and strings with lone surrogates.
    """
    if _fast_path_agrees(value):
        try:
            return _FAST.encode(value).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: let rfc8785 raise its own error
    return bytes(rfc8785.dumps(value))


def immutable_part(manifest: dict[str, Any]) -> dict[str, Any]:
    """Return the manifest without its mutable members (export_digest, annotations)."""
    return {k: v for k, v in manifest.items() if k not in MUTABLE_MEMBERS}


def export_digest(manifest: dict[str, Any]) -> str:
    """Return ``sha256:<hex>`` over the canonical form of the manifest's immutable part."""
    return "sha256:" + hashlib.sha256(canonical_bytes(immutable_part(manifest))).hexdigest()
