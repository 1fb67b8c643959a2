"""Safety of the manifest's own paths: every member holding a path obeys the path rules, and
files[] has no twins."""

from __future__ import annotations

from typing import Any

from rexport.findings import Finding, pointer
from rexport.json_values import IndexColumns, Tokens, as_list, get, select
from rexport.paths import TwinFinder, display, path_problems, plain

# Every member but files[].path that holds a path (spec EXP-08's table), "*" for each item
# of an array. A directory (code.snapshot.root) is judged without its one final "/".
PATH_MEMBERS: tuple[Tokens, ...] = (
    ("code", "snapshot", "root"),
    ("code", "vcs", "diff"),
    ("code", "entry_points", "*", "path"),
    ("data", "datasets", "*", "embedded", "paths", "*"),
    ("data", "splits", "*", "path"),
    ("lineage", "steps", "*", "code", "path"),
    ("lineage", "steps", "*", "inputs", "*", "file"),
    ("lineage", "steps", "*", "outputs", "*", "file"),
    ("environment", "lockfiles", "*", "path"),
    ("environment", "reproduce", "path"),
    ("config", "path"),
    ("config", "hyperparameters_schema"),
    ("results", "artifacts", "*", "path"),
    ("replay", "working_directory"),
    ("replay", "metrics_file"),
)
_DIRECTORY = ("code", "snapshot", "root")
_ROOT = ("replay", "working_directory")  # "." names the export's root there (RPL-01)


def check_member_paths(manifest: dict[str, Any]) -> list[Finding]:
    """Return X1xx findings for every member of PATH_MEMBERS whose value is a string that
    breaks a path rule, at the member's pointer; never raises. Other types are the schema's."""
    found: list[Finding] = []
    for member in PATH_MEMBERS:
        for tokens, value in select(manifest, member):
            if not isinstance(value, str) or (member == _ROOT and value == "."):
                continue
            path = value[:-1] if member == _DIRECTORY and value.endswith("/") else value
            problems = path_problems(path)
            if problems:
                where = pointer(*tokens)
                found.extend(Finding.of(code, message, pointer=where)
                             for code, message in problems)
    return found


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
