"""The conformance suite as one deterministic tar.gz, and its safe unpacking into a temp folder."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

from rexport.conformance.suite import SUITE_DIR, SuiteError, is_suite
from rexport.paths import display, path_problems
from rexport.sources import InputError, open_source

# a suite is some thousands of small files; the caps leave room for growth, not for a bomb
MAX_SUITE_FILES = 50_000
MAX_SUITE_BYTES = 1 << 30
_PARTS = ("README.md", "case.schema.json")


def suite_files(suite: Path) -> list[Path]:
    """The files that make up ``suite`` (its README, case schema and versioned cases), sorted;
    the generator's sources (tools/) are not part of the data."""
    files = [suite / name for name in _PARTS if (suite / name).is_file()]
    for version in sorted(p for p in suite.glob("v*") if p.is_dir()):
        files.extend(sorted(p for p in version.rglob("*") if p.is_file() and not p.is_symlink()))
    return files


def _info(name: str, size: int = 0, *, directory: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.uid, info.gid, info.uname, info.gname = size, 0, 0, 0, "", ""
    info.type = tarfile.DIRTYPE if directory else tarfile.REGTYPE
    info.mode = 0o755 if directory else 0o644
    return info


def pack_suite(suite: Path, out: Path) -> int:
    """Write ``suite`` to ``out`` as a tar.gz under ``conformance-tests/``; return the number of
    files. The bytes depend on the files' paths and contents alone (sorted, no times, owners
    or modes of the machine), and ``out`` appears whole or not at all."""
    files = suite_files(suite)
    if not files:
        raise SuiteError(f"{suite}: no suite files to pack")
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        folders: set[str] = set()
        for file in files:
            relative = file.relative_to(suite).as_posix()
            parts = relative.split("/")[:-1]
            for depth in range(len(parts) + 1):
                folder = "/".join([SUITE_DIR, *parts[:depth]])
                if folder not in folders:
                    folders.add(folder)
                    tar.addfile(_info(folder + "/", directory=True))
            data = file.read_bytes()
            tar.addfile(_info(f"{SUITE_DIR}/{relative}", len(data)), io.BytesIO(data))
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fp, gzip.GzipFile(filename="", mode="wb", fileobj=fp,
                                                       mtime=0, compresslevel=9) as gz:
            gz.write(raw.getvalue())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide a file meant to be shared
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return len(files)


# Rules for names other systems cannot hold (reserved or dotted names, NFD, length, twins):
# cases of the suite hold such names on purpose, and on this system they are files like any,
# written with O_EXCL so that no twin replaces another. Every other rule (traversal, absolute
# paths, links, devices, controls, duplicates, caps) still refuses the archive.
_PORTABILITY = frozenset({"REX-X108", "REX-X109", "REX-X111", "REX-X117", "REX-X119"})


def _unpackable(path: str) -> bool:
    return all(code in _PORTABILITY for code, _ in path_problems(path))


def unpack_suite(archive: Path, into: Path) -> Path:
    """Unpack the suite archive ``archive`` (hostile input) under the empty folder ``into``;
    return the suite's root. Raise SuiteError when it is unreadable or unsafe: every member
    is checked by rexport's archive readers (paths, kinds, duplicates, caps) and written only
    as a regular file inside ``into``, never following a link."""
    try:
        source = open_source(archive, max_files=MAX_SUITE_FILES, max_bytes=MAX_SUITE_BYTES)
    except InputError as exc:
        raise SuiteError(f"{archive}: {exc}") from None
    if source.container not in ("tar", "tar.gz", "zip"):
        raise SuiteError(f"{archive}: not a .tar.gz, .tar or .zip archive")
    root = into.resolve()
    with source:
        try:
            for entry in source.entries():
                if not _unpackable(entry.path) or entry.kind not in ("file", "dir"):
                    raise SuiteError(f"{archive}: member '{display(entry.path)}' is refused")
                target = root.joinpath(*entry.path.split("/"))
                if entry.kind == "dir":
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                # O_EXCL and O_NOFOLLOW: a name met twice or a planted link is never written
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                with entry.open() as src, os.fdopen(os.open(target, flags, 0o644), "wb") as dst:
                    shutil.copyfileobj(src, dst)
        except (OSError, EOFError, tarfile.TarError, ValueError) as exc:
            raise SuiteError(f"{archive}: cannot be unpacked: {exc}") from None
        unsafe = [f for f in source.findings if f.code not in _PORTABILITY]
        if unsafe:
            first = unsafe[0]
            raise SuiteError(f"{archive}: {first.code} {first.message}")
    suite = root / SUITE_DIR
    if not is_suite(suite):
        raise SuiteError(f"{archive}: holds no {SUITE_DIR}/ suite")
    return suite


@contextlib.contextmanager
def unpacked_suite(archive: Path) -> Iterator[Path]:
    """The suite of ``archive`` unpacked in a temporary folder, removed on exit."""
    with tempfile.TemporaryDirectory(prefix="rex-suite-") as tmp:
        yield unpack_suite(archive, Path(tmp))
