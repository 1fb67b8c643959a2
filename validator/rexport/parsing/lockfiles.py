"""The exact version pins of a lockfile, by format (spec ENV-03), for comparing lockfiles."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

LOCKFILE_CAP = 16 << 20
# the formats whose pins are read; others are carried and not compared
READ_FORMATS = frozenset({"pip-requirements", "conda-environment", "pylock", "uv-lock",
                          "poetry-lock", "pdm-lock", "pipenv-lock"})

_REQUIREMENT = re.compile(
    r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\s*\[[^\]]*\])?\s*(===?)\s*([A-Za-z0-9][A-Za-z0-9.+!_-]*)"
    r"\s*(;.*)?$")
_CONDA = re.compile(r"^(?:[^:\s]+::)?([A-Za-z0-9][A-Za-z0-9._-]*)\s*(==?)\s*([^=\s,|<>*]+)"
                    r"(?:=[^=\s]*)?$")
_RELEASE = re.compile(r"^v?([0-9]+(?:\.[0-9]+)*)(.*)$")


@dataclass(frozen=True)
class Pin:
    """A pinned version; ``prefix`` when it stands for every version that starts with it
    (conda's ``numpy=1.26`` means 1.26.*), and whether a marker limits it to some machines."""

    version: str
    prefix: bool = False
    conditional: bool = False  # an environment marker limits it to some machines

    def agrees(self, other: Pin) -> bool:
        """True when one version can satisfy both pins."""
        mine, theirs = normal_version(self.version), normal_version(other.version)
        if mine == theirs:
            return True
        if self.prefix and _starts(theirs, mine):
            return True
        return other.prefix and _starts(mine, theirs)


def _starts(version: str, prefix: str) -> bool:
    return version.startswith(prefix + ".")


def normal_name(name: str) -> str:
    """A distribution name as PEP 503 compares it: lower case, runs of -_. made one -."""
    return re.sub(r"[-_.]+", "-", name).lower()


def normal_version(version: str) -> str:
    """A version with a leading v and trailing zero release segments dropped (1.0 == 1.0.0)."""
    text = version.strip().lower()
    match = _RELEASE.match(text)
    if match is None:
        return text
    parts = match[1].split(".")
    while len(parts) > 1 and int(parts[-1]) == 0:
        parts.pop()
    return ".".join(str(int(p)) for p in parts) + match[2]


def logical_lines(text: str) -> Iterator[str]:
    """A requirements file's lines as pip reads them: continuations joined, comments dropped."""
    pending = ""
    for raw in text.splitlines():
        line = pending + raw
        if line.endswith("\\"):
            pending = line[:-1]
            continue
        pending = ""
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if line:
            yield line
    if pending.strip():
        yield pending.strip()


def requirement_pins(text: str) -> dict[str, Pin]:
    """The ``name==version`` pins of a pip requirements file (options and ranges are skipped)."""
    found: dict[str, Pin] = {}
    for line in logical_lines(text):
        requirement = line.split(" --", 1)[0].strip()  # per-requirement options: --hash=...
        match = _REQUIREMENT.match(requirement)
        if match:
            found[normal_name(match[1])] = Pin(match[3], conditional=match[4] is not None)
    return found


def _conda_pins(document: Any) -> dict[str, Pin]:
    found: dict[str, Pin] = {}
    dependencies = document.get("dependencies") if isinstance(document, dict) else None
    for item in dependencies if isinstance(dependencies, list) else []:
        if isinstance(item, str):
            match = _CONDA.match(item.strip())
            if match:
                found[normal_name(match[1])] = Pin(match[3], prefix=match[2] == "=")
        elif isinstance(item, dict) and isinstance(item.get("pip"), list):
            found.update(requirement_pins("\n".join(str(p) for p in item["pip"])))
    return found


def _table_pins(packages: Any) -> dict[str, Pin]:
    found: dict[str, Pin] = {}
    for item in packages if isinstance(packages, list) else []:
        if isinstance(item, dict) and isinstance(item.get("name"), str) \
                and isinstance(item.get("version"), str):
            found[normal_name(item["name"])] = Pin(item["version"])
    return found


def _pipenv_pins(document: Any) -> dict[str, Pin]:
    found: dict[str, Pin] = {}
    for group in ("default", "develop"):
        table = document.get(group) if isinstance(document, dict) else None
        for name, entry in (table.items() if isinstance(table, dict) else []):
            version = entry.get("version") if isinstance(entry, dict) else None
            if isinstance(version, str) and version.startswith("=="):
                found[normal_name(str(name))] = Pin(version.lstrip("="))
    return found


def pins(fmt: str, data: bytes, *, file: str) -> dict[str, Pin] | None:
    """The exact pins of a lockfile of format ``fmt``, by normalised name; None when the
    format is not one of READ_FORMATS or the file cannot be parsed."""
    from rexport import parsing
    from rexport.parsing.toml_text import load_toml

    if fmt not in READ_FORMATS or len(data) > LOCKFILE_CAP:
        return None
    if fmt == "pip-requirements":
        text, _ = parsing.decode_utf8(data, file=file)
        return None if text is None else requirement_pins(text)
    if fmt == "conda-environment":
        document, findings = parsing.load_yaml(data, file=file, max_bytes=LOCKFILE_CAP)
        return None if findings or document is None else _conda_pins(document)
    if fmt == "pipenv-lock":
        document, findings = parsing.load_json(data, file=file, max_bytes=LOCKFILE_CAP)
        return None if findings else _pipenv_pins(document)
    table, _ = load_toml(data, file=file, max_bytes=LOCKFILE_CAP)
    if table is None:
        return None
    return _table_pins(table.get("packages" if fmt == "pylock" else "package"))


def disagreements(first: Mapping[str, Pin], second: Mapping[str, Pin]
                  ) -> list[tuple[str, str, str]]:
    """(name, first's version, second's version) for each package the two pin differently."""
    return [(name, first[name].version, second[name].version)
            for name in sorted(set(first) & set(second))
            if not first[name].agrees(second[name])]


def installed_disagreements(pinned: Mapping[str, Pin], installed: Iterable[tuple[str, str]],
                            *, every: bool) -> list[tuple[str, str, str | None]]:
    """(name, pinned version, installed version or None) for each pin the installed packages
    do not satisfy; with ``every``, a pinned package that is not installed counts too."""
    have = {normal_name(name): version for name, version in installed}
    out: list[tuple[str, str, str | None]] = []
    for name in sorted(pinned):
        if name in have:
            if not pinned[name].agrees(Pin(have[name])):
                out.append((name, pinned[name].version, have[name]))
        elif every and not pinned[name].conditional:
            out.append((name, pinned[name].version, None))
    return out
