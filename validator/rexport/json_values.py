"""JSON values of unknown shape, read safely: a manifest may be malformed in any member.

A lookup that meets a value of the wrong type reads it as absent (None, {} or []): the schema
check reports the malformed value once, and every other reader goes on without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from operator import itemgetter
from typing import Any, NamedTuple

Tokens = tuple[str | int, ...]


def get(value: Any, *keys: str) -> Any:
    """The value at object keys ``keys`` under ``value``; None where one is missing or a value
    on the way is not an object."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def obj(value: Any) -> dict[str, Any]:
    """``value`` if it is an object, else {}."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` if it is an array, else []."""
    return value if isinstance(value, list) else []


def string(value: Any) -> str | None:
    """``value`` if it is a string, else None."""
    return value if isinstance(value, str) else None


def is_number(value: Any) -> bool:
    """True for JSON numbers (a boolean is not one, though Python counts it an int)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def resolve(value: Any, tokens: Tokens) -> Any:
    """The value at ``tokens`` (object keys and array indices) under ``value``, or None."""
    for token in tokens:
        in_object = isinstance(value, dict) and isinstance(token, str) and token in value
        in_array = isinstance(value, list) and isinstance(token, int) and 0 <= token < len(value)
        if not (in_object or in_array):
            return None
        value = value[token]
    return value


def select(value: Any, path: Tokens, at: Tokens = ()) -> Iterator[tuple[Tokens, Any]]:
    """Yield ``(tokens, value)`` for each value under ``path``, where "*" walks each item of an
    array; ``tokens`` is the place found (``at`` prefixed), for a JSON pointer."""
    if not path:
        yield at, value
        return
    head, rest = path[0], path[1:]
    if head == "*":
        for i, item in enumerate(as_list(value)):
            yield from select(item, rest, (*at, i))
    elif isinstance(value, dict) and head in value:
        yield from select(value[head], rest, (*at, head))


def json_type(value: Any) -> str:
    """The JSON type name of a parsed value: object, array, string, boolean, null, integer or
    number (the name of the Python type for anything else)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


class IndexColumns(NamedTuple):
    """A file index (``files``) of the common shape, column by column: every entry an object
    of exactly path, size, media_type, role and digests, the digest set of sha256 alone, each
    of its type (strings, and an integer size)."""

    paths: list[str]
    sizes: list[int]
    media_types: list[str]
    roles: list[str]
    sha256: list[str]


_COLUMNS = tuple(map(itemgetter, ("path", "size", "media_type", "role")))
_DIGESTS, _SHA256 = itemgetter("digests"), itemgetter("sha256")


def index_columns(files: Any) -> IndexColumns | None:
    """``files`` as IndexColumns when it has the common shape, else None (then read it entry
    by entry). Found in a few passes at C speed, without a Python step per entry: for
    100,000 entries, what a walk of their values costs ten times over."""
    if type(files) is not list or not files:
        return None
    try:
        # an entry that is no object fails a lookup by key (a string or an array of five
        # items too): no pass of its own over the entries for their types
        if set(map(len, files)) != {5}:
            return None
        paths, sizes, media_types, roles = (list(map(get, files)) for get in _COLUMNS)
        digests = list(map(_DIGESTS, files))
        if set(map(len, digests)) != {1}:
            return None
        sha256 = list(map(_SHA256, digests))
    except (KeyError, TypeError):
        return None
    strings = set(map(type, paths)) | set(map(type, media_types)) | set(map(type, roles)) \
        | set(map(type, sha256))
    if strings != {str} or set(map(type, sizes)) != {int}:
        return None
    return IndexColumns(paths, sizes, media_types, roles, sha256)
