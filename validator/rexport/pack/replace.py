"""What `pack --force` may replace: an earlier export or an empty folder, nothing else."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from rexport.pack.errors import PackError
from rexport.paths import display

_LISTED = 10
_ADVICE = ("--force replaces only an earlier export (a folder or archive with rex.json) or an "
           "empty folder: move what you want to keep, or choose another output")


def _manifest(out: Path) -> dict[str, Any] | None:
    """The manifest of the export at ``out``, None when it holds no readable one."""
    from rexport.parsing import load_json
    from rexport.sources import open_source

    try:
        with open_source(out) as source:
            data = source.manifest_bytes()
        document, problems = load_json(data) if data is not None else (None, [])
    except Exception:  # whatever cannot be read as an export is no export to replace
        return None
    return document if isinstance(document, dict) and not problems else None


def _strangers(out: Path, manifest: dict[str, Any]) -> list[str]:
    """What the folder holds besides rex.json and the files its index lists."""
    files = manifest.get("files")
    indexed = {f.get("path") for f in files if isinstance(f, dict)} if isinstance(files,
                                                                                  list) else set()
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(out, followlinks=False):
        base = Path(dirpath)
        for name in [*dirnames, *filenames]:
            rel = (base / name).relative_to(out).as_posix()
            mode = (base / name).lstat().st_mode
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode) or (rel not in indexed and rel != "rex.json"):
                found.append(rel)
    return sorted(found)


def check_replaceable(out: Path) -> None:
    """Raise PackError unless ``out`` is absent, an empty folder, or an export whose every file
    the export made: a file the person put there must never be deleted by an overwrite."""
    try:
        mode = out.lstat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        raise PackError(f"{out} is a symbolic link; {_ADVICE}")
    if stat.S_ISDIR(mode) and not any(out.iterdir()):
        return
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        raise PackError(f"{out} is neither a folder nor a regular file; {_ADVICE}")
    manifest = _manifest(out)
    if manifest is None:
        raise PackError(f"{out} exists and is not a REX export; {_ADVICE}")
    if stat.S_ISDIR(mode):
        try:
            strangers = _strangers(out, manifest)
        except OSError as exc:
            raise PackError(f"{out} cannot be listed: {exc.strerror}; {_ADVICE}") from None
        if strangers:
            more = f" and {len(strangers) - _LISTED} more" if len(strangers) > _LISTED else ""
            listing = ", ".join(display(name) for name in strangers[:_LISTED])
            raise PackError(f"{out} holds files that are not part of its export "
                            f"({listing}{more}); {_ADVICE}")
