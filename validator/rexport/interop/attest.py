"""Sign an export's provenance as a DSSE envelope and verify one against the export's bytes.

Keys are PEM files, ECDSA P-256 or Ed25519; signing and the envelope are securesystemslib's
(the `rexport[attest]` extra).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rexport.interop.export import InteropError, checked_export, json_bytes, write_atomically
from rexport.interop.provenance import PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE, statement
from rexport.report import EXIT_INVALID

EXTRA = "rexport[attest]"
ENVELOPE_CAP = 64 << 20  # an envelope is a few kilobytes per artifact


def _libraries() -> Any:
    try:
        from cryptography.hazmat.primitives import serialization
        from securesystemslib import dsse, signer
    except ImportError:
        raise InteropError(f"attestations need the extra: pip install '{EXTRA}'") from None
    return serialization, dsse, signer


def _check_kind(key: Any, path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    public = key.public_key() if hasattr(key, "public_key") else key
    if isinstance(public, ed25519.Ed25519PublicKey):
        return
    if isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP256R1):
        return
    raise InteropError(f"{path}: only ECDSA P-256 and Ed25519 keys are supported")


def _pem(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InteropError(f"{path}: cannot read the key: {exc.strerror or exc}") from None


def load_private_key(path: Path) -> Any:
    """A securesystemslib signer for the unencrypted PEM private key at ``path``."""
    serialization, _, signer = _libraries()
    try:
        key = serialization.load_pem_private_key(_pem(path), password=None)
    except (ValueError, TypeError) as exc:
        raise InteropError(f"{path}: not an unencrypted PEM private key ({exc})") from None
    _check_kind(key, path)
    return signer.CryptoSigner(key)


def load_public_key(path: Path) -> Any:
    """A securesystemslib key for the PEM public key (or the public half of a private key)."""
    serialization, _, signer = _libraries()
    data = _pem(path)
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        try:
            key = serialization.load_pem_private_key(data, password=None).public_key()
        except (ValueError, TypeError) as exc:
            raise InteropError(f"{path}: not a PEM public key ({exc})") from None
    _check_kind(key, path)
    return signer.SSlibKey.from_crypto(key)


def attest(export: str | os.PathLike[str], key: Path, out: Path, *, overwrite: bool = False,
           max_files: int = 200_000, max_bytes: int = 2**40) -> list[dict[str, Any]]:
    """Validate the export, sign its Statement with ``key`` and write the envelope at ``out``
    (outside the export). Return the subjects; raise InteropError."""
    _, dsse, _ = _libraries()
    signer = load_private_key(key)
    root = Path(os.fsdecode(export)).resolve()
    if root.is_dir() and out.resolve().is_relative_to(root):
        raise InteropError(f"{out}: the attestation must live outside the sealed export")
    if out.exists() and not overwrite:
        raise InteropError(f"{out} already exists; remove it or pass --force")
    checked = checked_export(export, max_files=max_files, max_bytes=max_bytes)
    document = statement(checked.manifest)
    envelope = dsse.Envelope(json_bytes(document), PAYLOAD_TYPE, {})
    envelope.sign(signer)
    write_atomically(out, json_bytes(envelope.to_dict()))
    return list(document["subject"])


@dataclass(frozen=True)
class Verified:
    """What verify() established: the key that signed, the subjects, the export digest."""

    keyid: str
    subjects: int
    export_digest: str


def _envelope(path: Path) -> Any:
    _, dsse, _ = _libraries()
    try:
        with open(path, "rb") as fp:
            data = fp.read(ENVELOPE_CAP + 1)
    except OSError as exc:
        raise InteropError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > ENVELOPE_CAP:
        raise InteropError(f"{path}: larger than {ENVELOPE_CAP} bytes", EXIT_INVALID)
    try:
        envelope = dsse.Envelope.from_dict(json.loads(data))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InteropError(f"{path}: not a DSSE envelope ({exc})", EXIT_INVALID) from None
    if envelope.payload_type != PAYLOAD_TYPE:
        raise InteropError(f"{path}: payloadType {envelope.payload_type!r} is not "
                           f"{PAYLOAD_TYPE}", EXIT_INVALID)
    return envelope


def verify(export: str | os.PathLike[str], attestation: Path, key: Path, *,
           max_files: int = 200_000, max_bytes: int = 2**40) -> Verified:
    """Check the envelope's signature with ``key``, then its subjects against the export,
    validated again. Return Verified; raise InteropError (1: not verified; 2: unusable input).
    """
    public = load_public_key(key)  # first: it says so when the extra is missing
    from securesystemslib.exceptions import VerificationError

    envelope = _envelope(attestation)
    try:
        envelope.verify([public], 1)
    except VerificationError:
        raise InteropError(f"{attestation}: no signature by key {public.keyid} verifies",
                           EXIT_INVALID) from None
    try:
        claimed = json.loads(envelope.payload)
    except ValueError:
        raise InteropError(f"{attestation}: the payload is not JSON", EXIT_INVALID) from None
    if not isinstance(claimed, dict) or claimed.get("_type") != STATEMENT_TYPE \
            or claimed.get("predicateType") != PREDICATE_TYPE:
        raise InteropError(f"{attestation}: not an in-toto Statement v1 of SLSA provenance",
                           EXIT_INVALID)
    checked = checked_export(export, max_files=max_files, max_bytes=max_bytes)
    expected = {_subject_key(s) for s in statement(checked.manifest)["subject"]}
    given = claimed.get("subject")
    found = {_subject_key(s) for s in given} if isinstance(given, list) else set()
    if found != expected:
        differing = sorted(name for name, _ in found ^ expected)
        raise InteropError(f"{attestation}: subjects do not match the export's bytes: "
                           + ", ".join(differing[:10]), EXIT_INVALID)
    return Verified(public.keyid, len(found), checked.export_digest)


def _subject_key(subject: Any) -> tuple[str, str]:
    if not isinstance(subject, dict) or not isinstance(subject.get("digest"), dict):
        return ("?", "")
    return (str(subject.get("name")), json.dumps(subject["digest"], sort_keys=True))

