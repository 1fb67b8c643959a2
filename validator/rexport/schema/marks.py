"""Members of the manifest that the schemas mark with a keyword of their own (`x-rex-...`),
found from the manifest's root as pointer patterns ("*": any array item or member)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from rexport.schema.validators import BASE_URI, ROOT, SUFFIX, resources

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


def _mark(schema: dict[str, Any], base: str, keyword: str) -> Any:
    # the member's own mark wins over that of the definition it refers to
    if keyword in schema:
        return schema[keyword]
    if isinstance(schema.get("$ref"), str):
        target, uri = _resolve(schema["$ref"], base)
        return _mark(target, uri, keyword)
    return None


def _collect(schema: Any, base: str, at: tuple[str, ...], keyword: str,
             out: dict[tuple[str, ...], Any], depth: int = 0) -> None:
    if not isinstance(schema, dict) or depth > 64:
        return
    mark = _mark(schema, base, keyword)
    if mark is not None:
        out[at] = mark
        return  # below a marked member, the mark decides
    if isinstance(schema.get("$ref"), str):
        target, uri = _resolve(schema["$ref"], base)
        _collect(target, uri, at, keyword, out, depth + 1)
    for name, sub in schema.get("properties", {}).items():
        _collect(sub, base, (*at, name), keyword, out, depth + 1)
    for key in ("items", "additionalProperties"):
        _collect(schema.get(key), base, (*at, ANY), keyword, out, depth + 1)
    for key in _BRANCHES:
        for sub in schema.get(key, []):
            _collect(sub, base, at, keyword, out, depth + 1)
    for key in _BRANCH_ONE:
        _collect(schema.get(key), base, at, keyword, out, depth + 1)


@functools.cache
def marked(keyword: str) -> dict[tuple[str, ...], Any]:
    """{pattern: the mark's value} of every member marked ``keyword`` in the schemas, from the
    manifest's root; a member below a marked one is the marked one's, and not listed."""
    uri = BASE_URI + ROOT + SUFFIX
    out: dict[tuple[str, ...], Any] = {}
    _collect(resources()[uri], uri, (), keyword, out)
    return dict(sorted(out.items()))


def matches(pattern: tuple[str, ...], tokens: tuple[str | int, ...]) -> bool:
    """True when ``tokens`` (keys and indices from the root) name the member ``pattern`` names,
    or something below it."""
    return len(pattern) <= len(tokens) and all(
        a in (ANY, str(b)) for a, b in zip(pattern, tokens[:len(pattern)], strict=True))


def instances(document: Any, pattern: tuple[str, ...],
              at: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """The members of ``document`` that ``pattern`` names, as keys and indices from the root."""
    if not pattern:
        yield at
        return
    head, rest = pattern[0], pattern[1:]
    if head == ANY:
        items = enumerate(document) if isinstance(document, list) else \
            document.items() if isinstance(document, dict) else ()
        for key, value in items:
            yield from instances(value, rest, (*at, key))
    elif isinstance(document, dict) and head in document:
        yield from instances(document[head], rest, (*at, head))
