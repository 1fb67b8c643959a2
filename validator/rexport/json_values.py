"""JSON values of unknown shape, read safely: a manifest may be malformed in any member.

A lookup that meets a value of the wrong type reads it as absent (None, {} or []): the schema
check reports the malformed value once, and every other reader goes on without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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
