"""The installed distributions: each found where its metadata lies, read for its name and
version alone (what environment.packages records)."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where a distribution is not found on disk (a zip)
    from importlib import metadata


def normalise(name: str) -> str:
    """A distribution's name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _source(dist: metadata.Distribution | Path) -> str | None:
    # PEP 610: only the kind is kept; the URL may be a local path or carry credentials
    try:
        text = (_read(dist / "direct_url.json") if isinstance(dist, Path)
                else dist.read_text("direct_url.json"))
        info = json.loads(text) if text else None
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict):
        return None
    if "dir_info" in info:
        return "local"
    return "vcs" if "vcs_info" in info else "url"


def _read(path: str | Path, size: int = -1) -> str | None:
    """The text of the file ``path`` (its first ``size`` characters), None when there is none."""
    try:
        with open(path, encoding="utf-8") as fp:
            return fp.read(size)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


# a Name or Version line of a metadata file's header block (core metadata, RFC 822 style)
_HEADER = re.compile(r"^(name|version)[ \t]*:[ \t]*(.*?)\r?$", re.IGNORECASE | re.MULTILINE)


def name_version(dist: metadata.Distribution | Path) -> tuple[str | None, str | None]:
    """The Name and Version of ``dist`` (a distribution, or where its metadata lies) as
    ``dist.metadata`` gives them, read from the header block alone: the email parser would
    read the whole file, long description and all, and does so for each of hundreds of
    distributions. (None, None) when its metadata cannot be read."""
    folder = dist if isinstance(dist, Path) else getattr(dist, "_path", None)
    try:
        # the first lines hold both, as a rule: else the whole file
        start = _start(folder) if isinstance(folder, Path) else None
        found = _headers(start) if start is not None else {}
        if "name" not in found or "version" not in found:
            found = _headers(_whole(dist) or "")
    except (OSError, ValueError):  # unreadable, or not UTF-8: nothing to pin
        return None, None
    return found.get("name"), found.get("version")


def _whole(dist: metadata.Distribution | Path) -> str | None:
    if not isinstance(dist, Path):
        return dist.read_text("METADATA") or dist.read_text("PKG-INFO")
    if dist.is_file():  # an .egg-info file is the metadata itself
        return _read(dist)
    return _read(dist / "METADATA") or _read(dist / "PKG-INFO")


def _headers(text: str) -> dict[str, str]:
    """The first Name and Version of the header block (before the first blank line: the
    body's description may quote headers)."""
    ends = [at for at in (text.find("\n\n"), text.find("\n\r\n")) if at >= 0]
    found: dict[str, str] = {}
    for match in _HEADER.finditer(text, 0, min(ends) if ends else len(text)):
        found.setdefault(match[1].lower(), match[2])
        if len(found) == 2:
            break
    return found


def _start(folder: Path) -> str | None:
    """The first lines of the metadata file in ``folder`` (or of ``folder``, an .egg-info
    file), else None."""
    for path in (os.path.join(folder, "METADATA"), os.path.join(folder, "PKG-INFO"), folder):
        text = _read(path, _START)
        if text is not None:
            # a cut line might be a header cut short: keep only whole lines
            return text if len(text) < _START else text[:text.rfind("\n") + 1]
    return None


# Name and Version are the second and third lines, as a rule: this much holds both
_START = 2048


def distributions() -> Iterator[metadata.Distribution | Path]:
    """Every distribution on sys.path, in the order of ``importlib.metadata.distributions()``:
    for a folder of sys.path, where the metadata of each lies, found by listing it (sorted);
    for anything else (a zip), or where another finder adds distributions, importlib's.

    importlib.metadata costs a pack some 10 ms to import (the email package) and more to
    search: this is the listing it makes, without the objects made for each name.
    """
    from importlib.machinery import PathFinder

    if any(finder is not PathFinder and hasattr(finder, "find_distributions")
           for finder in sys.meta_path):
        from importlib import metadata

        yield from metadata.distributions()
        return
    for entry in sys.path:
        if not isinstance(entry, str):
            continue
        try:
            names = sorted(os.listdir(entry or "."))
        except NotADirectoryError:
            from importlib import metadata

            yield from metadata.distributions(path=[entry])
            continue
        except OSError:
            continue
        # as importlib's Lookup: the .dist-info and .egg-info, then an egg's EGG-INFO
        yield from (Path(entry, name) for name in names
                    if name.lower().endswith((".dist-info", ".egg-info")))
        if os.path.basename(entry).lower().endswith(".egg"):
            yield from (Path(entry, name) for name in names if name.lower() == "egg-info")


def installed_packages() -> list[dict[str, Any]]:
    """Every importable distribution (first on sys.path wins), sorted by name.

    ``source`` is set for distributions not installed from an index (local, vcs, url).
    """
    seen: dict[str, dict[str, Any]] = {}
    for dist in distributions():
        name, version = name_version(dist)
        if not name or not version or normalise(name) in seen:
            continue  # broken metadata: nothing to pin
        entry: dict[str, Any] = {"name": name, "version": version}
        source = _source(dist)
        if source:
            entry["source"] = source
        seen[normalise(name)] = entry
    return sorted(seen.values(), key=lambda p: str(p["name"]))  # spec PKG-03: by name
