"""`rexport convert --to bagit|ro-crate|cyclonedx EXPORT [OUT]`: the export in another format."""

from __future__ import annotations

from pathlib import Path

import click

from rexport.commands import interop_call

TARGETS = ("bagit", "ro-crate", "cyclonedx")


@click.command("convert")
@click.option("--to", "target", required=True, type=click.Choice(TARGETS),
              help="bagit: a BagIt 1.0 bag; ro-crate: the export with ro-crate-metadata.json; "
                   "cyclonedx: a CycloneDX 1.6 ML-BOM (JSON).")
@click.argument("export", type=click.Path(path_type=Path))
@click.argument("out", required=False, type=click.Path(path_type=Path))
@click.option("-o", "--output", "output", type=click.Path(path_type=Path),
              help="Where to write (the same as OUT).")
@click.option("--format", "fmt", type=click.Choice(["dir", "tar", "tar.gz", "zip"]),
              help="ro-crate: the container of OUT. Default: from its suffix, else a folder.")
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
@click.option("--max-files", type=click.IntRange(min=1), default=200_000, show_default=True,
              help="Refuse exports with more entries than this.")
@click.option("--max-bytes", type=click.IntRange(min=1), default=2**40, show_default=True,
              help="Refuse exports larger than this many bytes.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
def command(target: str, export: Path, out: Path | None, output: Path | None, fmt: str | None,
            force: bool, max_files: int, max_bytes: int, quiet: bool) -> None:
    """Convert the valid export EXPORT (a folder or archive) and write it to OUT.

    bagit writes a folder whose data/ is the export, byte for byte; ro-crate writes the
    export again with an RO-Crate 1.1 (Process Run Crate 0.5) that rex.json indexes;
    cyclonedx writes a JSON BOM. The export is validated first and never converted when
    invalid. Exit codes: 0 written, 1 the export is invalid or cannot be expressed in the
    target, 2 usage error, unreadable input or unwritable OUT, 130 interrupted.
    """

    if (out is None) == (output is None):
        raise click.UsageError("give OUT or -o/--output, once")
    destination = out if out is not None else output
    assert destination is not None
    caps = {"max_files": max_files, "max_bytes": max_bytes}
    message = interop_call(
        lambda: _convert(target, export, destination, fmt=fmt, force=force, **caps))
    if not quiet:
        click.echo(message)


def _convert(target: str, export: Path, out: Path, *, fmt: str | None, force: bool,
             max_files: int, max_bytes: int) -> str:
    caps = {"max_files": max_files, "max_bytes": max_bytes}
    if target == "bagit":
        from rexport.interop.bagit import convert_to_bag

        bag = convert_to_bag(export, out, overwrite=force, **caps)
        return (f"wrote bag {bag.path} ({bag.files} payload files, {bag.octets} bytes) "
                f"{bag.export_digest}")
    if target == "ro-crate":
        from rexport.interop.rocrate import convert_to_crate

        written = convert_to_crate(export, out, fmt=fmt, overwrite=force, **caps)
        return f"wrote {written.path} ({written.format}, RO-Crate) {written.export_digest}"
    from rexport.interop.cyclonedx import convert_to_bom

    components = convert_to_bom(export, out, overwrite=force, **caps)
    return f"wrote {out} (CycloneDX 1.6, {components} components)"
