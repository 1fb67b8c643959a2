"""`rexport attest` and `rexport verify-attestation`: signed in-toto provenance of an export."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import click

from rexport.commands import interop_call

T = TypeVar("T")
_KEY = click.Path(exists=False, dir_okay=False, path_type=Path)


@click.command("attest")
@click.argument("export", type=click.Path(path_type=Path))
@click.option("--key", required=True, type=_KEY,
              help="PEM private key, ECDSA P-256 or Ed25519, unencrypted.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the envelope. Default: EXPORT.intoto.json beside EXPORT.")
@click.option("--force", is_flag=True, help="Replace the output if it exists.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
def command(export: Path, key: Path, output: Path | None, force: bool, quiet: bool) -> None:
    """Sign the provenance of the valid export EXPORT as a DSSE envelope.

    The envelope holds an in-toto Statement v1 whose subjects are the export (its export
    digest) and each result artifact, with a SLSA Provenance v1 predicate. It lives outside
    the export. Needs the `rexport[attest]` extra. Exit codes: 0 written, 1 the export is
    invalid, 2 usage error, unusable key or unreadable input, 130 interrupted.
    """
    from rexport.interop.attest import attest

    out = output or export.parent / f"{export.name}.intoto.json"
    subjects = interop_call(lambda: attest(export, key, out, overwrite=force))
    if not quiet:
        click.echo(f"wrote {out} ({len(subjects)} subjects) "
                   f"{subjects[0]['annotations']['exportDigest']}")


@click.command("verify-attestation")
@click.argument("export", type=click.Path(path_type=Path))
@click.option("--attestation", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The DSSE envelope written by `rexport attest`.")
@click.option("--key", required=True, type=_KEY, help="PEM public key of the signer.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
def verify_command(export: Path, attestation: Path, key: Path, quiet: bool) -> None:
    """Verify that ATTESTATION is signed by KEY and that its subjects are EXPORT's bytes.

    The export is validated again and every subject digest is compared with it. Exit codes:
    0 verified, 1 not verified (bad signature, wrong key, subjects that differ, an invalid
    export or envelope), 2 usage error or unreadable input.
    """
    from rexport.interop.attest import verify

    verified = interop_call(lambda: verify(export, attestation, key))
    if not quiet:
        click.echo(f"verified: {verified.subjects} subjects signed by {verified.keyid[:16]} "
                   f"{verified.export_digest}")
