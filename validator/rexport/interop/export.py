"""What every conversion shares: a validated export, its manifest and its payload, checked."""

from __future__ import annotations

import calendar
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rexport.report import EXIT_INVALID, EXIT_USAGE, Report

MANIFEST = "rex.json"
DEFAULT_EPOCH = 315_532_800  # 1980-01-01T00:00:00Z, the earliest time a zip can store


class InteropError(Exception):
    """A conversion or attestation that cannot be made: a message and the exit code it gives."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


@dataclass(frozen=True)
class Checked:
    """A valid export: its path as given, parsed manifest, manifest bytes and validation report."""

    path: str
    manifest: dict[str, Any]
    data: bytes
    report: Report

    @property
    def export_digest(self) -> str:
        return str(self.manifest["export_digest"])

    def files(self) -> dict[str, dict[str, Any]]:
        """The index entries by path (a valid export lists each path once)."""
        return {entry["path"]: entry for entry in self.manifest.get("files", [])}


def checked_export(path: str | os.PathLike[str], *, max_files: int = 200_000,
                   max_bytes: int = 2**40, jobs: int | None = None) -> Checked:
    """Validate the export at ``path`` and read its manifest; return a Checked.

    Raise InteropError with exit code 2 when the input cannot be read and 1 when the export is
    invalid: converting or attesting an invalid export would vouch for what nobody checked.
    """
    from rexport.sources import ManifestError, read_manifest
    from rexport.validation import validate

    shown = os.fsdecode(path)
    report = validate(path, max_files=max_files, max_bytes=max_bytes, jobs=jobs)
    if report.exit_code == EXIT_USAGE:
        first = report.findings[0]
        raise InteropError(f"{shown}: {first.message} ({first.code})", EXIT_USAGE)
    if report.container == "manifest":
        raise InteropError(f"{shown}: a bare rex.json has no payload; give the whole export")
    if not report.valid:
        first = (report.errors or report.findings)[0]
        where = first.file + (f" {first.pointer}" if first.pointer else "")
        raise InteropError(f"{shown} is not a valid export ({first.code} at {where}: "
                           f"{first.message}); run `rexport validate` and fix it first",
                           EXIT_INVALID)
    try:
        manifest, data = read_manifest(path, max_files=max_files, max_bytes=max_bytes)
    except ManifestError as exc:
        raise InteropError(f"{shown}: {exc}", EXIT_USAGE) from None
    if manifest.get("export_digest") != report.export_digest:
        raise InteropError(f"{shown} changed while it was read; try again", EXIT_INVALID)
    return Checked(shown, manifest, data, report)


def unpack_payload(checked: Checked, dest: Path, *, max_files: int = 200_000,
                   max_bytes: int = 2**40) -> None:
    """Write rex.json and every indexed file of ``checked`` under the empty folder ``dest``.

    Each file's size and sha256 are checked against the index as it streams; InteropError
    (exit code 1) at the first that differs.
    """
    from rexport.sources.unpack import UnpackError, unpack

    try:
        unpack(checked.path, checked.manifest, checked.data, dest, max_files=max_files,
               max_bytes=max_bytes)
    except UnpackError as exc:
        code = f" ({exc.code})" if exc.code else ""
        raise InteropError(f"{checked.path}: {exc}{code}", EXIT_INVALID) from None


def epoch_of(manifest: dict[str, Any]) -> int:
    """The export's creation time in seconds (its ``created``), else 1980-01-01."""
    created = manifest.get("created")
    if isinstance(created, str):
        try:
            stamp = time.strptime(created[:19], "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            return DEFAULT_EPOCH
        return max(DEFAULT_EPOCH, calendar.timegm(stamp))
    return DEFAULT_EPOCH


def json_bytes(value: Any) -> bytes:
    """Deterministic JSON: sorted keys, two-space indent, UTF-8, final newline."""
    return (json.dumps(value, sort_keys=True, ensure_ascii=False, indent=2, allow_nan=False)
            + "\n").encode("utf-8")


def walk_tree(root: Path) -> Iterator[Path]:
    """Every file and folder under ``root`` (not following links), deepest first."""
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        base = Path(dirpath)
        for name in [*filenames, *dirnames]:
            yield base / name


def write_atomically(out: Path, data: bytes) -> None:
    """Write ``data`` at ``out`` through a temporary beside it, replacing ``out``."""
    from rexport.pack.errors import PackError
    from rexport.pack.writers import atomic_output

    try:
        with atomic_output(out, is_dir=False, overwrite=True) as tmp:
            tmp.write_bytes(data)
    except PackError as exc:
        raise InteropError(str(exc)) from None
