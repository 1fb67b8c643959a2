"""Read a tracker's directory as hostile input: no link followed, no path out, no unbounded read."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from rexport.findings import Finding, Severity
from rexport.pack.errors import PackError
from rexport.paths import display

# Tracker metadata (YAML, JSON, metric logs) is small; a larger file is not one the tracker wrote.
MAX_METADATA_BYTES = 16 << 20
MAX_ENTRIES = 200_000


class ImportRefused(PackError):
    """The tracker's records cannot be imported as they are; the message says why and what to do."""


def inside(rel: str, where: str = "the run directory") -> PurePosixPath:
    """``rel`` as a relative path that stays inside its base, or ImportRefused."""
    text = rel.replace("\\", "/")
    path = PurePosixPath(text)
    if not text or path.is_absolute() or (len(text) > 1 and text[1] == ":") \
            or any(part == ".." for part in path.parts) or "\0" in text:
        raise ImportRefused(f"{display(rel)!r} (named in {where}) points outside the run's "
                            "folder; rexport reads nothing outside it (was the tracker's "
                            "record edited?)")
    return path


class RunDir:
    """A tracker's directory: every path is checked to stay inside it and to be no link.

    ``skip_links`` turns a link or special file met while listing a folder into a warning
    (appended to ``warnings``) instead of a refusal; a link named explicitly is always refused.
    """

    def __init__(self, root: str | os.PathLike[str], what: str, *, skip_links: bool = False,
                 warnings: list[str] | None = None) -> None:
        given = Path(root).expanduser()
        if not given.is_dir():
            raise ImportRefused(f"{what} {os.fspath(root)!r} is not a directory")
        self.root = given.resolve()
        self.what = what
        self.skip_links = skip_links
        self.warnings = warnings if warnings is not None else []

    def path(self, rel: str | PurePosixPath) -> Path:
        """The local path of ``rel`` (a relative path); ImportRefused when it leaves the folder
        or passes through a link."""
        parts = inside(str(rel)).parts
        here = self.root
        for part in parts:
            here = here / part
            try:
                mode = here.lstat().st_mode
            except FileNotFoundError:
                return self.root.joinpath(*parts)
            except OSError as exc:
                raise ImportRefused(f"cannot read {self._name(rel)}: {exc.strerror}") from None
            if stat.S_ISLNK(mode):
                raise ImportRefused(
                    f"{self._name(rel)} is a symbolic link (to {display(os.readlink(here))}); "
                    "rexport does not follow links in a run directory: replace it with a copy "
                    "of the file if it belongs to the run" + self._skip_hint())
        return here

    def _skip_hint(self) -> str:
        return "" if self.skip_links else ", or pass --skip-links to leave it out"

    def _name(self, rel: str | PurePosixPath) -> str:
        return f"{self.what} file {display(str(rel))!r}"

    def exists(self, rel: str | PurePosixPath) -> bool:
        """True when ``rel`` names an entry (of any kind) inside the folder."""
        local = self.path(rel)
        return os.path.lexists(local)

    def is_dir(self, rel: str | PurePosixPath) -> bool:
        local = self.path(rel)
        return local.is_dir() and not local.is_symlink()

    def regular(self, rel: str | PurePosixPath) -> Path:
        """The local path of a regular file ``rel``; ImportRefused for anything else."""
        local = self.path(rel)
        try:
            mode = local.lstat().st_mode
        except FileNotFoundError:
            raise ImportRefused(f"{self._name(rel)} is missing: the run directory is incomplete "
                                "(was it copied only in part?)") from None
        if not stat.S_ISREG(mode):
            raise ImportRefused(f"{self._name(rel)} is not a regular file")
        return local

    def read_bytes(self, rel: str | PurePosixPath, limit: int = MAX_METADATA_BYTES) -> bytes:
        """The bytes of a regular file of at most ``limit`` bytes; ImportRefused otherwise."""
        local = self.regular(rel)
        try:
            with open(local, "rb") as handle:
                data = handle.read(limit + 1)
        except OSError as exc:
            raise ImportRefused(f"cannot read {self._name(rel)}: {exc.strerror}") from None
        if len(data) > limit:
            raise ImportRefused(f"{self._name(rel)} is larger than {limit} bytes: not a file "
                                "the tracker writes")
        return data

    def text(self, rel: str | PurePosixPath, limit: int = MAX_METADATA_BYTES) -> str:
        """A small text file, decoded as UTF-8 (undecodable bytes replaced)."""
        return self.read_bytes(rel, limit).decode("utf-8", "replace")

    def yaml(self, rel: str | PurePosixPath) -> Any:
        """A YAML file parsed safely (plain data only: no tags, no aliases)."""
        from rexport.parsing import load_yaml

        return parsed(load_yaml(self.read_bytes(rel), file=str(rel)), self._name(rel))

    def json(self, rel: str | PurePosixPath) -> Any:
        """A JSON file parsed with the validator's own safe parser."""
        from rexport.parsing import load_json

        return parsed(load_json(self.read_bytes(rel), file=str(rel)), self._name(rel))

    def listdir(self, rel: str | PurePosixPath = ".") -> list[str]:
        """Names in the folder ``rel``, sorted; [] when it does not exist."""
        local = self.root if str(rel) in ("", ".") else self.path(rel)
        if not local.is_dir() or local.is_symlink():
            return []
        names = sorted(os.listdir(local))
        if len(names) > MAX_ENTRIES:
            raise ImportRefused(f"{self.what} folder {display(str(rel))!r} holds more than "
                                f"{MAX_ENTRIES} entries")
        return names

    def files(self, rel: str | PurePosixPath) -> Iterator[tuple[str, Path]]:
        """(path relative to ``rel``, local path) of every regular file under the folder
        ``rel``, sorted; a link or special file is refused, or left out with a warning."""
        base = self.root if str(rel) in ("", ".") else self.path(rel)
        if not base.is_dir():
            return
        found: list[tuple[str, Path]] = []
        for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
            here = Path(dirpath)
            for name in sorted(dirnames):
                if (here / name).is_symlink():
                    self._odd(here / name, base)
                    dirnames.remove(name)
            for name in filenames:
                full = here / name
                if not stat.S_ISREG(full.lstat().st_mode):
                    self._odd(full, base)
                    continue
                found.append((full.relative_to(base).as_posix(), full))
                if len(found) > MAX_ENTRIES:
                    raise ImportRefused(f"{self.what} folder {display(str(rel))!r} holds more "
                                        f"than {MAX_ENTRIES} files")
        found.sort(key=lambda item: item[0].encode("utf-8", "surrogateescape"))
        yield from found

    def _odd(self, local: Path, base: Path) -> None:
        rel = local.relative_to(self.root).as_posix()
        kind = "a symbolic link" if local.is_symlink() else "not a regular file"
        if not self.skip_links:
            target = f" (to {display(os.readlink(local))})" if local.is_symlink() else ""
            raise ImportRefused(f"{self._name(rel)} is {kind}{target}; rexport does not follow "
                                "links or read special files in a run directory: replace it "
                                "with a copy of the file" + self._skip_hint())
        self.warnings.append(f"{rel} is {kind}: left out of the export (copy the file into "
                             "the run directory and import again to keep it)")


def parsed(result: tuple[Any, list[Finding]], name: str) -> Any:
    document, findings = result
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if errors:
        first = errors[0]
        where = f" (line {first.line})" if first.line else ""
        raise ImportRefused(f"{name} cannot be read: {first.code} {first.message}{where}")
    return document
