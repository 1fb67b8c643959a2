"""Recompute sizes, digests and export_digest of the example exports; rebuild examples/invalid.

    python tools/refresh_example_digests.py          # rewrite examples/minimal, full, invalid
    python tools/refresh_example_digests.py --check  # exit 1 when any of them is out of date

The payload files and the rest of each rex.json are written by hand; this script only fills in
what must be computed. The invalid cases are derived from examples/minimal, one defect each, and
their expected outcome is written to examples/invalid/expected.json.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rexport.canonical import export_digest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SEALED = ("minimal", "full")

_HASHES: dict[str, Callable[[], Any]] = {
    "sha256": hashlib.sha256,
    "sha512": hashlib.sha512,
    "blake2b": lambda: hashlib.blake2b(digest_size=64),
    "md5": hashlib.md5,
    "sha1": hashlib.sha1,
}

Manifest = dict[str, Any]


def digest_set(data: bytes, algorithms: list[str]) -> dict[str, str]:
    """The digests of `data` for each named algorithm, in the order given."""
    out = {}
    for name in algorithms:
        h = _HASHES[name]()
        h.update(data)
        out[name] = h.hexdigest()
    return out


def refresh(root: Path, manifest: Manifest) -> Manifest:
    """Fill in sizes and digests from the files under `root`, then the export digest."""
    by_path: dict[str, dict[str, Any]] = {}
    for entry in manifest["files"]:
        data = (root / entry["path"]).read_bytes()
        entry["size"] = len(data)
        entry["digests"] = digest_set(data, list(entry["digests"]) or ["sha256"])
        by_path[entry["path"]] = entry
    section = manifest.get("data", {})
    for dataset in section.get("datasets", []):
        paths = dataset.get("embedded", {}).get("paths", [])
        if len(paths) == 1 and "digests" in dataset:
            dataset["size"] = by_path[paths[0]]["size"]
            dataset["digests"] = {k: by_path[paths[0]]["digests"][k] for k in dataset["digests"]}
    for split in section.get("splits", []):
        if "path" in split and "digests" in split:
            recorded = by_path[split["path"]]["digests"]
            split["digests"] = {k: recorded[k] for k in split["digests"]}
    return seal(manifest)


def seal(manifest: Manifest) -> Manifest:
    manifest["export_digest"] = export_digest(manifest)
    return manifest


def manifest_text(manifest: Manifest) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


# --- the invalid cases: (what is wrong, how to make it from minimal, what a validator reports)

def _drop_environment(root: Path, m: Manifest) -> Manifest:
    del m["environment"]
    return seal(m)


def _unknown_role(root: Path, m: Manifest) -> Manifest:
    m["files"][0]["role"] = "weights"
    return seal(m)


def _bad_timestamp(root: Path, m: Manifest) -> Manifest:
    m["created"] = "2026-01-15 10:00:00"
    return seal(m)


def _changed_file(root: Path, m: Manifest) -> Manifest:
    script = root / "code" / "train.py"
    text = script.read_text(encoding="utf-8")
    # same length, different bytes: only the digest can tell
    script.write_text(text.replace("labels[::7]", "labels[::5]"), encoding="utf-8")
    return m


def _unlisted_file(root: Path, m: Manifest) -> Manifest:
    (root / "code" / "notes.txt").write_text("scratch notes, never indexed\n", encoding="utf-8")
    return m


def _edited_after_sealing(root: Path, m: Manifest) -> Manifest:
    m["title"] = "A title added after the export digest was computed"
    return m


def _lineage_cycle(root: Path, m: Manifest) -> Manifest:
    for name in ("a", "b"):
        (root / "data").mkdir(exist_ok=True)
        (root / "data" / f"{name}.csv").write_text(f"x\n{name}\n", encoding="utf-8")
        m["files"].append({"path": f"data/{name}.csv", "size": 0, "media_type": "text/csv",
                           "role": "data", "digests": {"sha256": ""}})
    code = {"path": "code/train.py"}
    m["lineage"] = {"steps": [
        {"id": "make-a", "inputs": [{"file": "data/b.csv"}], "outputs": [{"file": "data/a.csv"}],
         "code": code, "started": "2026-01-15T09:00:00Z", "ended": "2026-01-15T09:00:01Z"},
        {"id": "make-b", "inputs": [{"file": "data/a.csv"}], "outputs": [{"file": "data/b.csv"}],
         "code": code, "started": "2026-01-15T09:00:02Z", "ended": "2026-01-15T09:00:03Z"},
    ]}
    return refresh(root, m)


Case = tuple[str, Callable[[Path, Manifest], Manifest], dict[str, Any]]


def _expect(schema_valid: bool, *found: tuple[str, str, str]) -> dict[str, Any]:
    return {"valid": False, "schema_valid": schema_valid,
            "codes": [f[0] for f in found], "pointers": [f[1] for f in found],
            "files": [f[2] for f in found]}


CASES: dict[str, Case] = {
    "missing-required-section": ("the environment section is missing", _drop_environment,
                                 _expect(False, ("REX-C104", "/environment", "rex.json"))),
    "unknown-file-role": ("a file's role is not one of the roles defined", _unknown_role,
                          _expect(False, ("REX-S101", "/files/0/role", "rex.json"))),
    "bad-timestamp": ("created is not an RFC 3339 date-time", _bad_timestamp,
                      _expect(False, ("REX-S101", "/created", "rex.json"))),
    "digest-mismatch": ("a file was changed after it was indexed (same size)", _changed_file,
                        _expect(True, ("REX-I102", "/files/0/digests/sha256", "rex.json"))),
    "unlisted-file": ("the export holds a file that files does not list", _unlisted_file,
                      _expect(True, ("REX-C103", "", "code/notes.txt"))),
    "export-digest-mismatch": ("the manifest was edited after export_digest was computed",
                               _edited_after_sealing,
                               _expect(True, ("REX-I104", "/export_digest", "rex.json"))),
    "lineage-cycle": ("two lineage steps consume each other's outputs", _lineage_cycle,
                      _expect(True, ("REX-R101", "/lineage/steps/0", "rex.json"))),
}


def build(dest: Path) -> None:
    """Write the refreshed minimal and full examples and every invalid case under `dest`."""
    for name in SEALED:
        shutil.copytree(EXAMPLES / name, dest / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
        manifest = json.loads((dest / name / "rex.json").read_text(encoding="utf-8"))
        (dest / name / "rex.json").write_text(
            manifest_text(refresh(dest / name, manifest)), encoding="utf-8")
    minimal = json.loads((dest / "minimal" / "rex.json").read_text(encoding="utf-8"))
    expected: dict[str, Any] = {}
    for case, (description, make, outcome) in CASES.items():
        target = dest / "invalid" / case
        shutil.copytree(dest / "minimal", target)
        manifest = make(target, copy.deepcopy(minimal))
        (target / "rex.json").write_text(manifest_text(manifest), encoding="utf-8")
        expected[case] = {"description": description, **outcome}
    (dest / "invalid" / "expected.json").write_text(
        json.dumps(expected, indent=2) + "\n", encoding="utf-8")


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report what is out of date")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        built = Path(tmp)
        build(built)
        stale = []
        for part in (*SEALED, "invalid"):
            if _tree(built / part) != _tree(EXAMPLES / part):
                stale.append(part)
                if not args.check:
                    shutil.rmtree(EXAMPLES / part, ignore_errors=True)
                    shutil.copytree(built / part, EXAMPLES / part)
    for part in stale:
        print(f"examples/{part}: {'out of date' if args.check else 'rewritten'}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
