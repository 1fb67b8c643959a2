"""Builds the benchmark exports: large files, many small files, a 100,000-entry manifest."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sys
import tarfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from helpers.exports import build_manifest, file_entry  # noqa: E402

MiB = 1 << 20
# no code/ folder in these exports: the code is named by its commit alone
CODE = {"vcs": {"type": "git", "repository": "https://example.org/lab/bench.git",
                "commit": "0" * 40, "dirty": False}}


def write_manifest(root: Path, files: list[dict[str, Any]]) -> dict[str, Any]:
    """Write the tests' valid manifest around the given file index under ``root``."""
    manifest = build_manifest(files=files, code=CODE)
    (root / "rex.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def large_files(root: Path, count: int, size: int) -> Path:
    """``count`` files of ``size`` random bytes under root/data, with their manifest."""
    if (root / "rex.json").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    (root / "data").mkdir(parents=True)
    rng = random.Random(1)
    files = []
    block = rng.randbytes(MiB)
    for i in range(count):
        digest = hashlib.sha256()
        path = root / "data" / f"part-{i}.bin"
        with open(path, "wb") as fp:
            for j in range(size // MiB):
                # vary each block so that no two files share content
                chunk = (i * 100003 + j).to_bytes(8, "little") + block[8:]
                fp.write(chunk)
                digest.update(chunk)
        # streamed: a whole file's bytes are never in memory
        files.append({**file_entry(f"data/part-{i}.bin", b""), "size": size,
                      "digests": {"sha256": digest.hexdigest()}})
    write_manifest(root, files)
    return root


def small_files(root: Path, count: int) -> Path:
    """``count`` files of 1-8 KiB under root/data/NN/, with their manifest."""
    if (root / "rex.json").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    rng = random.Random(2)
    files = []
    for i in range(count):
        rel = f"data/{i % 100:02d}/f{i:05d}.bin"
        data = rng.randbytes(rng.randint(1024, 8192))
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        files.append(file_entry(rel, data))
    write_manifest(root, files)
    return root


def sha256sum_list(export: Path, out: Path) -> Path:
    """A `sha256sum -c` input for the export's files, relative to the export root."""
    manifest = json.loads((export / "rex.json").read_text(encoding="utf-8"))
    lines = [f"{f['digests']['sha256']}  {f['path']}\n" for f in manifest["files"]]
    out.write_text("".join(lines), encoding="utf-8")
    return out


def bag_of(export: Path, bag: Path) -> Path:
    """The export's payload as a BagIt bag (sha256 manifest), made with bagit.py itself."""
    if (bag / "bagit.txt").exists():
        return bag
    import bagit

    shutil.rmtree(bag, ignore_errors=True)
    shutil.copytree(export / "data", bag / "data-tmp")
    bagit.make_bag(str(bag / "data-tmp"), checksums=["sha256"], processes=2)
    os.replace(bag / "data-tmp", bag / "bag")
    return bag / "bag"


def tar_of(export: Path, out: Path, compress: bool) -> Path:
    """The export as a .tar or .tar.gz, rex.json first, then files in index order."""
    if out.exists():
        return out
    manifest = json.loads((export / "rex.json").read_text(encoding="utf-8"))
    tmp = out.with_suffix(out.suffix + ".part")
    with tarfile.open(tmp, "w:gz" if compress else "w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(export / "rex.json", arcname="rex.json")
        for f in manifest["files"]:
            tar.add(export / f["path"], arcname=f["path"])
    os.replace(tmp, out)
    return out


def big_manifest(path: Path, count: int, *, invalid: bool = False) -> list[str]:
    """A bare manifest of ``count`` entries; ``invalid`` breaks three; returns their pointers."""
    rng = random.Random(3)
    files = []
    for i in range(count):
        files.append({
            "path": f"data/{i % 1000:03d}/sample-{i:06d}.npy",
            "size": rng.randint(1, 1 << 30),
            "media_type": "application/octet-stream",
            "role": "data",
            "digests": {"sha256": f"{rng.getrandbits(256):064x}"},
        })
    broken: list[str] = []
    if invalid:
        for i in (7, count // 2, count - 1):
            files[i]["size"] = -1
            broken.append(f"/files/{i}/size")
    manifest = build_manifest(files=files, code=CODE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest), encoding="utf-8")
    return broken


def pack_tree(root: Path, size: int) -> Path:
    """A project tree to pack: code, half text (compressible) and half random data, metrics."""
    if (root / "metrics.json").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    (root / "code").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "code" / "train.py").write_text("print('training')\n", encoding="utf-8")
    rng = random.Random(4)
    with open(root / "data" / "table.csv", "w", encoding="utf-8") as fp:
        written = 0
        while written < size // 2:
            line = f"{written},{rng.random():.6f},{rng.choice('abc')}\n"
            written += fp.write(line)
    with open(root / "data" / "blob.bin", "wb") as fp:
        for _ in range(size // 2 // MiB):
            fp.write(rng.randbytes(MiB))
    (root / "metrics.json").write_text('{"accuracy": 0.5}\n', encoding="utf-8")
    return root


def many_exports(root: Path, count: int) -> list[Path]:
    """``count`` small directory exports (five files each) under root: pre-commit's batch."""
    return [small_files(root / f"export-{i:02d}", 5) for i in range(count)]
