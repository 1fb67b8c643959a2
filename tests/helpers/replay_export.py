"""A small replayable export (script, lockfile, recorded metrics) for the replay and diff tests."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rexport.canonical import export_digest

# The experiment: its "accuracy" follows the recorded seed, so a replay that ignored the seed
# would not reproduce; it writes its metrics where replay.metrics_file says.
TRAIN = """\
import json, os, pathlib
seed = int(os.environ["REX_SEED_PYTHON"])
accuracy = round(0.9 + seed / 1000, 4)
out = pathlib.Path("replay/metrics.json")
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(json.dumps({"metrics": [
    {"name": "accuracy", "split": "test", "value": accuracy},
    {"name": "loss", "split": "test", "value": 0.25}]}))
pathlib.Path("replay/env.json").write_text(json.dumps(dict(os.environ)))
print("trained with seed", seed)
"""

LOCKFILE = "# this experiment needs nothing beyond the standard library\n"

_MEDIA = {".py": "text/x-python", ".json": "application/json"}


def base_manifest() -> dict[str, Any]:
    """The manifest of the fixture export, without files and export_digest."""
    return {
        "rex_version": "1.0",
        "created": "2026-01-15T10:00:00Z",
        "title": "Seeded toy experiment",
        "producer": {"name": "rexport-tests", "version": "0.1.0"},
        "code": {"snapshot": {"root": "code/"},
                 "vcs": {"type": "git", "commit": "a" * 40, "branch": "main", "dirty": False},
                 "entry_points": [{"name": "train", "path": "code/train.py",
                                   "command": ["python", "code/train.py"]}]},
        "environment": {
            "os": {"name": "Linux", "version": "6.1.0"},
            "architecture": "x86_64",
            "python": {"implementation": "CPython", "version": "3.11.7"},
            "packages": [{"name": "numpy", "version": "1.26.4"},
                         {"name": "scikit-learn", "version": "1.5.0"}],
            "lockfiles": [{"path": "environment/requirements.lock",
                           "format": "pip-requirements"}],
        },
        "config": {"hyperparameters": {"C": 1.0, "max_iter": 200},
                   "seeds": {"python": 7, "numpy": 7}},
        "results": {"metrics": [{"name": "accuracy", "value": 0.907, "split": "test"},
                                {"name": "loss", "value": 0.25, "split": "test"}]},
        "replay": {
            "command": ["python", "code/train.py"],
            "working_directory": ".",
            "timeout_seconds": 60,
            "metrics_file": "replay/metrics.json",
            "environment": {"OMP_NUM_THREADS": "1"},
            "metrics": [{"name": "accuracy", "split": "test", "tolerance": {"absolute": 0.01}},
                        {"name": "loss", "split": "test", "tolerance": {"relative": 0.1}}],
        },
    }


def index_entry(path: str, data: bytes) -> dict[str, Any]:
    suffix = path[path.rfind("."):] if "." in path else ""
    role = {"code": "code", "environment": "environment"}.get(path.split("/")[0], "other")
    return {"path": path, "size": len(data), "media_type": _MEDIA.get(suffix, "text/plain"),
            "role": role, "digests": {"sha256": hashlib.sha256(data).hexdigest()}}


def seal(manifest: dict[str, Any]) -> dict[str, Any]:
    """Set export_digest over the manifest as it now is."""
    manifest["export_digest"] = export_digest(manifest)
    return manifest


def build_export(dest: Path, *, script: str = TRAIN, lockfile: str = LOCKFILE,
                 edit: Callable[[dict[str, Any]], None] | None = None,
                 extra: dict[str, bytes] | None = None) -> Path:
    """Write the fixture export as a directory at ``dest``; ``edit`` changes the manifest first."""
    files = {"code/train.py": script.encode(),
             "environment/requirements.lock": lockfile.encode(), **(extra or {})}
    manifest = base_manifest()
    manifest["files"] = [index_entry(p, data) for p, data in sorted(files.items())]
    if edit is not None:
        edit(manifest)
    dest.mkdir(parents=True)
    for path, data in files.items():
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    write_manifest(dest, seal(manifest))
    return dest


def write_manifest(dest: Path, manifest: dict[str, Any]) -> None:
    (dest / "rex.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def edit_manifest(root: Path, edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Change the manifest at ``root`` in place and recompute its export digest."""
    manifest = json.loads((root / "rex.json").read_text(encoding="utf-8"))
    edited = copy.deepcopy(manifest)
    edit(edited)
    write_manifest(root, seal(edited))
    return edited


def tar_export(root: Path, out: Path, *, extra: dict[str, bytes] | None = None,
               replace: dict[str, bytes] | None = None) -> Path:
    """Pack ``root`` as a .tar, adding ``extra`` members (any name) and swapping contents."""
    with tarfile.open(out, "w") as tar:
        members = sorted(p for p in root.rglob("*") if p.is_file())
        items = [(p.relative_to(root).as_posix(), p.read_bytes()) for p in members]
        items += list((extra or {}).items())
        for name, data in items:
            data = (replace or {}).get(name, data)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return out
