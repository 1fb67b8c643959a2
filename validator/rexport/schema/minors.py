"""What each minor version of REX v1 added, from the schemas' `x-rex-since` marks: the members
that a manifest of an older minor does not define (VER-02, VER-04), and the version a producer
names (VER-06)."""

from __future__ import annotations

from typing import Any

from rexport.schema.marks import ANY, marked

SINCE = "x-rex-since"
FIRST = (1, 0)


def parse(text: str) -> tuple[int, int]:
    """(major, minor) of a version the schemas write, ``"1.1"``."""
    major, _, minor = text.partition(".")
    return int(major), int(minor)


def added_after(version: tuple[int, int]) -> tuple[tuple[str, ...], ...]:
    """The members (pointer patterns, "*" for any item) that a minor after ``version`` added."""
    return tuple(p for p, since in marked(SINCE).items() if parse(since) > version)


def defines(version: tuple[int, int], pattern: tuple[str, ...]) -> bool:
    """Whether ``version`` defines the member ``pattern`` names (False: a later minor added it)."""
    return pattern not in added_after(version)


def members(document: Any, pattern: tuple[str, ...], at: tuple[str | int, ...] = ()
            ) -> list[tuple[str | int, ...]]:
    """The members of ``document`` that ``pattern`` names, as keys and indices from the root."""
    for step, head in enumerate(pattern):
        if head == ANY:
            # the names up to the next "*" are looked up in each item with no tuple built: a
            # manifest of 100,000 files is walked in a few milliseconds
            rest = pattern[step + 1:]
            fixed = rest[:rest.index(ANY)] if ANY in rest else rest
            items = enumerate(document) if isinstance(document, list) else \
                document.items() if isinstance(document, dict) else ()
            found: list[tuple[str | int, ...]] = []
            for key, value in items:
                for name in fixed:
                    if type(value) is not dict or name not in value:
                        break
                    value = value[name]
                else:
                    found.extend(members(value, rest[len(fixed):], (*at, key, *fixed)))
            return found
        if not isinstance(document, dict) or head not in document:
            return []
        document = document[head]
        at = (*at, head)
    return [at]


def unknown_to(manifest: Any, version: tuple[int, int]) -> list[tuple[str | int, ...]]:
    """The members of ``manifest`` that ``version`` does not define and a later minor added."""
    return [at for pattern in added_after(version) for at in members(manifest, pattern)]


def version_needed(manifest: Any) -> str:
    """The earliest version that defines every member of ``manifest``, which a producer names
    in rex_version (VER-06): 1.0 unless it holds a member that a later minor added."""
    needed = FIRST
    for pattern, since in marked(SINCE).items():
        if parse(since) > needed and members(manifest, pattern):
            needed = parse(since)
    return f"{needed[0]}.{needed[1]}"
