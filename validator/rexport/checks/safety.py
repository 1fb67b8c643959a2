"""Safety of the manifest's own paths: every files[].path obeys the path rules, no twins."""

from __future__ import annotations

from typing import Any

from rexport.findings import Finding, pointer
from rexport.paths import TwinFinder, display, path_problems


def check_manifest_paths(manifest: dict[str, Any]) -> list[Finding]:
    """Return X1xx findings for ``files[].path`` (pointer /files/N/path); never raises.

    Each path is judged by rexport.paths.path_problems; a path equal to an earlier one
    after NFC and case folding gives REX-X108 (case) or REX-X109 (normalisation).
    Malformed entries are left to the schema check.
    """
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, list):
        return []
    found: list[Finding] = []
    finder = TwinFinder()
    for position, item in enumerate(files):
        path = item.get("path") if isinstance(item, dict) else None
        if not isinstance(path, str):
            continue
        where = pointer("files", position, "path")
        for code, message in path_problems(path):
            found.append(Finding.of(code, message, pointer=where))
        twin = finder.add(path)
        if twin is not None:
            code, earlier = twin
            found.append(Finding.of(code, f"'{display(path)}' collides with "
                                          f"'{display(earlier)}'", pointer=where))
    return found
