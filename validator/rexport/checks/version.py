"""The version check: rex_version names a major this validator reads (VER-01..03)."""

from __future__ import annotations

import re
from typing import Any

from rexport.checks.spelling import one_edit
from rexport.findings import Finding, pointer
from rexport.json_values import get
from rexport.versions import SPEC_VERSION

_FORM = re.compile(r"(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})")
_MAJOR, _MINOR = (int(part) for part in SPEC_VERSION.split("."))
_WHERE = "/rex_version"


def parse(value: Any) -> tuple[int, int] | None:
    """Return ``(major, minor)`` of a well-formed ``"MAJOR.MINOR"`` string, else None."""
    if not isinstance(value, str):
        return None
    m = _FORM.fullmatch(value)
    return (int(m.group(1)), int(m.group(2))) if m else None


def check(manifest: Any) -> list[Finding]:
    """Return V101 (missing or malformed), V102 (other major) or V103 (newer minor) findings."""
    value = get(manifest, "rex_version")
    version = parse(value)
    if version is None:
        what = "missing" if value is None else "not a \"MAJOR.MINOR\" string"
        return [Finding.of("REX-V101", f"rex_version is {what}", pointer=_WHERE),
                *(_misspelt(manifest) if value is None else [])]
    major, minor = version
    if major != _MAJOR:
        return [Finding.of("REX-V102", f"REX {major}.x is not read by this validator "
                           f"(it reads {_MAJOR}.x)", pointer=_WHERE)]
    if minor > _MINOR:
        return [Finding.of("REX-V103", f"REX {major}.{minor} is newer than {SPEC_VERSION}: "
                           "fields it added are not checked", pointer=_WHERE)]
    return []


def _misspelt(manifest: Any) -> list[Finding]:
    """V104 for each top-level member one edit from rex_version, when rex_version is absent."""
    if not isinstance(manifest, dict):
        return []
    return [Finding.of("REX-V104", f"member {key!r} is not defined; did you mean "
                       "'rex_version'?", pointer=pointer(key))
            for key in manifest if isinstance(key, str) and one_edit(key, "rex_version")]


def judged_by(manifest: Any) -> tuple[int, int]:
    """The version whose rules judge ``manifest`` (VER-02): the 1.m it states when this
    validator knows it, else this validator's own (a newer minor, a missing or malformed
    version, another major, whose rules it does not have)."""
    version = parse(get(manifest, "rex_version"))
    if version is None or version[0] != _MAJOR or version[1] > _MINOR:
        return _MAJOR, _MINOR
    return version


def supported(manifest: Any) -> bool:
    """Tell whether the other checks apply: False only for a readable, unsupported major.

    A missing or malformed version (V101) still lets the checks run, so that one report
    gives every problem.
    """
    version = parse(get(manifest, "rex_version"))
    return version is None or version[0] == _MAJOR
