"""Builders of small valid exports on disk and readers of findings, shared by every test area."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from rexport.canonical import export_digest
from rexport.report import Report

TEXT = {
    "code/train.py": b"import sys\n\ndef main():\n    print('training')\n",
    "data/values.csv": b"a,b\n1,2\n3,4\n",
    "results/model.bin": bytes(range(256)) * 16,
}
MEDIA = {".py": "text/x-python", ".csv": "text/csv", ".yaml": "application/yaml",
         ".json": "application/json", ".txt": "text/plain"}
ROLES = {"code": "code", "data": "data", "results": "result", "config": "config"}


def digests_of(data: bytes, algorithms: tuple[str, ...] = ("sha256",)) -> dict[str, str]:
    out = {}
    for name in algorithms:
        h = hashlib.blake2b(digest_size=64) if name == "blake2b" else hashlib.new(name)
        h.update(data)
        out[name] = h.hexdigest()
    return out


def file_entry(path: str, data: bytes, algorithms: tuple[str, ...] = ("sha256",)
               ) -> dict[str, Any]:
    suffix = os.path.splitext(path)[1]
    return {"path": path, "size": len(data),
            "media_type": MEDIA.get(suffix, "application/octet-stream"),
            "role": ROLES.get(path.split("/")[0], "other"),
            "digests": digests_of(data, algorithms)}


def seal(manifest: dict[str, Any]) -> dict[str, Any]:
    """Set export_digest from the manifest's current content."""
    manifest["export_digest"] = export_digest(manifest)
    return manifest


def build_manifest(files: dict[str, bytes], algorithms: tuple[str, ...] = ("sha256",),
                   **sections: Any) -> dict[str, Any]:
    """A REX 1.0 manifest indexing ``files``, sealed; ``sections`` replace or add members."""
    manifest: dict[str, Any] = {
        "rex_version": "1.0",
        "export_digest": "",
        "created": "2026-01-15T10:00:00Z",
        "title": "validator test export",
        "producer": {"name": "rexport-tests", "version": "0.1.0"},
        "files": [file_entry(p, files[p], algorithms) for p in sorted(files)],
        "code": {"snapshot": {"root": "code/"}},
        "environment": {"os": {"name": "Linux"}, "architecture": "x86_64"},
        "config": {"hyperparameters": {"C": 1.0}, "seeds": {"python": 0}},
        "results": {"metrics": [{"name": "accuracy", "value": 0.93, "split": "test"}]},
    }
    manifest.update(sections)
    return seal(manifest)


def write_export(root: Path, files: dict[str, bytes] | None = None,
                 manifest: dict[str, Any] | None = None) -> Path:
    """Write ``files`` and their manifest (built when not given) under ``root``."""
    files = dict(TEXT) if files is None else files
    manifest = build_manifest(files) if manifest is None else manifest
    root.mkdir(parents=True, exist_ok=True)
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    write_manifest(root, manifest)
    return root


def write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    (root / "rex.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def read_manifest(root: Path) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((root / "rex.json").read_text(encoding="utf-8"))
    return value


def where(report: Report) -> list[tuple[str, str, str]]:
    """(code, file, pointer) of every finding, in report order."""
    return [(f.code, f.file, f.pointer) for f in report.findings]


def codes(report: Report) -> set[str]:
    return {f.code for f in report.findings}


def position(manifest: dict[str, Any], path: str) -> int:
    return [e["path"] for e in manifest["files"]].index(path)
