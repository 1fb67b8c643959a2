"""Safety of the manifest's own paths: every files[].path obeys the path rules, no twins."""

from __future__ import annotations

from typing import Any

from rexport.findings import Finding, pointer
from rexport.json_values import IndexColumns, as_list, get
from rexport.paths import TwinFinder, display, path_problems, plain


def paths_clean(names: list[str]) -> bool:
    """True when every path of ``names`` is of the common form and no two are alike (ASCII:
    folding is lower-casing): nothing to report, found without a Python step per path.
    False says nothing: check_manifest_paths then judges each path."""
    return plain(names) and len(set("\n".join(names).lower().split("\n"))) == len(names)


def check_manifest_paths(manifest: dict[str, Any], *, index: IndexColumns | None = None,
                         clean: bool | None = None) -> list[Finding]:
    """Return X1xx findings for ``files[].path`` (pointer /files/N/path); never raises.

    Each path is judged by rexport.paths.path_problems; a path equal to an earlier one
    after NFC and case folding gives REX-X108 (case) or REX-X109 (normalisation).
    Malformed entries are left to the schema check. ``index``: the manifest's ``files`` as
    columns, when the caller has them; ``clean``: what paths_clean says of its paths, when
    the caller knows it already.
    """
    files = as_list(get(manifest, "files"))
    names = index.paths if index is not None else [
        p for p in (item.get("path") if isinstance(item, dict) else None for item in files)
        if isinstance(p, str)]
    if clean if clean is not None and index is not None else paths_clean(names):
        return []
    found: list[Finding] = []
    finder = TwinFinder()
    add = finder.add
    for position, item in enumerate(files):
        path = item.get("path") if isinstance(item, dict) else None
        if not isinstance(path, str):
            continue
        # the pointer is only built for a path with something to report: most have nothing
        problems = path_problems(path)
        twin = add(path)
        if problems or twin is not None:
            where = pointer("files", position, "path")
            found.extend(Finding.of(code, message, pointer=where) for code, message in problems)
            if twin is not None:
                code, earlier = twin
                found.append(Finding.of(code, f"'{display(path)}' collides with "
                                              f"'{display(earlier)}'", pointer=where))
    return found
