"""Where a redaction marker may stand: the members the schemas mark `x-rex-redactable` (SEC-07)."""

from __future__ import annotations

import functools
from typing import Any

from rexport.schema.marks import marked, matches

KEYWORD = "x-rex-redactable"


@functools.cache
def patterns() -> tuple[tuple[str, ...], ...]:
    """Every member where a redaction may stand, as pointer tokens ("*": any item or member),
    sorted; derived from the schemas' `x-rex-redactable` marks, from the manifest's root."""
    return tuple(pattern for pattern, mark in marked(KEYWORD).items() if mark)


def pattern_text(tokens: tuple[str, ...]) -> str:
    """A pattern as the spec writes it: "/config/hyperparameters", "/code/entry_points/*/name"."""
    return "".join("/" + t for t in tokens)


def redactable(tokens: tuple[str | int, ...]) -> bool:
    """True when a redaction marker may replace the value at ``tokens`` (object keys and array
    indices from the manifest's root): a member marked redactable, anything below one, or an
    extension member (`x-`) or anything below one. False for the root itself."""
    if any(isinstance(t, str) and t.startswith("x-") for t in tokens):
        return True
    return any(matches(p, tokens) for p in patterns())


def parse_pointer(text: str) -> tuple[str, ...] | None:
    """The reference tokens of an RFC 6901 pointer, unescaped, or None if it is malformed."""
    if text == "":
        return ()
    if not text.startswith("/"):
        return None
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in text[1:].split("/"))


def value_at(document: Any, tokens: tuple[str, ...]) -> Any:
    """The value that pointer ``tokens`` names in ``document`` (a digit token indexes an
    array, any token names an object member), or None when it names nothing."""
    for token in tokens:
        if isinstance(document, dict) and token in document:
            document = document[token]
        elif (isinstance(document, list) and token.isdigit() and token == str(int(token))
              and int(token) < len(document)):
            document = document[int(token)]
        else:
            return None
    return document
