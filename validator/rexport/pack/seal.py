"""Seal a hand-edited export directory: sizes, digests and export_digest recomputed, atomically."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rexport.canonical import export_digest
from rexport.digests import SUPPORTED, hash_stream
from rexport.jobs import default_jobs
from rexport.limits import MANIFEST_CAP
from rexport.pack.errors import PackError
from rexport.pack.manifest import to_bytes
from rexport.pack.members import media_type_for
from rexport.paths import MANIFEST, display, path_problems

_ROLES = {"code": "code", "data": "data", "environment": "environment", "config": "config",
          "results": "result", "narrative": "narrative"}
_LISTED = 10
_OPEN = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


@dataclass
class Sealed:
    """What sealing changed: the entries whose size or digests were updated, those added,
    and the export digest now recorded."""

    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    export_digest: str = ""


def _listing(names: list[str]) -> str:
    shown = ", ".join(display(n) for n in sorted(names)[:_LISTED])
    return shown + (f" and {len(names) - _LISTED} more" if len(names) > _LISTED else "")


def _walk(root: Path) -> Iterator[str]:
    """The relative paths of the regular files under ``root``; PackError for anything else."""
    odd: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in sorted(dirnames):
            if os.path.islink(os.path.join(dirpath, name)):
                odd.append(os.path.relpath(os.path.join(dirpath, name), root))
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            if not stat.S_ISREG(os.lstat(full).st_mode):
                odd.append(rel)
            elif rel != MANIFEST:
                yield rel
    if odd:
        raise PackError(f"links and special files cannot be sealed: {_listing(odd)}")


def _read_manifest(root: Path) -> dict[str, Any]:
    from rexport.parsing import load_json

    path = root / MANIFEST
    try:
        fd = os.open(path, _OPEN)
    except OSError as exc:
        raise PackError(f"no readable {MANIFEST} in {root}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as fp:
        if not stat.S_ISREG(os.fstat(fp.fileno()).st_mode):
            raise PackError(f"{path} is not a regular file")
        data = fp.read(MANIFEST_CAP + 1)
    document, findings = load_json(data, file=MANIFEST)
    errors = [f for f in findings if f.severity.value == "error"]
    if errors:
        raise PackError(f"{MANIFEST} cannot be sealed: {errors[0].code} {errors[0].message}")
    if not isinstance(document, dict):
        raise PackError(f"{MANIFEST} is not a JSON object")
    entries = document.get("files")
    if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("path"), str) for e in entries):
        raise PackError(f"{MANIFEST} needs a files list of entries with a path to be sealed")
    return document


def _hash(root: Path, rel: str, algorithms: list[str]) -> tuple[int, dict[str, str]]:
    fd = os.open(root.joinpath(*rel.split("/")), _OPEN)
    with os.fdopen(fd, "rb") as fp:
        return hash_stream(fp, algorithms)


def _new_entry(rel: str) -> dict[str, Any]:
    return {"path": rel, "media_type": media_type_for(rel),
            "role": _ROLES.get(rel.split("/", 1)[0], "other"), "digests": {"sha256": ""}}


def seal(root: Path, *, add: bool = False, jobs: int | None = None) -> Sealed:
    """Recompute the size and every listed digest of each file of the export directory
    ``root``, then its export_digest, and rewrite rex.json atomically.

    A file that is in the folder but not in the index is refused, unless ``add`` (then it is
    listed, its role guessed from its first folder); a listed file that is missing, a path
    the spec forbids, a link or a special file are refused. Raises PackError, changing
    nothing, when it refuses. ``jobs`` files are hashed at once (None: the processors this
    process may use).
    """
    if root.is_symlink() or not root.is_dir():
        raise PackError(f"{root} is not an export directory (archives are sealed by re-packing)")
    manifest = _read_manifest(root)
    entries: list[dict[str, Any]] = manifest["files"]
    listed = [e["path"] for e in entries]
    if len(set(listed)) != len(listed):
        raise PackError("the index lists a path twice: remove the duplicate entry")
    present = set(_walk(root))
    unsafe = [p for p in present | set(listed) if path_problems(p)]
    if unsafe:
        raise PackError(f"paths the spec forbids (EXP-08): {_listing(unsafe)}")
    missing = sorted(set(listed) - present)
    if missing:
        raise PackError(f"listed but not in {root}: {_listing(missing)}; restore them or "
                        "remove their entries")
    unlisted = sorted(present - set(listed))
    if unlisted and not add:
        raise PackError(f"not in the index: {_listing(unlisted)}; pass --add to list them")
    result = Sealed(added=unlisted)
    if unlisted:
        entries.extend(_new_entry(rel) for rel in unlisted)
        entries.sort(key=lambda e: e["path"].encode("utf-8"))  # spec PKG-03
    plans = []
    for entry in entries:
        recorded = entry["digests"] if isinstance(entry.get("digests"), dict) else {}
        algorithms = ["sha256", *sorted(a for a in recorded if a in SUPPORTED and a != "sha256")]
        plans.append((entry, algorithms))
    with ThreadPoolExecutor(max_workers=default_jobs() if jobs is None else jobs) as pool:
        hashed = list(pool.map(lambda plan: _hash(root, plan[0]["path"], plan[1]), plans))
    for (entry, _), (size, digests) in zip(plans, hashed, strict=True):
        before = (entry.get("size"), entry.get("digests"))
        entry["size"] = size
        entry["digests"] = {**(entry.get("digests") or {}), **digests}
        if before != (entry["size"], entry["digests"]) and entry["path"] not in unlisted:
            result.changed.append(entry["path"])
    manifest["export_digest"] = export_digest(manifest)
    result.export_digest = manifest["export_digest"]
    _replace(root / MANIFEST, to_bytes(manifest))
    return result


def _replace(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file in its folder and a rename."""
    fd, temporary = tempfile.mkstemp(prefix=".rex.json.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fp:
            fp.write(data)
            fp.flush()
            os.fsync(fp.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
