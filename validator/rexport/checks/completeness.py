"""Completeness: every indexed file present, every present file indexed, each path listed once."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from rexport.findings import Finding, pointer
from rexport.json_values import IndexColumns
from rexport.paths import MANIFEST


@dataclass(slots=True)
class IndexEntry:
    """One usable entry of ``files[]``: its position, declared size, digests and media type."""

    position: int
    path: str
    size: int | None
    digests: dict[str, Any]
    media_type: str | None


def _entry(position: int, raw: Any) -> IndexEntry | None:
    if not isinstance(raw, dict):
        return None
    path = raw.get("path")
    if not isinstance(path, str):
        return None  # the schema check reports the malformed entry
    size = raw.get("size")
    # bool is an int in Python, but true is not a size
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        size = None
    digests = raw.get("digests")
    media_type = raw.get("media_type")
    return IndexEntry(position, path, size, digests if isinstance(digests, dict) else {},
                      media_type if isinstance(media_type, str) else None)


class FileIndex(Mapping[str, IndexEntry]):
    """The usable entries of ``files[]`` by path (the first entry of a path listed twice).

    Only positions are kept; an IndexEntry is made when one is asked for, so that a
    100,000-entry index costs no object per entry until the payload pass needs one.
    """

    def __init__(self, files: list[Any], positions: dict[str, int]) -> None:
        self.files = files
        self.positions = positions

    def __getitem__(self, path: str) -> IndexEntry:
        position = self.positions[path]
        entry = _entry(position, self.files[position])
        assert entry is not None  # only usable entries have a position
        return entry

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.positions, key=self.positions.__getitem__))

    def __len__(self) -> int:
        return len(self.positions)


@dataclass
class Tracker:
    """The file index of a manifest, checked off entry by entry during the payload pass.

    Build with :meth:`from_manifest`, call :meth:`see` for every file member of the
    export, then :meth:`finish` for the indexed files that never appeared.
    """

    index: FileIndex = field(default_factory=lambda: FileIndex([], {}))
    findings: list[Finding] = field(default_factory=list)
    usable: bool = True
    seen: set[str] = field(default_factory=set)

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any], *, columns: IndexColumns | None = None
                      ) -> Tracker:
        """Index ``manifest["files"]``; a path listed twice gives REX-C105 on the later entry.

        ``columns``: the index as json_values.index_columns gives it, when the caller has it:
        then the positions are found without a step per entry.
        """
        files = manifest.get("files")
        tracker = cls()
        if not isinstance(files, list):
            # no index to compare against: the schema check reports it, and calling
            # every member "unlisted" would only bury that one finding
            tracker.usable = False
            return tracker
        positions: dict[str, int] = {}
        if columns is not None:
            # reversed, so that the first position of a path is the one kept
            positions = dict(zip(reversed(columns.paths), range(len(files) - 1, -1, -1),
                                 strict=True))
        if len(positions) != len(files):  # no columns, or a path listed twice
            positions = tracker._positions(files)
        tracker.index = FileIndex(files, positions)
        return tracker

    def _positions(self, files: list[Any]) -> dict[str, int]:
        positions: dict[str, int] = {}
        for position, raw in enumerate(files):
            entry = _entry(position, raw)
            if entry is None:
                continue
            first = positions.setdefault(entry.path, position)
            if first != position:
                self.findings.append(Finding.of(
                    "REX-C105", f"{entry.path!r} is listed again (first at /files/{first})",
                    pointer=pointer("files", position, "path")))
        return positions

    def see(self, path: str, *, kind: str = "file") -> IndexEntry | None:
        """Record that the export holds ``path``; return its index entry when it has one.

        A file member the index does not list gives REX-C103 (rex.json itself excepted).
        Links, devices and other kinds, and members whose name the safety check refused
        (kind "refused"), are the safety check's findings: they only mark the path as
        present, so that a listed one is not reported missing a second time (spec IDX-03).
        A directory is not a file: a listed directory stays missing.
        """
        if path == MANIFEST or kind == "dir" or path in self.seen:
            return None
        if kind != "file":
            self.seen.add(path)
            return None
        return self.see_file(path)

    def see_file(self, path: str) -> IndexEntry | None:
        """:meth:`see` for a file member other than rex.json, not seen before."""
        self.seen.add(path)
        entry = self.index.get(path)
        if entry is None and self.usable:
            self.findings.append(Finding.of(
                "REX-C103", f"{path!r} is in the export but not listed in files", file=path))
        return entry

    def finish(self, *, excused: frozenset[int] = frozenset(), missing: bool = True
               ) -> list[Finding]:
        """Return every finding, adding REX-C102 for indexed files never seen.

        ``excused`` holds positions of entries whose path was already refused by the
        safety check: such a file is never looked up, so "missing" would be noise.
        ``missing`` False skips REX-C102 altogether (the walk did not reach every member).
        """
        if not missing:
            return self.findings
        positions = self.index.positions
        for path in sorted(positions.keys() - self.seen, key=positions.__getitem__):
            position = positions[path]
            if position in excused:
                continue
            why = ("rex.json is the manifest and must not list itself"
                   if path == MANIFEST else f"{path!r} is not in the export")
            self.findings.append(Finding.of(
                "REX-C102", why, pointer=pointer("files", position, "path")))
        return self.findings


def payload_skipped() -> Finding:
    """REX-C106: only a bare manifest was given, so files were not checked."""
    return Finding.of("REX-C106", "only the manifest was given: file presence, sizes and "
                      "digests were not checked")


def manifest_missing() -> Finding:
    """REX-C101: the export has no rex.json at its root."""
    return Finding.of("REX-C101", "the export has no rex.json at its root")
