"""Where a redaction marker may stand: the members the schemas mark `x-rex-redactable` (SEC-07)."""

from __future__ import annotations

import functools
from typing import Any

from rexport.schema.validators import BASE_URI, ROOT, SUFFIX, resources

KEYWORD = "x-rex-redactable"
ANY = "*"  # an array item or a member that `additionalProperties` describes
_BRANCHES = ("allOf", "anyOf", "oneOf")
_BRANCH_ONE = ("then", "else")


def _resolve(ref: str, base: str) -> tuple[dict[str, Any], str]:
    name, _, fragment = ref.partition("#")
    uri = BASE_URI + name if name else base
    node: Any = resources()[uri]
    for token in fragment.split("/")[1:]:
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node, uri


def _mark(schema: dict[str, Any], base: str) -> bool | None:
    # the member's own annotation wins over that of the definition it refers to
    if KEYWORD in schema:
        return bool(schema[KEYWORD])
    if isinstance(schema.get("$ref"), str):
        target, uri = _resolve(schema["$ref"], base)
        return _mark(target, uri)
    return None


def _collect(schema: Any, base: str, at: tuple[str, ...], out: set[tuple[str, ...]],
             depth: int = 0) -> None:
    if not isinstance(schema, dict) or depth > 64:
        return
    mark = _mark(schema, base)
    if mark is not None:
        if mark:
            out.add(at)
        return  # below a marked member, the mark decides
    if isinstance(schema.get("$ref"), str):
        target, uri = _resolve(schema["$ref"], base)
        _collect(target, uri, at, out, depth + 1)
    for name, sub in schema.get("properties", {}).items():
        _collect(sub, base, (*at, name), out, depth + 1)
    for key in ("items", "additionalProperties"):
        _collect(schema.get(key), base, (*at, ANY), out, depth + 1)
    for key in _BRANCHES:
        for sub in schema.get(key, []):
            _collect(sub, base, at, out, depth + 1)
    for key in _BRANCH_ONE:
        _collect(schema.get(key), base, at, out, depth + 1)


@functools.cache
def patterns() -> tuple[tuple[str, ...], ...]:
    """Every member where a redaction may stand, as pointer tokens ("*": any item or member),
    sorted; derived from the schemas' `x-rex-redactable` marks, from the manifest's root."""
    uri = BASE_URI + ROOT + SUFFIX
    out: set[tuple[str, ...]] = set()
    _collect(resources()[uri], uri, (), out)
    return tuple(sorted(out))


def pattern_text(tokens: tuple[str, ...]) -> str:
    """A pattern as the spec writes it: "/config/hyperparameters", "/code/entry_points/*/name"."""
    return "".join("/" + t for t in tokens)


def redactable(tokens: tuple[str | int, ...]) -> bool:
    """True when a redaction marker may replace the value at ``tokens`` (object keys and array
    indices from the manifest's root): a member marked redactable, anything below one, or an
    extension member (`x-`) or anything below one. False for the root itself."""
    if any(isinstance(t, str) and t.startswith("x-") for t in tokens):
        return True
    return any(len(p) <= len(tokens)
               and all(a in (ANY, str(b)) for a, b in zip(p, tokens[:len(p)], strict=True))
               for p in patterns())


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
