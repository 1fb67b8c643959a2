"""Canonical JSON (RFC 8785) and the export digest over the immutable part of a manifest."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

# Members of the manifest that are not covered by the export digest (spec DIG-03).
MUTABLE_MEMBERS: frozenset[str] = frozenset({"export_digest", "annotations"})


def canonical_bytes(value: Any) -> bytes:
    """Return the RFC 8785 (JCS) canonical UTF-8 serialisation of a JSON value."""
    return bytes(rfc8785.dumps(value))


def immutable_part(manifest: dict[str, Any]) -> dict[str, Any]:
    """Return the manifest without its mutable members (export_digest, annotations)."""
    return {k: v for k, v in manifest.items() if k not in MUTABLE_MEMBERS}


def export_digest(manifest: dict[str, Any]) -> str:
    """Return ``sha256:<hex>`` over the canonical form of the manifest's immutable part."""
    return "sha256:" + hashlib.sha256(canonical_bytes(immutable_part(manifest))).hexdigest()
