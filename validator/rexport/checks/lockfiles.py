"""The lockfile check (ENV-03): a pip requirements lockfile includes no other file (R111)."""

from __future__ import annotations

import re
from typing import Any

from rexport.findings import Finding
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
