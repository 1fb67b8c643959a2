"""Build rex.json: the file index, the sections, the export digest, and its deterministic bytes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from rexport.pack.errors import PackError
from rexport.pack.hashing import Hashed
from rexport.pack.members import Member
from rexport.schema.minors import version_needed
from rexport.versions import __version__

# The bundle: one file that an editor can fetch and check the whole manifest with.
MANIFEST_SCHEMA = "https://rex.example.org/schemas/v1/rex.bundle.schema.json"
# Section order as written; json.dumps(sort_keys=True) makes the bytes independent of it.
SECTIONS = ("title", "description", "code", "data", "lineage", "environment", "config",
            "results", "replay", "narrative", "governance", "redactions", "annotations")


def file_entry(member: Member, hashed: Hashed) -> dict[str, Any]:
    """The files[] entry of one member."""
    return {"path": member.path, "size": hashed.size, "media_type": member.media_type,
            "role": member.role, "digests": dict(sorted(hashed.digests.items()))}


def assemble(sections: Mapping[str, Any], members: Sequence[Member],
             hashed: Mapping[str, Hashed], created: str,
             producer: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The whole manifest, export_digest included; empty optional sections are left out.

    ``producer`` defaults to rexport itself; an importer names itself and the source tool.
    """
    ordered = sorted(members, key=lambda m: m.path.encode("utf-8"))
    manifest: dict[str, Any] = {
        # editors that honour $schema check the manifest as it is edited (spec EXP-06)
        "$schema": MANIFEST_SCHEMA,
        "rex_version": "",  # named below, once the members are known
        "created": created,
        "producer": dict(producer) if producer else {"name": "rexport", "version": __version__},
        "files": [file_entry(m, hashed[m.path]) for m in ordered],
    }
    for key in SECTIONS:
        value = sections.get(key)
        if value not in (None, {}, [], ""):
            manifest[key] = value
    from rexport.canonical import export_digest  # orjson and RFC 8785: once files are hashed

    # the earliest version defining every member (VER-06): 1.0 validators keep reading an
    # export that uses nothing a later minor added, without a REX-V103 warning
    manifest["rex_version"] = version_needed(manifest)
    manifest["export_digest"] = export_digest(manifest)
    return manifest


def to_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The manifest's bytes: sorted keys, two-space indent, UTF-8, final newline.

    Sorted keys and a fixed layout make the bytes a function of the content alone; the export
    digest itself is computed over the RFC 8785 form, so readers need not reproduce this one.
    """
    try:
        text = json.dumps(manifest, sort_keys=True, ensure_ascii=False, indent=2,
                          allow_nan=False)
    except ValueError as exc:  # NaN or infinity somewhere in the recorded values
        raise PackError(f"the manifest holds a value JSON cannot carry: {exc}") from None
    return (text + "\n").encode("utf-8")


def prepare_self_check() -> None:
    """Import and compile now what self_check runs: the packer calls this while its threads
    hash, so that the check costs little once the manifest is made."""
    from rexport.checks import schema
    from rexport.validation import check_manifest  # noqa: F401  (imported: its cost paid now)

    schema.prepare()


def self_check(data: bytes) -> None:
    """Run the validator's manifest checks on the bytes about to be written.

    Anything the validator would call an error is refused here, so that the packer never
    writes an export that fails validation.
    """
    from rexport.findings import Severity
    from rexport.validation import check_manifest

    errors = [f for f in check_manifest(data).findings if f.severity is Severity.ERROR]
    if errors:
        listing = "; ".join(f"{f.code} at {f.pointer or '/'}: {f.message}" for f in errors[:10])
        raise PackError(f"the export would not be valid: {listing}")
