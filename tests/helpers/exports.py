"""The one builder of valid exports for every test area: index entries, manifests, sealing,
the directory writer, and readers of findings."""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rexport.canonical import export_digest
from rexport.report import Report

from helpers.archives import Member, write_dir

TEXT = {
    "code/train.py": b"import sys\n\ndef main():\n    print('training')\n",
    "data/values.csv": b"a,b\n1,2\n3,4\n",
    "results/model.bin": bytes(range(256)) * 16,
}
MEDIA = {".py": "text/x-python", ".csv": "text/csv", ".yaml": "application/yaml",
         ".json": "application/json", ".txt": "text/plain", ".lock": "text/plain"}
ROLES = {"code": "code", "data": "data", "results": "result", "config": "config",
         "environment": "environment"}

# every member of a built manifest but the index and the digest, unless a test says otherwise
BASE: dict[str, Any] = {
    "rex_version": "1.0",
    "export_digest": "",
    "created": "2026-01-15T10:00:00Z",
    "title": "validator test export",
    "producer": {"name": "rexport-tests", "version": "0.1.0"},
    "files": [],
    "code": {"snapshot": {"root": "code/"}},
    "environment": {"os": {"name": "Linux"}, "architecture": "x86_64"},
    "config": {"hyperparameters": {"C": 1.0}, "seeds": {"python": 0}},
    "results": {"metrics": [{"name": "accuracy", "value": 0.93, "split": "test"}]},
}


def digests_of(data: bytes, algorithms: tuple[str, ...] = ("sha256",)) -> dict[str, str]:
    out = {}
    for name in algorithms:
        h = hashlib.blake2b(digest_size=64) if name == "blake2b" else hashlib.new(name)
        h.update(data)
        out[name] = h.hexdigest()
    return out


def file_entry(path: str, data: bytes, algorithms: tuple[str, ...] = ("sha256",)
               ) -> dict[str, Any]:
    """The files[] entry of ``data`` at ``path``: media type by suffix, role by first folder."""
    suffix = os.path.splitext(path)[1]
    return {"path": path, "size": len(data),
            "media_type": MEDIA.get(suffix, "application/octet-stream"),
            "role": ROLES.get(path.split("/")[0], "other"),
            "digests": digests_of(data, algorithms)}


def seal(manifest: dict[str, Any]) -> dict[str, Any]:
    """Set export_digest from the manifest's current content; return the manifest."""
    manifest["export_digest"] = export_digest(manifest)
    return manifest


def build_manifest(contents: Mapping[str, bytes] | None = None,
                   algorithms: tuple[str, ...] = ("sha256",), **sections: Any) -> dict[str, Any]:
    """A sealed REX 1.0 manifest indexing ``contents`` ({path: bytes}) in path order; each of
    ``sections`` replaces or adds a top-level member (``files=[...]`` replaces the index)."""
    contents = contents or {}
    manifest = copy.deepcopy(BASE)
    manifest["files"] = [file_entry(p, contents[p], algorithms) for p in sorted(contents)]
    manifest.update(sections)
    return seal(manifest)


def manifest_bytes(manifest: Any) -> bytes:
    return json.dumps(manifest, indent=2).encode()


def write_export(root: Path, files: Mapping[str, bytes] | None = None,
                 manifest: dict[str, Any] | None = None) -> Path:
    """Write ``files`` (TEXT when not given) and their manifest (built when not given) as a
    directory export at ``root``; return ``root``."""
    files = TEXT if files is None else files
    manifest = build_manifest(files) if manifest is None else manifest
    members = [Member("rex.json", manifest_bytes(manifest))]
    return write_dir(members + [Member(p, data) for p, data in files.items()], root)


def write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    (root / "rex.json").write_bytes(manifest_bytes(manifest))


def read_manifest(root: Path) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((root / "rex.json").read_text(encoding="utf-8"))
    return value


def edit_manifest(root: Path, edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Change the manifest at ``root`` in place and reseal it; return the new manifest."""
    manifest = read_manifest(root)
    edit(manifest)
    write_manifest(root, seal(manifest))
    return manifest


def where(report: Report) -> list[tuple[str, str, str]]:
    """(code, file, pointer) of every finding, in report order."""
    return [(f.code, f.file, f.pointer) for f in report.findings]


def codes(report: Report) -> set[str]:
    return {f.code for f in report.findings}


def position(manifest: dict[str, Any], path: str) -> int:
    return [e["path"] for e in manifest["files"]].index(path)


def many_files(root: Path, count: int) -> Path:
    """An export of ``count`` small files of random bytes (and one of code) at ``root``."""
    import random

    rng = random.Random(count)
    files = {f"data/{i % 100:02d}/f{i:05d}.bin": rng.randbytes(rng.randint(64, 2048))
             for i in range(count)}
    files["code/train.py"] = b"print('training')\n"
    return write_export(root, files, build_manifest(files))
ALGORITHMS = ("sha256", "sha512", "blake2b", "md5", "sha1")


def reseal(tree: Mapping[str, bytes]) -> dict[str, bytes]:
    """``tree`` ({path: bytes}, rex.json among them) with every index entry's size and recorded
    digests recomputed from the bytes it now holds, then the export digest; an entry naming no
    file of the tree is left as it is."""
    manifest = json.loads(tree["rex.json"])
    for entry in manifest["files"]:
        data = tree.get(entry["path"])
        if data is not None:
            entry["size"] = len(data)
            recorded = tuple(a for a in entry["digests"] if a in ALGORITHMS)
            entry["digests"].update(digests_of(data, recorded))
    return {**tree, "rex.json": manifest_bytes(seal(manifest))}
