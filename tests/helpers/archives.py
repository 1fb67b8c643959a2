"""Exports laid out as members: written as a directory, .tar, .tar.gz or .zip, byte for byte."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

CONTAINERS = ("dir", "tar", "tar.gz", "zip")
SUFFIX = {"dir": "", "tar": ".tar", "tar.gz": ".tar.gz", "zip": ".zip"}


@dataclass(frozen=True)
class Member:
    """One member of an export: its stored name (str, or bytes for undecodable names)."""

    name: str | bytes
    data: bytes = b""
    kind: str = "file"  # file, dir, symlink, hardlink, fifo, device
    target: str = ""  # link target
    listed: bool = True  # listed in files[] of the manifest (files with str names only)


def _raw(name: str | bytes) -> bytes:
    return name if isinstance(name, bytes) else name.encode("utf-8", "surrogateescape")


def write_dir(members: Iterable[Member], root: Path) -> Path:
    """Lay ``members`` out under ``root``; device members cannot be made here."""
    root.mkdir(parents=True, exist_ok=True)
    base_dir = os.fsencode(root)
    for m in members:
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


def tar_bytes(members: Iterable[Member]) -> bytes:
    """``members`` in order as an uncompressed pax tar."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tf:
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
    return gzip.compress(data, compresslevel=level, mtime=0)


_ZIP_MODES = {"file": stat.S_IFREG | 0o644, "dir": stat.S_IFDIR | 0o755,
              "symlink": stat.S_IFLNK | 0o777, "fifo": stat.S_IFIFO | 0o644,
              "device": stat.S_IFCHR | 0o644, "hardlink": stat.S_IFREG | 0o644}


def zip_bytes(members: Iterable[Member], level: int = 6) -> bytes:
    """``members`` in order as a zip; NUL bytes in names are patched in afterwards."""
    out = io.BytesIO()
    patches: list[tuple[bytes, bytes]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicates made on purpose
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
            for m in members:
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


def write_members(members: Iterable[Member], container: str, folder: Path,
                  name: str = "export") -> Path:
    """Write ``members`` as ``container`` inside ``folder``; return the path to validate."""
    if container == "dir":
        return write_dir(members, folder / name)
    path = folder / (name + SUFFIX[container])
    if container == "zip":
        path.write_bytes(zip_bytes(members))
    else:
        data = tar_bytes(members)
        path.write_bytes(gzip_bytes(data) if container == "tar.gz" else data)
    return path


def members_of(root: Path, *, dirs: bool = True) -> list[Member]:
    """The files and links (and, with ``dirs``, the folders) under ``root`` in path order,
    named by their path relative to ``root``."""
    found = []
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_symlink():
            found.append(Member(name, kind="symlink", target=os.readlink(path)))
        elif path.is_file():
            found.append(Member(name, path.read_bytes()))
        elif dirs and path.is_dir():
            found.append(Member(name, kind="dir"))
    return found


def pack(root: Path, out: Path, *, dirs: bool = True, prefix: str = "",
         replace: Mapping[str, bytes] | None = None, extra: Iterable[Member] = ()) -> Path:
    """The directory export at ``root`` written to ``out`` as the archive its name says
    (.tar, .tar.gz or .tgz, .zip), each name after ``prefix``; ``replace`` swaps the content
    of files by relative path, ``extra`` members come last. Return ``out``."""
    swapped = replace or {}
    members = [Member(prefix + str(m.name), swapped.get(str(m.name), m.data), m.kind)
               for m in members_of(root, dirs=dirs)]
    members += extra
    if out.name.endswith(".zip"):
        out.write_bytes(zip_bytes(members))
    elif out.name.endswith((".tar.gz", ".tgz")):
        out.write_bytes(gzip_bytes(tar_bytes(members)))
    elif out.name.endswith(".tar"):
        out.write_bytes(tar_bytes(members))
    else:
        raise ValueError(f"no archive kind for {out.name}")
    return out


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
