"""The hostile corpus's export: a small valid export as members, and what a case changes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from helpers.archives import Member, write_members
from helpers.exports import build_manifest, file_entry, manifest_bytes

TRAIN = b"import random\n\nrandom.seed(0)\nprint('accuracy', 0.9)\n"
CONFIG = b"learning_rate: 0.1\nepochs: 3\n"

# where the corpus's manifest differs from the tests' base one: a config file that the parse
# cases break, and a metric value that they rewrite as NaN
SECTIONS: dict[str, Any] = {
    "producer": {"name": "rexport hostile corpus", "version": "0.1.0"},
    "config": {"path": "config/config.yaml", "seeds": {"python": 0}},
    "results": {"metrics": [{"name": "accuracy", "value": 0.9}]},
}


@dataclass(frozen=True)
class Export:
    """An export: its members, and optionally raw manifest bytes replacing the generated one.

    Iterating it gives the members an archive holds: rex.json first, then ``members``.
    """

    members: tuple[Member, ...]
    manifest_raw: bytes | None = None
    manifest_extra: dict[str, Any] = field(default_factory=dict)
    # further files[] entries for members not listed as they are: a path (indexed as an
    # empty file) or (path, the content to index)
    extra_paths: tuple[str | tuple[str, bytes], ...] = ()

    def plus(self, *members: Member) -> Export:
        return replace(self, members=self.members + members)

    def __iter__(self) -> Iterator[Member]:
        raw = self.manifest_raw
        yield Member("rex.json", manifest_bytes(manifest(self)) if raw is None else raw)
        yield from self.members


def base() -> Export:
    """A small export that a validator accepts as it is."""
    return Export((Member("code/train.py", TRAIN), Member("config/config.yaml", CONFIG)))


def manifest(export: Export) -> dict[str, Any]:
    """The manifest of ``export``: every listed file indexed, the export digest computed."""
    files = [file_entry(m.name, m.data) for m in export.members
             if m.kind == "file" and m.listed and isinstance(m.name, str)]
    files += [file_entry(*(p if isinstance(p, tuple) else (p, b"")))
              for p in export.extra_paths]
    return build_manifest(**{**SECTIONS, "files": files, **export.manifest_extra})


def write(export: Export, container: str, folder: Path, name: str = "export") -> Path:
    """Write ``export`` as ``container`` inside ``folder``; return the path to validate."""
    return write_members(export, container, folder, name)
