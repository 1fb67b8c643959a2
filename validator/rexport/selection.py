"""Which finding codes a run reports: --select and --ignore, by code, prefix or family."""

from __future__ import annotations

from collections.abc import Iterable

from rexport.findings import CATALOGUE, EXTENSION_FAMILIES, CodeFilter


def code_filter(select: Iterable[str], ignore: Iterable[str]) -> CodeFilter:
    """Return reported(code) for --select/--ignore values; raise ValueError for one naming no
    code.

    REX-U findings (the input could not be read) are always kept: hiding them would turn
    an unreadable input into a valid one.
    """
    chosen, dropped = _prefixes(select), _prefixes(ignore)

    def reported(code: str) -> bool:
        if code.startswith("REX-U"):
            return True
        if chosen and not code.startswith(chosen):
            return False
        return not (dropped and code.startswith(dropped))

    return reported


def skipped_families(reported: CodeFilter) -> tuple[str, ...]:
    """The check families of the spec that ``reported`` leaves out, wholly or in part."""
    return tuple(sorted({entry.family for entry in CATALOGUE.values()
                         if entry.family not in EXTENSION_FAMILIES and not reported(entry.code)}))


def _prefixes(values: Iterable[str]) -> tuple[str, ...]:
    families: dict[str, list[str]] = {}
    for entry in CATALOGUE.values():
        families.setdefault(entry.family, []).append(entry.code)
    out: list[str] = []
    for raw in values:
        value = raw.strip()
        if value.lower() in families:
            out.extend(families[value.lower()])
            continue
        prefix = value.upper()
        if not prefix.startswith("REX"):
            prefix = "REX-" + prefix
        if not any(code.startswith(prefix) for code in CATALOGUE):
            raise ValueError(f"{raw!r} names no finding code or family")
        out.append(prefix)
    return tuple(out)
