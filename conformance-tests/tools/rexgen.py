"""Building blocks of the case generator: an export in memory and deterministic containers."""

from __future__ import annotations

import copy
import gzip
import hashlib
import io
import json
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rexport.canonical import export_digest

EPOCH = 1768471200  # 2026-01-15T10:00:00Z: every archive time, so that bytes never change
DOS_TIME = (2026, 1, 15, 10, 0, 0)


def digest(data: bytes, algorithm: str = "sha256") -> str:
    return hashlib.new(algorithm, data).hexdigest()


def dump(manifest: Any) -> bytes:
    """The manifest text every case uses unless it is about the text itself."""
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass
class Member:
    """One archive member, as stored: any name, any kind (hostile ones included)."""

    name: str
    data: bytes = b""
    kind: str = "file"  # file, dir, symlink, hardlink, fifo, chardev, blockdev
    target: str = ""  # links
    mode: int | None = None


@dataclass
class Export:
    """An export in memory: the manifest as data plus the payload files, by path."""

    manifest: dict[str, Any]
    files: dict[str, bytes]
    kinds: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (media, role)
    algorithms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # extra digests
    raw_manifest: bytes | None = None  # the exact bytes of rex.json, when a case sets them

    def copy(self) -> Export:
        return copy.deepcopy(self)

    # --- the manifest -------------------------------------------------------------------
    @property
    def m(self) -> dict[str, Any]:
        return self.manifest

    def index(self) -> Export:
        """Rewrite files[] from the payload: sorted paths, sizes, media types, roles, digests."""
        entries = []
        for path in sorted(self.files):
            data = self.files[path]
            media, role = self.kinds.get(path, ("application/octet-stream", "other"))
            digests = {a: digest(data, a)
                       for a in ("sha256", *self.algorithms.get(path, ()))}
            entries.append({"path": path, "size": len(data), "media_type": media,
                            "role": role, "digests": digests})
        self.manifest["files"] = entries
        return self

    def seal(self) -> Export:
        """Recompute export_digest over the manifest as it is now."""
        self.manifest["export_digest"] = export_digest(self.manifest)
        return self

    def add(self, path: str, data: bytes, media: str = "text/plain", role: str = "other",
            *, algorithms: tuple[str, ...] = ()) -> Export:
        """Add a payload file (index and seal afterwards)."""
        self.files[path] = data
        self.kinds[path] = (media, role)
        if algorithms:
            self.algorithms[path] = algorithms
        return self

    def idx(self, path: str) -> int:
        """The position of ``path`` in files[], for pointers."""
        for n, entry in enumerate(self.manifest["files"]):
            if entry.get("path") == path:
                return n
        raise KeyError(path)

    def entry(self, path: str) -> dict[str, Any]:
        entry: dict[str, Any] = self.manifest["files"][self.idx(path)]
        return entry

    def manifest_bytes(self) -> bytes:
        return self.raw_manifest if self.raw_manifest is not None else dump(self.manifest)

    # --- containers -----------------------------------------------------------------------
    def tree(self) -> dict[str, bytes]:
        """Every file of the tree, rex.json first, then the payload in path order."""
        return {"rex.json": self.manifest_bytes(), **dict(sorted(self.files.items()))}

    def members(self, *, prefix: str = "", directories: bool = False) -> list[Member]:
        """The tree as archive members (``prefix`` such as "./"; directory members if asked)."""
        out: list[Member] = []
        seen: set[str] = set()
        for path, data in self.tree().items():
            if directories:
                parts = path.split("/")[:-1]
                for n in range(1, len(parts) + 1):
                    folder = "/".join(parts[:n])
                    if folder not in seen:
                        seen.add(folder)
                        out.append(Member(prefix + folder + "/", kind="dir"))
            out.append(Member(prefix + path, data))
        return out


Built = Callable[[], dict[str, bytes]]  # case folder contents: name -> bytes ("export/..." etc.)


def as_directory(export: Export, name: str = "export") -> dict[str, bytes]:
    return {f"{name}/{path}": data for path, data in export.tree().items()}


def tar_bytes(members: list[Member], *, fmt: int = tarfile.USTAR_FORMAT) -> bytes:
    """A tar archive of ``members`` in order; times, owners and modes fixed."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt, encoding="utf-8",
                      errors="surrogateescape") as tar:
        for member in members:
            info = tarfile.TarInfo(member.name)
            info.mtime, info.uid, info.gid, info.uname, info.gname = EPOCH, 0, 0, "", ""
            info.mode = member.mode if member.mode is not None else (
                0o755 if member.kind == "dir" else 0o644)
            info.type = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE,
                         "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
                         "fifo": tarfile.FIFOTYPE, "chardev": tarfile.CHRTYPE,
                         "blockdev": tarfile.BLKTYPE}[member.kind]
            info.linkname = member.target
            if member.kind == "file":
                info.size = len(member.data)
                tar.addfile(info, io.BytesIO(member.data))
            else:
                tar.addfile(info)
    return buffer.getvalue()


def gzip_bytes(data: bytes) -> bytes:
    """gzip with no name and time 0 in the header (packaging.md)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return buffer.getvalue()


def zip_bytes(members: list[Member], *, deflate: bool = False, zip64: bool = False) -> bytes:
    """A zip archive of ``members`` in order; times fixed, Unix modes, stored unless ``deflate``."""
    import warnings

    buffer = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are the point of some cases
        with zipfile.ZipFile(buffer, "w", compression=method) as archive:
            for member in members:
                info = zipfile.ZipInfo(member.name, date_time=DOS_TIME)
                info.create_system = 3
                info.compress_type = method
                kind_bits = {"file": 0o100000, "dir": 0o040000, "symlink": 0o120000,
                             "fifo": 0o010000}[member.kind]
                mode = member.mode if member.mode is not None else (
                    0o755 if member.kind == "dir" else 0o644)
                info.external_attr = (kind_bits | mode) << 16
                if member.kind == "dir":
                    info.external_attr |= 0x10
                data = member.target.encode() if member.kind == "symlink" else member.data
                with archive.open(info, "w", force_zip64=zip64) as fp:
                    fp.write(data)
    return buffer.getvalue()


def tar_of(export: Export, *, prefix: str = "", directories: bool = False,
           fmt: int = tarfile.USTAR_FORMAT, extra: list[Member] | None = None) -> bytes:
    """The export as a tar (``tar -C run -cf run.tar .`` gives prefix "./" and directories)."""
    members = export.members(prefix=prefix, directories=directories) + (extra or [])
    if prefix == "./" and directories:
        members.insert(0, Member("./", kind="dir"))
    return tar_bytes(members, fmt=fmt)


def zip_of(export: Export, *, directories: bool = False, deflate: bool = True,
           extra: list[Member] | None = None) -> bytes:
    """The export as a zip (``cd run && zip -r ../run.zip .`` gives directory members)."""
    return zip_bytes(export.members(directories=directories) + (extra or []), deflate=deflate)
