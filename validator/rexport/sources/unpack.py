"""Unpack an export's indexed files into a fresh folder: no links followed, every digest checked."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from rexport.json_values import as_list, get
from rexport.paths import MANIFEST, path_problems
from rexport.sources import InputError, open_source

CHUNK = 1 << 20

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_BINARY = getattr(os, "O_BINARY", 0)
# Without dir_fd (Windows) each step is checked by path instead of by open directory handle.
_DIR_FD = os.open in os.supports_dir_fd and os.mkdir in os.supports_dir_fd


class UnpackError(Exception):
    """The export could not be unpacked exactly as indexed; ``code`` is a finding code if known."""

    def __init__(self, message: str, *, code: str | None = None, path: str | None = None):
        super().__init__(message)
        self.code = code
        self.path = path


def index_of(manifest: Mapping[str, Any]) -> dict[str, tuple[int, str]]:
    """Map each indexed path to its (size, sha256); raise UnpackError on a malformed index."""
    index: dict[str, tuple[int, str]] = {}
    for entry in as_list(manifest.get("files")):
        path, size, sha = get(entry, "path"), get(entry, "size"), get(entry, "digests", "sha256")
        if (not isinstance(path, str) or path_problems(path) or isinstance(size, bool)
                or not isinstance(size, int) or not isinstance(sha, str) or path in index
                or path == MANIFEST):
            raise UnpackError(f"unusable index entry: {path!r}", path=str(path))
        index[path] = (size, sha.lower())
    return index


def unpack(source: str | os.PathLike[str], manifest: Mapping[str, Any], manifest_bytes: bytes,
           dest: Path, *, max_files: int, max_bytes: int) -> int:
    """Write every indexed file of ``source`` and ``rex.json`` under the empty folder ``dest``.

    Only safe regular files listed in the index are written, each created anew (O_EXCL), its size
    and sha256 checked against the index as it streams. Return the number of files written; raise
    UnpackError at the first member that is unsafe, unindexed, duplicated, tampered or missing.
    """
    index = index_of(manifest)
    written: set[str] = set()
    try:
        with open_source(source, max_files=max_files, max_bytes=max_bytes) as src:
            for entry in src.entries():
                if entry.kind == "dir":
                    continue
                if not entry.safe or path_problems(entry.path):
                    raise UnpackError(f"unsafe member name: {entry.path!r}", path=entry.path)
                if entry.kind != "file":
                    raise UnpackError(f"{entry.kind} member refused: {entry.path}",
                                      code="REX-X105", path=entry.path)
                if entry.path == MANIFEST:
                    continue  # written below from the very bytes that were parsed and checked
                if entry.path not in index:
                    raise UnpackError(f"member not in the index: {entry.path}",
                                      code="REX-C103", path=entry.path)
                if entry.path in written:
                    raise UnpackError(f"member stored twice: {entry.path}",
                                      code="REX-X107", path=entry.path)
                size, sha = index[entry.path]
                with entry.open() as fp:
                    _write_checked(dest, entry.path, fp, size, sha)
                written.add(entry.path)
            if src.findings:
                first = src.findings[0]
                raise UnpackError(first.message, code=first.code, path=first.file)
    except InputError as exc:
        raise UnpackError(str(exc), code=getattr(exc, "code", None)) from None
    except OSError as exc:
        raise UnpackError(f"unpacking failed: {exc}") from None
    missing = sorted(set(index) - written)
    if missing:
        raise UnpackError(f"indexed file missing: {missing[0]}", code="REX-C102",
                          path=missing[0])
    with _create(dest, MANIFEST) as out:
        out.write(manifest_bytes)
    return len(written)


def _write_checked(dest: Path, path: str, fp: IO[bytes], size: int, sha256: str) -> None:
    digest = hashlib.sha256()
    total = 0
    with _create(dest, path) as out:
        while True:
            # read at most one byte past the indexed size: a longer member is refused unread
            chunk = fp.read(min(CHUNK, size + 1 - total))
            if not chunk:
                break
            total += len(chunk)
            if total > size:
                break
            digest.update(chunk)
            out.write(chunk)
    if total != size:
        raise UnpackError(f"size mismatch: {path}", code="REX-I101", path=path)
    if digest.hexdigest() != sha256:
        raise UnpackError(f"digest mismatch: {path}", code="REX-I102", path=path)


@contextmanager
def _create(dest: Path, path: str) -> Iterator[IO[bytes]]:
    """Open ``dest/path`` for writing, new, creating parent folders, never through a link."""
    *parents, name = path.split("/")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY
    if not _DIR_FD:
        target = dest.joinpath(*parents)
        target.mkdir(parents=True, exist_ok=True)
        if not target.resolve().is_relative_to(dest.resolve()):
            raise UnpackError(f"folder escapes the export: {path}", code="REX-X101", path=path)
        with os.fdopen(os.open(target / name, flags, 0o644), "wb") as out:
            yield out
        return
    fd = os.open(dest, os.O_RDONLY | _DIRECTORY | _NOFOLLOW)
    try:
        for part in parents:
            with suppress(FileExistsError):
                os.mkdir(part, 0o755, dir_fd=fd)
            child = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = child
            if not stat.S_ISDIR(os.fstat(fd).st_mode):
                raise UnpackError(f"not a folder: {part} in {path}", path=path)
        with os.fdopen(os.open(name, flags, 0o644, dir_fd=fd), "wb") as out:
            yield out
    finally:
        os.close(fd)
