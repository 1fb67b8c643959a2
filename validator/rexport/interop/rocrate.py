"""`rexport convert --to ro-crate`: an export written again with its RO-Crate metadata."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from rexport.pack.rocrate import CRATE, with_crate


def convert_to_crate(export: str | os.PathLike[str], out: Path, *, fmt: str | None = None,
                     overwrite: bool = False, max_files: int = 200_000,
                     max_bytes: int = 2**40) -> Any:
    """Validate the export at ``export`` and write it again at ``out`` (a folder or archive,
    as `rexport pack` writes them) with ro-crate-metadata.json, indexed by a new rex.json.

    Return the pack Written; raise InteropError (exit 1: invalid export; exit 2: unreadable
    input or unwritable ``out``).
    """
    from rexport.interop.export import InteropError, checked_export, epoch_of, unpack_payload
    from rexport.pack.build import Written
    from rexport.pack.errors import PackError
    from rexport.pack.hashing import Hashed, signature
    from rexport.pack.manifest import self_check, to_bytes
    from rexport.pack.members import Member
    from rexport.pack.writers import format_for, write_export

    checked = checked_export(export, max_files=max_files, max_bytes=max_bytes)
    manifest, data = with_crate(checked.manifest)
    try:
        container = format_for(out, fmt)
        manifest_bytes = to_bytes(manifest)
        self_check(manifest_bytes)
        with tempfile.TemporaryDirectory(prefix="rexport-crate-") as staging:
            root = Path(staging)
            unpack_payload(checked, root, max_files=max_files, max_bytes=max_bytes)
            members, hashed = [], {}
            for entry in manifest["files"]:
                path = entry["path"]
                local = root.joinpath(*path.split("/"))
                source: Path | bytes = data if path == CRATE else local
                members.append(Member(path, entry["role"], source, entry["media_type"]))
                hashed[path] = Hashed(entry["size"], dict(entry["digests"]),
                                      None if path == CRATE else signature(local))
            write_export(out, container, manifest_bytes, members, hashed,
                         epoch_of(manifest), overwrite=overwrite)
    except PackError as exc:
        raise InteropError(str(exc), exc.exit_code) from None
    return Written(out, container, manifest["export_digest"], manifest)
