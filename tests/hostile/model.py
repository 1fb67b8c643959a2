"""A small valid export as data, and writers that lay it out as a directory, tar, tar.gz or zip."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import tarfile
import warnings
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rexport.canonical import export_digest

CONTAINERS = ("dir", "tar", "tar.gz", "zip")
SUFFIX = {"dir": "", "tar": ".tar", "tar.gz": ".tar.gz", "zip": ".zip"}

TRAIN = b"import random\n\nrandom.seed(0)\nprint('accuracy', 0.9)\n"
CONFIG = b"learning_rate: 0.1\nepochs: 3\n"


@dataclass(frozen=True)
class Member:
    """One member of an export: its stored name (str, or bytes for undecodable names)."""

    name: str | bytes
    data: bytes = b""
    kind: str = "file"  # file, dir, symlink, hardlink, fifo, device
    target: str = ""  # link target
    listed: bool = True  # listed in files[] of the manifest (files with str names only)


@dataclass(frozen=True)
class Export:
    """An export: its members, and optionally raw manifest bytes replacing the generated one."""

    members: tuple[Member, ...]
    manifest_raw: bytes | None = None
    manifest_extra: dict[str, Any] = field(default_factory=dict)
    # further files[] entries for members not listed as they are: a path (indexed as an
    # empty file) or (path, the content to index)
    extra_paths: tuple[str | tuple[str, bytes], ...] = ()

    def plus(self, *members: Member) -> Export:
        return replace(self, members=self.members + members)


def base() -> Export:
    """A small export that a validator accepts as it is."""
    return Export((Member("code/train.py", TRAIN), Member("config/config.yaml", CONFIG)))


def _file_entry(path: str, data: bytes) -> dict[str, Any]:
    role = "config" if path.startswith("config/") else "code" if path.startswith("code/") \
        else "data"
    return {"path": path, "size": len(data), "media_type": "application/octet-stream",
            "role": role, "digests": {"sha256": hashlib.sha256(data).hexdigest()}}


def manifest(export: Export) -> dict[str, Any]:
    """The manifest of ``export``: every listed file indexed, the export digest computed."""
    files = [_file_entry(m.name, m.data) for m in export.members
             if m.kind == "file" and m.listed and isinstance(m.name, str)]
    files += [_file_entry(*(p if isinstance(p, tuple) else (p, b"")))
              for p in export.extra_paths]
    doc: dict[str, Any] = {
        "rex_version": "1.0",
        "export_digest": "",
        "created": "2026-01-15T10:00:00Z",
        "producer": {"name": "rexport hostile corpus", "version": "0.1.0"},
        "files": files,
        "code": {"snapshot": {"root": "code/"}},
        "environment": {"os": {"name": "Linux"}, "architecture": "x86_64"},
        "config": {"path": "config/config.yaml", "seeds": {"python": 0}},
        "results": {"metrics": [{"name": "accuracy", "value": 0.9}]},
    }
    doc.update(export.manifest_extra)
    doc["export_digest"] = export_digest(doc)
    return doc


def manifest_bytes(export: Export) -> bytes:
    if export.manifest_raw is not None:
        return export.manifest_raw
    return json.dumps(manifest(export), indent=1).encode()


def _raw(name: str | bytes) -> bytes:
    return name if isinstance(name, bytes) else name.encode("utf-8", "surrogateescape")


def write_dir(export: Export, root: Path) -> Path:
    """Lay ``export`` out under ``root`` (created); device members cannot be made here."""
    root.mkdir(parents=True)
    (root / "rex.json").write_bytes(manifest_bytes(export))
    base_dir = os.fsencode(root)
    for m in export.members:
        full = os.path.join(base_dir, _raw(m.name))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if m.kind == "file":
            with open(full, "wb") as fp:
                fp.write(m.data)
        elif m.kind == "dir":
            os.makedirs(full, exist_ok=True)
        elif m.kind == "symlink":
            os.symlink(m.target, full)
        elif m.kind == "hardlink":
            os.link(m.target, full)
        elif m.kind == "fifo":
            os.mkfifo(full)
        else:
            raise ValueError(f"a directory cannot hold a {m.kind}")
    return root


_TAR_TYPES = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
              "hardlink": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE, "device": tarfile.CHRTYPE}


def tar_bytes(export: Export) -> bytes:
    """The export as an uncompressed pax tar, rex.json first."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tf:
        members = (Member("rex.json", manifest_bytes(export)), *export.members)
        for m in members:
            name = _raw(m.name).decode("utf-8", "surrogateescape")
            info = tarfile.TarInfo(name)
            info.type = _TAR_TYPES[m.kind]
            info.mode = 0o755 if m.kind == "dir" else 0o644
            info.linkname = m.target
            if m.kind == "device":
                info.devmajor, info.devminor = 1, 3
            if not name.isascii() or "\0" in name or len(name) > 99:
                info.pax_headers = {"path": name}  # keeps NUL and undecodable bytes as stored
            info.size = len(m.data) if m.kind == "file" else 0
            tf.addfile(info, io.BytesIO(m.data) if m.kind == "file" else None)
    return out.getvalue()


def gzip_bytes(data: bytes, level: int = 6) -> bytes:
    import gzip

    return gzip.compress(data, compresslevel=level, mtime=0)


_ZIP_MODES = {"file": stat.S_IFREG | 0o644, "dir": stat.S_IFDIR | 0o755,
              "symlink": stat.S_IFLNK | 0o777, "fifo": stat.S_IFIFO | 0o644,
              "device": stat.S_IFCHR | 0o644, "hardlink": stat.S_IFREG | 0o644}


def zip_bytes(export: Export, level: int = 6) -> bytes:
    """The export as a zip, rex.json first; NUL bytes in names are patched in afterwards."""
    out = io.BytesIO()
    patches: list[tuple[bytes, bytes]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicates made on purpose
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
            for m in (Member("rex.json", manifest_bytes(export)), *export.members):
                name = _raw(m.name).decode("utf-8", "surrogateescape")
                if "\0" in name:
                    stand_in = name.replace("\0", "\x01")
                    patches.append((stand_in.encode(), name.encode()))
                    name = stand_in
                if m.kind == "dir" and not name.endswith("/"):
                    name += "/"
                info = zipfile.ZipInfo(name, date_time=(2026, 1, 15, 10, 0, 0))
                info.create_system = 3
                info.external_attr = _ZIP_MODES[m.kind] << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                data = m.target.encode() if m.kind == "symlink" else m.data
                zf.writestr(info, data)
    raw = out.getvalue()
    for old, new in patches:
        raw = raw.replace(old, new)
    return raw


def write(export: Export, container: str, folder: Path, name: str = "export") -> Path:
    """Write ``export`` as ``container`` inside ``folder``; return the path to validate."""
    if container == "dir":
        return write_dir(export, folder / name)
    path = folder / (name + SUFFIX[container])
    if container == "zip":
        path.write_bytes(zip_bytes(export))
    else:
        data = tar_bytes(export)
        path.write_bytes(gzip_bytes(data) if container == "tar.gz" else data)
    return path


def tar_header(name: bytes, size: int, typeflag: bytes = b"0") -> bytes:
    """One ustar header block, written by hand so that it may claim anything."""
    block = bytearray(512)
    block[0:len(name)] = name
    block[100:108] = b"0000644\0"
    block[108:116] = b"0000000\0"
    block[116:124] = b"0000000\0"
    if size < 8**11:
        block[124:136] = b"%011o\0" % size
    else:
        block[124:136] = b"\x80" + size.to_bytes(11, "big")
    block[136:148] = b"00000000000\0"
    block[148:156] = b" " * 8
    block[156:157] = typeflag
    block[257:265] = b"ustar\x0000"
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)
