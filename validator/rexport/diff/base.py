"""The pieces every diff section uses: the Difference record, JSON equality, lookups."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rexport.findings import pointer
from rexport.json_values import as_list, get, is_number


@dataclass(frozen=True)
class Difference:
    """One difference: its section, a stable label, and the values on each side (None: absent)."""

    section: str
    what: str
    change: str  # "added" (only in B), "removed" (only in A) or "changed"
    a: Any = None
    b: Any = None
    pointer_a: str | None = None
    pointer_b: str | None = None

    @property
    def delta(self) -> float | None:
        """``b - a`` when both sides are numbers, else None."""
        if is_number(self.a) and is_number(self.b):
            return float(self.b) - float(self.a)
        return None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"section": self.section, "what": self.what, "change": self.change,
                               "a": self.a, "b": self.b,
                               "pointer_a": self.pointer_a, "pointer_b": self.pointer_b}
        if self.delta is not None:
            out["delta"] = self.delta
        return out


def same(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but True != 1 and "1" != 1."""
    if is_number(a) and is_number(b):
        return bool(a == b) or (isinstance(a, float) and isinstance(b, float)
                                and math.isnan(a) and math.isnan(b))
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def compare(section: str, what: str, a: Any, b: Any, ptr: str) -> Iterator[Difference]:
    """One Difference if ``a`` and ``b`` differ (None is absence), else nothing."""
    if a is None and b is None:
        return
    if a is None:
        yield Difference(section, what, "added", None, b, None, ptr)
    elif b is None:
        yield Difference(section, what, "removed", a, None, ptr, None)
    elif not same(a, b):
        yield Difference(section, what, "changed", a, b, ptr, ptr)


def fields(section: str, a: Any, b: Any, paths: Iterable[tuple[str, ...]],
           *, only_recorded: bool = False) -> Iterator[Difference]:
    """Compare the values at token paths; with ``only_recorded``, those A has a value for."""
    for tokens in paths:
        va, vb = get(a, *tokens), get(b, *tokens)
        if va is None and only_recorded:
            continue
        yield from compare(section, ".".join(tokens[1:]), va, vb, pointer(*tokens))


def index_digests(manifest: Mapping[str, Any]) -> dict[str, tuple[int, str | None]]:
    """Map each indexed path to (position in files, sha256)."""
    out: dict[str, tuple[int, str | None]] = {}
    for n, entry in enumerate(as_list(manifest.get("files"))):
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            sha = get(entry, "digests", "sha256")
            out[entry["path"]] = (n, sha if isinstance(sha, str) else None)
    return out


def file_digest(index: Mapping[str, tuple[int, str | None]], path: Any) -> str | None:
    """The sha256 the index records for ``path`` (a note if it is not indexed); None if no path."""
    if not isinstance(path, str):
        return None
    found = index.get(path)
    return found[1] if found and found[1] else f"(not indexed: {path})"


def keyed(items: Any, key: str) -> dict[str, tuple[int, dict[str, Any]]]:
    """Objects of an array by their string member ``key`` (first wins): {key: (position, obj)}."""
    out: dict[str, tuple[int, dict[str, Any]]] = {}
    for n, item in enumerate(as_list(items)):
        if isinstance(item, dict) and isinstance(item.get(key), str):
            out.setdefault(item[key], (n, item))
    return out
