"""Integrity: file sizes, every recorded digest, weak-only digest sets, the export digest."""

from __future__ import annotations

from typing import Any

from rexport.canonical import export_digest
from rexport.checks.completeness import IndexEntry
from rexport.digests import HEX, PARTS, SUPPORTED, WEAK, part_count, parts_of, well_formed
from rexport.findings import Finding, pointer
from rexport.json_values import IndexColumns

_SHA256 = ("sha256",)


def algorithms(entry: IndexEntry) -> tuple[str, ...]:
    """The algorithms to verify for ``entry``: every supported one recorded as well-formed hex.

    Malformed values are left to the schema check: hashing to compare against them would
    only add a second finding for the same mistake.
    """
    digests = entry.digests
    if len(digests) == 1:  # the common case, sha256 alone
        value = digests.get("sha256")
        if type(value) is str and len(value) == 64 and not value.strip(HEX):
            return _SHA256
        ((name, value),) = digests.items()
        return (name,) if well_formed(name, value) else ()
    # the entry's own keys: cheaper than trying every supported name
    return tuple(sorted((a for a, v in digests.items() if well_formed(a, v)),
                        key=SUPPORTED.index))


def check_weak(entry: IndexEntry) -> list[Finding]:
    """REX-I103 when the digests recorded for ``entry`` are md5/sha1 only."""
    if "sha256" in entry.digests:
        return []  # the common case: a strong digest is there
    recorded = {a for a in entry.digests if a in SUPPORTED}
    if recorded and recorded <= WEAK:
        return [Finding.of(
            "REX-I103", f"{entry.path!r} has only weak digests ({', '.join(sorted(recorded))})",
            pointer=pointer("files", entry.position, "digests"))]
    return []


def check_size(entry: IndexEntry, actual: int, *, more: bool = False) -> list[Finding]:
    """REX-I101 when ``actual`` differs from the indexed size (unknown sizes are the schema's).

    ``more`` says reading stopped early: the file holds at least ``actual`` bytes.
    """
    if entry.size is None or (entry.size == actual and not more):
        return []
    found = f"more than {entry.size}" if more else str(actual)
    return [Finding.of(
        "REX-I101", f"{entry.path!r} is {found} bytes, the index says {entry.size}",
        pointer=pointer("files", entry.position, "size"))]


def check_digests(entry: IndexEntry, computed: dict[str, str]) -> list[Finding]:
    """REX-I102 for each algorithm whose recorded digest differs from ``computed``."""
    found = []
    for name, actual in computed.items():
        recorded = entry.digests.get(name)
        if isinstance(recorded, str) and recorded.lower() != actual:
            found.append(Finding.of(
                "REX-I102",
                f"{entry.path!r}: {name} is {actual}, the index says {recorded}",
                pointer=pointer("files", entry.position, "digests", name)))
    return found


def check_export_digest(manifest: dict[str, Any], *, index: IndexColumns | None = None
                        ) -> tuple[str | None, list[Finding]]:
    """Recompute the export digest; return (it, [REX-I104] when the recorded one differs).

    The digest is None when the manifest cannot be put in canonical form (numbers outside
    the range RFC 8785 allows); that too is a mismatch, since no digest can match it.
    A missing or non-string ``export_digest`` is left to the schema check. ``index``: the
    manifest's ``files`` as columns, when the caller has them (canonical.export_digest).
    """
    recorded = manifest.get("export_digest")
    try:
        actual: str | None = export_digest(manifest, index=index)
    except ValueError as exc:  # rfc8785's errors: integers beyond 2**53, lone surrogates
        actual = None
        reason = f"the manifest has no canonical form ({type(exc).__name__}: {exc})"
    if not isinstance(recorded, str):
        return actual, []
    if actual is None:
        return None, [Finding.of("REX-I104", reason, pointer=pointer("export_digest"))]
    if recorded == actual:
        return actual, []
    return actual, [Finding.of(
        "REX-I104", f"export_digest is {recorded}, the manifest's canonical form gives {actual}",
        pointer=pointer("export_digest"))]


def check_parts(entry: IndexEntry, size: int, computed: list[str]) -> list[Finding]:
    """REX-I102 for each part of ``sha256-parts`` whose digest differs from ``computed`` (the
    parts of the ``size`` bytes read), or at the member itself when the count cannot be that
    of the file (spec DIG-05)."""
    parsed = parts_of(entry.digests.get(PARTS))
    if parsed is None:
        return []
    part_size, recorded = parsed
    at = ("files", entry.position, "digests", PARTS)
    if len(recorded) != part_count(size, part_size):
        return [Finding.of(
            "REX-I102", f"{entry.path!r}: {len(recorded)} parts of {part_size} bytes cannot "
            f"make {size} bytes", pointer=pointer(*at))]
    return [Finding.of("REX-I102", f"{entry.path!r}: part {i} is {actual}, the index says "
                       f"{expected}", pointer=pointer(*at, "digests", i))
            for i, (expected, actual) in enumerate(zip(recorded, computed, strict=False))
            if expected != actual]
