"""Canonical JSON (RFC 8785) and the export digest over the immutable part of a manifest."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import orjson
import rfc8785

from rexport.json_values import IndexColumns

# Members of the manifest that are not covered by the export digest (spec DIG-03).
MUTABLE_MEMBERS: frozenset[str] = frozenset({"export_digest", "annotations"})

_MAX_SAFE_INTEGER = 2**53 - 1


def _fast_path_agrees(value: Any) -> bool:
    """True when orjson writes ``value`` exactly as RFC 8785 does.

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


# A list longer than this is encoded a slice at a time: the text of 100,000 file entries is
# never held whole, and one entry the fast path cannot take costs only its own slice.
_SLICE = 1024


def _utf16(key: str) -> bytes:
    # RFC 8785 sorts members by UTF-16 code units; a lone surrogate fails later, in encoding
    return key.encode("utf-16-be", "surrogatepass")


def _fast(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _pieces(value: Any, top: bool = True, agreed: Any = None) -> Iterator[bytes]:
    """The RFC 8785 text of ``value``, in pieces: orjson wherever it agrees with RFC 8785,
    the rfc8785 package for the values where it does not (say ``1.0``).

    The top level is taken apart member by member and long lists slice by slice, so that one
    such value (a hyperparameter ``C: 1.0``) does not send the whole file index to the slow
    encoder; below that a value is tried whole first. ``agreed`` is a list known to agree
    (a file index of the common shape), written without looking. A lone surrogate raises
    orjson.JSONEncodeError, a TypeError.
    """
    kind = type(value)
    if kind is list and len(value) > _SLICE:
        yield b"["
        for start in range(0, len(value), _SLICE):
            if start:
                yield b","
            part = value[start:start + _SLICE]
            if value is agreed or _fast_path_agrees(part):
                yield _fast(part)[1:-1]
            else:
                yield from _members(part)
        yield b"]"
    elif not top and _fast_path_agrees(value):
        yield _fast(value)
    elif kind is dict and all(type(key) is str for key in value):
        yield b"{"
        for n, key in enumerate(sorted(value, key=_utf16)):
            yield (b"," if n else b"") + _fast(key) + b":"
            yield from _pieces(value[key], top=False, agreed=agreed)
        yield b"}"
    elif kind is list:
        yield b"["
        yield from _members(value)
        yield b"]"
    else:
        yield bytes(rfc8785.dumps(value))


def _members(items: list[Any]) -> Iterator[bytes]:
    for n, item in enumerate(items):
        if n:
            yield b","
        yield from _pieces(item, top=False)


def _encoded(value: Any, agreed: Any = None) -> Iterator[bytes]:
    try:
        yield from _pieces(value, agreed=agreed)
    except orjson.JSONEncodeError:
        rfc8785.dumps(value)  # a lone surrogate: rfc8785 raises its own error
        raise


def canonical_bytes(value: Any) -> bytes:
    """Return the RFC 8785 (JCS) canonical UTF-8 serialisation of a JSON value.

    Raises ``rfc8785.CanonicalizationError`` (or a subclass) for values JCS cannot represent:
    integers beyond the I-JSON range, NaN, infinities and strings with lone surrogates.
    """
    return b"".join(_encoded(value))


def immutable_part(manifest: dict[str, Any]) -> dict[str, Any]:
    """Return the manifest without its mutable members (export_digest, annotations)."""
    return {k: v for k, v in manifest.items() if k not in MUTABLE_MEMBERS}


def export_digest(manifest: dict[str, Any], *, index: IndexColumns | None = None) -> str:
    """Return ``sha256:<hex>`` over the canonical form of the manifest's immutable part.

    ``index``: the manifest's ``files`` as columns (json_values.index_columns), when the
    caller has them: an index of that shape needs no walk to be known to agree.
    """
    files = manifest.get("files")
    agreed = files if index is not None and min(index.sizes) >= -_MAX_SAFE_INTEGER \
        and max(index.sizes) <= _MAX_SAFE_INTEGER else None
    hasher = hashlib.sha256()
    for piece in _encoded(immutable_part(manifest), agreed):
        hasher.update(piece)
    return "sha256:" + hasher.hexdigest()
