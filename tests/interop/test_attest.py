"""Attestations: DSSE envelopes that securesystemslib and in-toto-attestation accept, and
verify-attestation's 0/1/2 on good, tampered and mis-keyed inputs."""

from __future__ import annotations

import base64
import builtins
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from rexport.interop.provenance import PAYLOAD_TYPE, PREDICATE_TYPE

from interop.runners import EXAMPLES, flip_byte, rexport

pytest.importorskip("securesystemslib")


def _keys(tmp_path: Path, kind: str) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    private: Any
    if kind == "ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
    elif kind == "p256":
        private = ec.generate_private_key(ec.SECP256R1())
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key, pub = tmp_path / f"{kind}.pem", tmp_path / f"{kind}.pub"
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    pub.write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return key, pub


def _attest(tmp_path: Path, name: str = "classifier", kind: str = "p256"
            ) -> tuple[Path, Path, Path]:
    key, pub = _keys(tmp_path, kind)
    out = tmp_path / f"{name}.intoto.json"
    done = rexport("attest", EXAMPLES / name, "--key", key, "-o", out)
    assert done.exit_code == 0, done.output
    return out, key, pub


def _verify(export: Path, envelope: Path, pub: Path) -> int:
    return rexport("verify-attestation", export, "--attestation", envelope,
                   "--key", pub).exit_code


@pytest.mark.parametrize("kind", ["p256", "ed25519"])
def test_securesystemslib_verifies_the_envelope(tmp_path: Path, kind: str) -> None:
    from cryptography.hazmat.primitives import serialization
    from securesystemslib.dsse import Envelope
    from securesystemslib.signer import SSlibKey

    envelope_path, _, pub = _attest(tmp_path, kind=kind)
    envelope = Envelope.from_dict(json.loads(envelope_path.read_bytes()))
    assert envelope.payload_type == PAYLOAD_TYPE
    key = SSlibKey.from_crypto(serialization.load_pem_public_key(pub.read_bytes()))
    assert set(envelope.verify([key], 1)) == {key.keyid}
    assert _verify(EXAMPLES / "classifier", envelope_path, pub) == 0


def test_statement_and_provenance_validate_with_in_toto_models(tmp_path: Path) -> None:
    from google.protobuf import json_format
    from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
    from in_toto_attestation.v1 import statement_pb2
    from in_toto_attestation.v1.statement import Statement

    envelope_path, _, _ = _attest(tmp_path, "full")
    payload = json.loads(base64.b64decode(json.loads(envelope_path.read_bytes())["payload"]))
    Statement.copy_from_pb(json_format.ParseDict(payload, statement_pb2.Statement())).validate()
    assert payload["predicateType"] == PREDICATE_TYPE
    predicate = json_format.ParseDict(payload["predicate"], provenance_pb2.Provenance())
    assert predicate.build_definition.build_type and predicate.run_details.builder.id
    manifest = json.loads((EXAMPLES / "full" / "rex.json").read_bytes())
    subjects = {s["name"]: s["digest"] for s in payload["subject"]}
    assert subjects["rex:export"] == {"sha256": manifest["export_digest"][7:]}
    assert subjects["results/model.json"]["sha256"] == next(
        e["digests"]["sha256"] for e in manifest["files"] if e["path"] == "results/model.json")
    assert subjects["model-card-pdf"]["sha256"].startswith("b7e23ec2")
    dependencies = predicate.build_definition.resolved_dependencies
    assert any(d.digest.get("gitCommit") == manifest["code"]["vcs"]["commit"]
               for d in dependencies)


def _with_payload_byte_changed(envelope_path: Path, target: Path) -> None:
    envelope = json.loads(envelope_path.read_bytes())
    payload = bytearray(base64.b64decode(envelope["payload"]))
    at = payload.index(b"Iris classifier")
    payload[at] = ord("J")
    envelope["payload"] = base64.b64encode(bytes(payload)).decode()
    target.write_text(json.dumps(envelope))


def test_one_changed_payload_byte_fails_verification(tmp_path: Path) -> None:
    envelope_path, _, pub = _attest(tmp_path)
    changed = tmp_path / "changed.json"
    _with_payload_byte_changed(envelope_path, changed)
    assert _verify(EXAMPLES / "classifier", changed, pub) == 1


def test_a_wrong_key_fails_verification(tmp_path: Path) -> None:
    envelope_path, _, _ = _attest(tmp_path, kind="p256")
    (tmp_path / "other").mkdir()
    for kind in ("p256", "ed25519"):
        _, other = _keys(tmp_path / "other", kind)
        assert _verify(EXAMPLES / "classifier", envelope_path, other) == 1


def test_a_changed_export_fails_verification(tmp_path: Path) -> None:
    envelope_path, _, pub = _attest(tmp_path)
    export = tmp_path / "export"
    shutil.copytree(EXAMPLES / "classifier", export)
    assert _verify(export, envelope_path, pub) == 0
    flip_byte(export / "results" / "model.json", 2)
    assert _verify(export, envelope_path, pub) == 1
    # another valid export is not the one attested
    assert _verify(EXAMPLES / "full", envelope_path, pub) == 1


def test_unusable_inputs_exit_2(tmp_path: Path) -> None:
    envelope_path, _, pub = _attest(tmp_path)
    assert _verify(EXAMPLES / "classifier", tmp_path / "absent.json", pub) == 2
    assert _verify(EXAMPLES / "classifier", envelope_path, tmp_path / "absent.pub") == 2
    assert _verify(tmp_path / "absent", envelope_path, pub) == 2
    rsa_key, rsa_pub = _keys(tmp_path, "rsa")
    done = rexport("attest", EXAMPLES / "classifier", "--key", rsa_key, "-o", tmp_path / "x")
    assert done.exit_code == 2 and "P-256" in done.output
    assert _verify(EXAMPLES / "classifier", envelope_path, rsa_pub) == 2
    not_json = tmp_path / "not.json"
    not_json.write_text("{")
    assert _verify(EXAMPLES / "classifier", not_json, pub) == 1


def test_the_envelope_stays_outside_the_export(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(EXAMPLES / "classifier", export)
    key, _ = _keys(tmp_path, "ed25519")
    done = rexport("attest", export, "--key", key, "-o", export / "att.json")
    assert done.exit_code == 2 and not (export / "att.json").exists()
    done = rexport("attest", export, "--key", key)  # default: beside the export
    assert done.exit_code == 0 and (tmp_path / "export.intoto.json").is_file()


def test_an_invalid_export_is_not_attested(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(EXAMPLES / "classifier", export)
    flip_byte(export / "data" / "iris.csv", 0)
    key, _ = _keys(tmp_path, "ed25519")
    done = rexport("attest", export, "--key", key, "-o", tmp_path / "a.json")
    assert done.exit_code == 1 and not (tmp_path / "a.json").exists()


def test_without_the_extra_the_message_names_it(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    key, _ = _keys(tmp_path, "ed25519")
    real_import = builtins.__import__

    def refuse(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("securesystemslib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)
    done = rexport("attest", EXAMPLES / "classifier", "--key", key, "-o", tmp_path / "a.json")
    assert done.exit_code == 2
    assert done.output.strip().splitlines() == [
        "error: attestations need the extra: pip install 'rexport[attest]'"]
