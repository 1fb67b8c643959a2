"""The environment section's lockfiles: the project's that match the run, else pins of our own."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rexport.checks.lockfiles import PIP_REQUIREMENTS, include_lines
from rexport.pack import reproduce
from rexport.pack.errors import PackError
from rexport.pack.members import Member, open_regular
from rexport.parsing import lockfiles as parsed
from rexport.versions import __version__

REQUIREMENTS_PATH = "environment/requirements.txt"
PIP_FORMATS = frozenset({"pip-requirements", "pylock", "uv-lock", "poetry-lock", "pdm-lock",
                         "pipenv-lock"})
_IMPORT = re.compile(rb"^[ \t]*(?:from|import)[ \t]+rexport\b", re.MULTILINE)
_SCAN_CAP = 1 << 20


@dataclass
class Choice:
    """The lockfiles that describe the run's environment, those left as plain files, and why."""

    used: list[tuple[Path, str]] = field(default_factory=list)
    unused: list[tuple[Path, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _read(path: Path) -> bytes | None:
    # discovery found a regular file that is not a link; the same is required here, when it
    # is opened, in case the tree changed in between (a FIFO would block the packer for ever)
    try:
        with open_regular(path, "lockfile") as fp:
            return fp.read(parsed.LOCKFILE_CAP + 1)
    except (OSError, PackError):
        return None


def choose(found: Sequence[tuple[Path, str]], packages: Sequence[Mapping[str, Any]] | None,
           python: str | None) -> Choice:
    """Split ``found`` into the lockfiles whose exact pins the recorded ``packages`` (and
    ``python``) satisfy and the others. A lockfile whose pins cannot be read is kept only when
    none can be judged; without recorded packages every lockfile is kept, unjudged."""
    choice = Choice()
    if not packages:
        choice.used = list(found)
        return choice
    installed = [(str(p["name"]), str(p["version"])) for p in packages]
    if python:
        installed.append(("python", python))
    unread: list[tuple[Path, str]] = []
    pins: dict[Path, dict[str, parsed.Pin]] = {}
    for local, kind in found:
        data = _read(local)
        got = parsed.pins(kind, data, file=local.name) if data is not None else None
        if got is None:
            unread.append((local, kind))
            continue
        pins[local] = got
        wrong = parsed.installed_disagreements(got, installed, every=kind in PIP_FORMATS)
        if wrong:
            listing = ", ".join(f"{name} {want} (the run used {have or 'none'})"
                                for name, want, have in wrong[:3])
            choice.unused.append((local, kind))
            choice.warnings.append(f"lockfile {local.name} does not match the environment the "
                                   f"run used ({listing}): kept as a file, not as the recipe")
        else:
            choice.used.append((local, kind))
    (choice.used if not pins else choice.unused).extend(unread)
    choice.warnings += conflicts(pins)
    return choice


def conflicts(pins: Mapping[Path, Mapping[str, parsed.Pin]]) -> list[str]:
    """A REX-R112 warning for each pair of lockfiles that pin one package differently."""
    out = []
    items = sorted(pins.items())
    for i, (first, a) in enumerate(items):
        for second, b in items[i + 1:]:
            differ = parsed.disagreements(a, b)
            if differ:
                listing = ", ".join(f"{name} {x} vs {y}" for name, x, y in differ[:3])
                out.append(f"REX-R112: {first.name} and {second.name} pin different "
                           f"versions: {listing}")
    return out


def imports_rexport(files: Iterable[Path]) -> bool:
    """True when a Python file among ``files`` imports rexport: the replay then needs it."""
    for path in files:
        if path.suffix != ".py":
            continue
        try:
            with open(path, "rb") as fp:
                if _IMPORT.search(fp.read(_SCAN_CAP)):
                    return True
        except OSError:
            continue
    return False


def _includes_others(path: Path) -> bool:
    """Whether a pip requirements file includes other files (-r, -c, -e; spec ENV-03)."""
    data = _read(path)
    return data is None or bool(include_lines(data.decode("utf-8", "replace")))


def _pins_rexport(path: Path, kind: str) -> bool:
    data = _read(path)
    got = parsed.pins(kind, data, file=path.name) if data is not None else None
    return got is not None and "rexport" in got


def index_pins(packages: Sequence[Mapping[str, Any]], needs_rexport: bool
               ) -> list[Mapping[str, Any]]:
    """The recorded packages a requirements file pins: those installed from an index, and
    rexport when the code imports it (added at this version when it was not recorded)."""
    keep = {"rexport"} if needs_rexport else set()
    pinned = [p for p in packages if "source" not in p or parsed.normal_name(p["name"]) in keep]
    if needs_rexport and packages and not any(parsed.normal_name(p["name"]) == "rexport"
                                              for p in pinned):
        pinned.append({"name": "rexport", "version": __version__})
    return sorted(pinned, key=lambda p: str(p["name"]))


def _hashes(pinned: Sequence[Mapping[str, Any]], warnings: list[str]
            ) -> dict[str, list[str]] | None:
    from rexport.pack import dist_hashes

    found, missing = dist_hashes.fetch([(str(p["name"]), str(p["version"])) for p in pinned])
    if missing:
        # pip checks the hashes of every requirement or of none: a partial set is no use
        warnings.append(f"{REQUIREMENTS_PATH} is written without hashes: no wheel of "
                        f"{', '.join(missing[:5])} could be had (pip download)")
        return None
    for package in pinned:
        hashes = found.get(parsed.normal_name(str(package["name"])))
        if hashes and isinstance(package, dict):
            package["hashes"] = hashes
    return found


def section_lockfiles(section: dict[str, Any], found: Sequence[tuple[Path, str]], *,
                      snapshot: Mapping[Path, Member], add: Callable[[Member], str],
                      needs_rexport: bool, want_hashes: bool
                      ) -> tuple[list[dict[str, str]], list[str], list[str]]:
    """The ``lockfiles`` entries for ``section``, the warnings to show, and advice (what a
    reviewer would like added).

    The project's lockfiles that match the run are listed; the others stay files (their
    snapshot copy, else one under environment/). Without a pip lockfile among those listed,
    a requirements file pins the recorded packages installed from an index, and rexport too
    when the code imports it (pinned by version, so that a replay gets it from an index),
    with the hashes of their wheels when ``want_hashes`` and every one can be had.
    """
    packages = section.get("packages")
    # a requirements file that includes others is no lockfile by ENV-03 (REX-R111): listed, the
    # export would be refused, so it stays a plain file
    found = [(local, kind) for local, kind in found
             if not (kind == PIP_REQUIREMENTS and _includes_others(local))]
    choice = choose(found, packages, (section.get("python") or {}).get("version"))
    warnings = list(choice.warnings)
    advice: list[str] = []
    entries = []
    for local, kind in [*choice.used, *choice.unused]:
        resolved = local.resolve()
        if resolved in snapshot:
            path = snapshot[resolved].path
        else:
            path = add(Member(f"environment/{local.name}", "environment", resolved))
        if (local, kind) in choice.used:
            entries.append({"path": path, "format": kind})
            if kind == "pip-requirements" and b"--hash" not in (_read(local) or b""):
                advice.append(f"{local.name} pins no hashes, so a replay cannot check what it "
                              "installs: pip-compile --generate-hashes writes them")
            if needs_rexport and kind in PIP_FORMATS and not _pins_rexport(local, kind):
                warnings.append(f"the code imports rexport and {local.name} does not pin it: "
                                f"a replay will not find it; add rexport=={__version__}")
    if not any(e["format"] == "pip-requirements" for e in entries):
        pinned = index_pins(packages or [], needs_rexport)
        hashes = _hashes(pinned, warnings) if want_hashes else None
        if pinned and not want_hashes:
            advice.append(f"{REQUIREMENTS_PATH} pins no hashes, so a replay cannot check "
                          "what it installs: --hashes records each wheel's sha256")
        data = reproduce.requirements(pinned, keep={"rexport"}, hashes=hashes)
        if data:
            entries.append({"path": add(Member(REQUIREMENTS_PATH, "environment", data)),
                            "format": "pip-requirements"})
    entries.sort(key=lambda lock: lock["path"].encode("utf-8"))  # spec PKG-03
    return entries, warnings, advice
