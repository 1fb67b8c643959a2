"""Names one edit apart: the likely misspellings of the members a schema defines."""

from __future__ import annotations

from collections.abc import Iterable


def one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one insertion, deletion, substitution or swap of two
    adjacent characters (``hyperparamters``, ``rex_verison``); False when they are equal."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1:]
    if a[i + 1:] == b[i + 1:]:
        return True
    return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:]


def nearest(name: str, known: Iterable[str]) -> str | None:
    """The first of ``known`` (in sorted order) one edit from ``name``, or None."""
    return next((k for k in sorted(known) if one_edit(name, k)), None)
