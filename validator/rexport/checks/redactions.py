"""The redaction marker and its entries (SEC-04, SEC-07): where a marker may stand, and that
markers and `redactions` entries name each other (K104, R113)."""

from __future__ import annotations

import re
from typing import Any

from rexport.checks.secret_patterns import REDACTED
from rexport.findings import Finding, pointer
from rexport.json_values import IndexColumns, Tokens, as_list, get
from rexport.schema.redactable import parse_pointer, redactable, value_at

# the form the schema gives an entry's pointer: one that breaks it is REX-S101 and lists nothing
_POINTER = re.compile(r"(?:/(?:[^~/]|~[01])*)+")


def listed(manifest: Any) -> set[str]:
    """The pointers that the entries of `redactions` give, as written."""
    return {e["pointer"] for e in as_list(get(manifest, "redactions"))
            if isinstance(e, dict) and isinstance(e.get("pointer"), str)}


def misplaced(manifest: Any) -> list[Finding]:
    """Return REX-K104 at each listed marker (a `redactions` pointer that resolves to
    "[REDACTED]") in a member where no redaction may stand (spec SEC-07); never raises."""
    found = []
    for where in sorted(listed(manifest)):
        tokens = parse_pointer(where)
        if tokens is None or redactable(tokens) or value_at(manifest, tokens) != REDACTED:
            continue
        found.append(Finding.of("REX-K104", "a redaction marker stands in a member that the "
                                "validator verifies or that identifies something",
                                pointer=where))
    return found


def unmatched(manifest: Any, *, index: IndexColumns | None = None) -> list[Finding]:
    """Return REX-R113 at each `redactions` entry whose pointer (of the schema's form)
    resolves to no marker, at /redactions/N/pointer, and at each marker (a string value
    "[REDACTED]" anywhere in the manifest) that no entry lists (spec SEC-04); never raises.
    ``index``: the manifest's ``files`` as columns, when the caller has them."""
    found = []
    for n, entry in enumerate(as_list(get(manifest, "redactions"))):
        where = entry.get("pointer") if isinstance(entry, dict) else None
        if not isinstance(where, str) or not _POINTER.fullmatch(where):
            continue
        tokens = parse_pointer(where)
        if tokens is None or value_at(manifest, tokens) != REDACTED:
            found.append(Finding.of("REX-R113", "the redaction entry's pointer names no "
                                    "marker: the value is there, or nothing is",
                                    pointer=pointer("redactions", n, "pointer")))
    names = listed(manifest)
    for place in _markers(manifest, index):
        at = pointer(*place)
        if at not in names:
            found.append(Finding.of("REX-R113", "a redaction marker that no entry of "
                                    "redactions lists", pointer=at))
    return found


def _holds_marker(root: Any) -> bool:
    # a depth at a time, without the places: most manifests hold no marker, and a manifest of
    # 100,000 files is 200,000 small objects
    level = [root]
    while level:
        values = [v for n in level if type(n) is dict for v in n.values()]
        values += [v for n in level if type(n) is list for v in n]
        if REDACTED in values:
            return True
        level = [v for v in values if type(v) is dict or type(v) is list]
    return False


def _markers(manifest: Any, index: IndexColumns | None) -> list[Tokens]:
    """The place of every string value that is the marker."""
    found: list[Tokens] = []
    if index is not None and type(manifest) is dict and not any(
            REDACTED in column for column in (index.paths, index.media_types, index.roles,
                                              index.sha256)):
        # the index's strings are its columns: only the rest is walked for a marker
        if not _holds_marker({k: v for k, v in manifest.items() if k != "files"}):
            return found
    elif not _holds_marker(manifest):
        return found
    stack: list[tuple[Tokens, Any]] = [((), manifest)] if type(manifest) in (dict, list) else []
    while stack:
        at, node = stack.pop()
        items = node.items() if type(node) is dict else enumerate(node)
        for key, value in items:
            kind = type(value)
            if kind is str:
                if value == REDACTED:
                    found.append((*at, key))
            elif kind is dict or kind is list:
                stack.append(((*at, key), value))
    return found
