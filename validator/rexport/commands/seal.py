"""`rexport seal`: record the sizes and digests of a hand-edited export directory again."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rexport.commands.pack_options import run_guarded


@click.command("seal")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--add", is_flag=True, help="List files that are in DIRECTORY but not in the index.")
@click.option("--jobs", "-j", default=None, type=click.IntRange(min=1),
              help="Files hashed in parallel. Default: the processors this process may use.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing when the export is valid.")
def command(directory: Path, add: bool, jobs: int | None, quiet: bool) -> None:
    """Seal the export DIRECTORY after a hand edit: recompute each file's size and digests
    (every algorithm its entry lists) and the export_digest, and rewrite rex.json atomically
    (sorted keys, two-space indent). Then validate it.

    A file of DIRECTORY that the index does not list is refused unless --add; a listed file
    that is missing, a link or a special file is refused. Exit codes: 0 sealed and valid,
    1 sealed but still invalid (the findings are shown), 2 refused (nothing changed).
    """
    from rexport.pack.seal import seal
    from rexport.paths import display
    from rexport.validation import validate

    sealed = run_guarded(lambda: seal(directory, add=add, jobs=jobs))
    report = validate(directory, jobs=jobs)
    if not quiet or not report.valid:
        click.echo(f"sealed {directory}: {len(sealed.changed)} changed, {len(sealed.added)} "
                   f"added; {sealed.export_digest}")
        for path in sealed.changed:
            click.echo(f"  changed {display(path)}")
        for path in sealed.added:
            click.echo(f"  added   {display(path)}")
        for finding in report.findings:
            click.echo(f"  {finding.severity.value} {finding.code} {finding.file} "
                       f"{finding.pointer}: {display(finding.message)}")
    sys.exit(0 if report.valid else 1)
