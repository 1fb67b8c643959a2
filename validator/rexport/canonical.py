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
    # a hot loop over every value of a manifest of 100,000 files: exact type tests, no calls
    stack: list[Any] = [value]
    push, pop = stack.append, stack.pop
    while stack:
        item = pop()
        kind = type(item)
        if kind is dict:
            for key in item:
                if type(key) is not str or (not key.isascii() and max(key) > "\uffff"):
                    return False
            children = item.values()
        elif kind is list:
            children = item
        else:
            children = (item,)
        for child in children:
            kind = type(child)
            if kind is str or kind is bool or child is None:
                continue
            if kind is dict or kind is list:
                push(child)
            elif kind is int:
                if not -_MAX_SAFE_INTEGER <= child <= _MAX_SAFE_INTEGER:
                    return False
            elif kind is float:
                text = repr(child)
                if "e" in text or "n" in text or child.is_integer():
                    return False
            else:
                return False
    return True


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
    elif type(value) is dict and all(type(k) is str and (k.isascii() or max(k) <= "\uffff")
                                     for k in value):
        # one member that the fast path cannot write (a hyperparameter of 1.0) must not send
        # the whole manifest, its index of 100,000 files, through the slow one: each member is
        # written by the path that can, and the object put together as RFC 8785 does (keys of
        # the BMP sort by code point as by UTF-16 code unit)
        try:
            members = [_FAST.encode(key).encode("utf-8") + b":" + canonical_bytes(value[key])
                       for key in sorted(value)]
        except UnicodeEncodeError:
            pass  # a lone surrogate in a key: let rfc8785 raise its own error
        else:
            return b"{" + b",".join(members) + b"}"
    return bytes(rfc8785.dumps(value))


def immutable_part(manifest: dict[str, Any]) -> dict[str, Any]:
    """Return the manifest without its mutable members (export_digest, annotations)."""
    return {k: v for k, v in manifest.items() if k not in MUTABLE_MEMBERS}


def export_digest(manifest: dict[str, Any]) -> str:
    """Return ``sha256:<hex>`` over the canonical form of the manifest's immutable part."""
    return "sha256:" + hashlib.sha256(canonical_bytes(immutable_part(manifest))).hexdigest()
