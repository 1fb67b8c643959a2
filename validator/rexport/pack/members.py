"""The files of an export before they are written: where each comes from, role, media type."""

from __future__ import annotations

import errno
import io
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from rexport.pack.errors import PackError

ROLES = ("code", "data", "environment", "config", "result", "artifact", "narrative", "other")

# Our own table rather than `mimetypes`: that module reads the machine's /etc/mime.types, and
# its built-in table changes between Python versions, either of which would change the manifest.
_MEDIA_TYPES: dict[str, str] = {
    ".py": "text/x-python", ".pyi": "text/x-python", ".ipynb": "application/x-ipynb+json",
    ".r": "text/x-r", ".jl": "text/x-julia", ".c": "text/x-c", ".h": "text/x-c",
    ".cpp": "text/x-c++", ".hpp": "text/x-c++", ".rs": "text/x-rust", ".go": "text/x-go",
    ".java": "text/x-java", ".js": "text/javascript", ".ts": "text/x-typescript",
    ".sh": "text/x-shellscript", ".bash": "text/x-shellscript", ".diff": "text/x-diff",
    ".patch": "text/x-diff", ".json": "application/json", ".jsonl": "application/jsonl",
    ".yaml": "application/yaml", ".yml": "application/yaml", ".toml": "application/toml",
    ".xml": "application/xml", ".html": "text/html", ".css": "text/css", ".md": "text/markdown",
    ".rst": "text/x-rst", ".txt": "text/plain", ".lock": "text/plain", ".cfg": "text/plain",
    ".ini": "text/plain", ".in": "text/plain", ".csv": "text/csv",
    ".tsv": "text/tab-separated-values", ".parquet": "application/vnd.apache.parquet",
    ".npy": "application/octet-stream", ".npz": "application/zip", ".idx": "text/plain",
    ".pkl": "application/octet-stream",
    ".pickle": "application/octet-stream", ".joblib": "application/octet-stream",
    ".pt": "application/octet-stream", ".onnx": "application/octet-stream",
    ".safetensors": "application/octet-stream", ".h5": "application/x-hdf5",
    ".hdf5": "application/x-hdf5", ".png": "image/png", ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg", ".gif": "image/gif", ".svg": "image/svg+xml", ".pdf": "application/pdf",
    ".gz": "application/gzip", ".zip": "application/zip", ".tar": "application/x-tar",
}
_NAMED: dict[str, str] = {
    "Dockerfile": "text/plain", "Makefile": "text/plain", "LICENSE": "text/plain",
    "Pipfile": "application/toml", "uv.lock": "application/toml", "poetry.lock": "application/toml",
}

# Directories and files that are tool state, not code: their bytes change between runs of the
# same code (compiled bytecode embeds source mtimes), which would break determinism.
DEFAULT_EXCLUDES: frozenset[str] = frozenset({
    ".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".ipynb_checkpoints", ".hypothesis", ".tox", ".nox", ".venv", ".DS_Store",
})
_EXCLUDED_SUFFIXES = (".pyc", ".pyo")


def media_type_for(path: str) -> str:
    """Return the media type recorded for an export path (application/octet-stream if unknown)."""
    name = path.rsplit("/", 1)[-1]
    if name in _NAMED:
        return _NAMED[name]
    suffix = os.path.splitext(name)[1].lower()
    return _MEDIA_TYPES.get(suffix, "application/octet-stream")


@dataclass(frozen=True)
class Member:
    """One file of the export: its path there, its role, and its bytes (a local file or data)."""

    path: str
    role: str
    source: Path | bytes
    media_type: str = ""
    executable: bool = False

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")
        if not self.media_type:
            object.__setattr__(self, "media_type", media_type_for(self.path))

    def size(self) -> int:
        """The member's size in bytes."""
        if isinstance(self.source, bytes):
            return len(self.source)
        return self.source.stat().st_size

    def open(self) -> BinaryIO:
        """Open the member's bytes for reading."""
        if isinstance(self.source, bytes):
            return io.BytesIO(self.source)
        return open_regular(self.source, "input")  # the caller closes it


def is_executable(path: Path) -> bool:
    """True when the owner may execute the file: such members are stored with mode 0755."""
    return bool(path.stat().st_mode & stat.S_IXUSR)


def _excluded(name: str, excludes: frozenset[str]) -> bool:
    return name in excludes or name.endswith(_EXCLUDED_SUFFIXES)


def walk_files(root: Path, excludes: Iterable[str] = DEFAULT_EXCLUDES,
               skipped: list[str] | None = None) -> Iterator[tuple[str, Path]]:
    """Yield (relative posix path, local path) for every regular file under ``root``, sorted.

    Links and special files are not followed (REX stores regular files only); their relative
    paths are appended to ``skipped`` so that the caller can say so.
    """
    excluded = frozenset(excludes)
    found: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath)
        keep = []
        for name in dirnames:
            full = base / name
            if _excluded(name, excluded):
                continue
            if full.is_symlink():
                if skipped is not None:
                    skipped.append(full.relative_to(root).as_posix())
                continue
            keep.append(name)
        dirnames[:] = keep
        for name in filenames:
            if _excluded(name, excluded):
                continue
            full = base / name
            mode = full.lstat().st_mode
            if not stat.S_ISREG(mode):
                if skipped is not None:
                    skipped.append(full.relative_to(root).as_posix())
                continue
            found.append((full.relative_to(root).as_posix(), full))
    # sort by UTF-8 bytes: the canonical order, whatever the file system's listing order
    found.sort(key=lambda item: item[0].encode("utf-8", "surrogateescape"))
    yield from found


def local_file(path: str | os.PathLike[str], what: str) -> Path:
    """Resolve a local input that must be a regular file or directory, or PackError.

    A symbolic link is refused, as the folder walker refuses one inside a folder: following it
    would embed a file from elsewhere under the link's name. ``what`` names the input in the
    message (an option such as ``--data``, or a parameter of the capture API).
    """
    given = Path(path).expanduser()
    try:
        mode = given.lstat().st_mode
    except FileNotFoundError:
        raise PackError(f"{what} {os.fspath(path)!r} does not exist") from None
    except OSError as exc:
        raise PackError(f"{what} {os.fspath(path)!r} cannot be read: {exc.strerror}") from None
    if stat.S_ISLNK(mode):
        raise PackError(f"{what} {os.fspath(path)!r} is a symbolic link; REX stores regular "
                        "files only: name the file or folder itself")
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise PackError(f"{what} {os.fspath(path)!r} is not a regular file or directory")
    return given.resolve()


_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))


def open_regular(path: Path, what: str) -> BinaryIO:
    """Open a regular file for reading, or PackError: never a link, and never a FIFO or a
    device, whose reading could block for ever (opened without blocking, then checked)."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        reason = "is a symbolic link" if exc.errno == errno.ELOOP else exc.strerror
        raise PackError(f"{what} {os.fspath(path)!r}: {reason}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise PackError(f"{what} {os.fspath(path)!r} is not a regular file")
    return os.fdopen(fd, "rb")


def read_regular(path: Path, what: str, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (open_regular), or PackError."""
    with open_regular(path, what) as fp:
        data = fp.read(limit + 1)
    if len(data) > limit:
        raise PackError(f"{what} {os.fspath(path)!r} is larger than {limit} bytes")
    return data
