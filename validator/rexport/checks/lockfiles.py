"""The lockfile checks: a pip requirements lockfile includes no other file (ENV-03, R111), and
no two lockfiles pin one package at different versions (ENV-09, R112)."""

from __future__ import annotations

import re
from typing import Any

from rexport.findings import Finding, pointer
from rexport.json_values import select
from rexport.parsing import MAX_PER_CODE

PIP_REQUIREMENTS = "pip-requirements"
# a line whose first characters after blanks are -r, -c or -e (a value attached or not), or
# --requirement, --constraint or --editable followed by a blank, "=" or the end of the line
_INCLUDE = re.compile(r"[ \t]*(?:-[rce]|--(?:requirement|constraint|editable)(?=[ \t=]|$))")


def pip_requirements(manifest: Any) -> frozenset[str]:
    """The paths of the manifest's lockfiles whose format is pip-requirements (any JSON value
    is accepted: the schema check reports what is malformed)."""
    environment = manifest.get("environment") if isinstance(manifest, dict) else None
    locks = environment.get("lockfiles") if isinstance(environment, dict) else None
    if not isinstance(locks, list):
        return frozenset()
    return frozenset(lock["path"] for lock in locks
                     if isinstance(lock, dict) and lock.get("format") == PIP_REQUIREMENTS
                     and isinstance(lock.get("path"), str))


def include_lines(text: str) -> list[int]:
    """The 1-based numbers of the lines of a pip requirements text that include another file."""
    return [n for n, line in enumerate(text.split("\n"), 1) if _INCLUDE.match(line)]


def check_requirements(path: str, data: bytes) -> list[Finding]:
    """R111, in the file ``path``, for each line of its bytes ``data`` that includes another
    file; the packer asks include_lines() the same question before it records a lockfile."""
    lines = include_lines(data.decode("utf-8", "replace"))
    found = [Finding.of("REX-R111", f"line {n} includes another file (-r, -c or -e)", file=path,
                        line=n) for n in lines[:MAX_PER_CODE]]
    if len(lines) > MAX_PER_CODE:
        found.append(Finding.of("REX-R111", f"{len(lines) - MAX_PER_CODE} more not listed",
                                file=path))
    return found


MAX_LOCKFILES = 16  # the first ones compared, each read up to CONFIG_CAP: memory stays bounded


def lockfiles_to_read(manifest: Any) -> dict[str, tuple[int, str]]:
    """The lockfiles whose pins are compared (ENV-09), the first MAX_LOCKFILES in a format
    that is read: path -> (index in lockfiles, format)."""
    from rexport.parsing.lockfiles import READ_FORMATS

    out: dict[str, tuple[int, str]] = {}
    for (*_, index), entry in select(manifest, ("environment", "lockfiles", "*")):
        if len(out) >= MAX_LOCKFILES:
            break
        if isinstance(entry, dict) and isinstance(entry.get("path"), str) \
                and entry.get("format") in READ_FORMATS and isinstance(index, int):
            out.setdefault(entry["path"], (index, entry["format"]))
    return out


def check_lockfiles(manifest: Any, contents: dict[str, bytes]) -> list[Finding]:
    """R112 for each lockfile that pins a package at another version than an earlier lockfile
    of the list does (ENV-09); ``contents`` holds the bytes of the lockfiles read."""
    from rexport.parsing.lockfiles import disagreements, pins

    seen: list[tuple[str, dict[str, Any]]] = []
    out: list[Finding] = []
    for path, (index, fmt) in sorted(lockfiles_to_read(manifest).items(),
                                     key=lambda item: item[1][0]):
        if path not in contents:
            continue
        found = pins(fmt, contents[path], file=path)
        if found is None:
            continue
        for other, earlier in seen:
            differ = disagreements(earlier, found)
            if differ:
                listing = ", ".join(f"{name} {a} vs {b}" for name, a, b in differ[:5])
                out.append(Finding.of(
                    "REX-R112", f"{path!r} and {other!r} pin different versions: {listing}",
                    pointer=pointer("environment", "lockfiles", index, "path")))
                break
        seen.append((path, found))
    return out
