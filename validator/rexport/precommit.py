"""The pre-commit entry: validate each whole export that a changed file belongs to."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import click

from rexport.paths import MANIFEST

ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".zip")


def export_inputs(files: Iterable[str]) -> list[str]:
    """The exports to validate for the changed ``files`` (paths as pre-commit passes them).

    A file inside an export directory (the nearest enclosing folder holding ``rex.json``) stands
    for that directory; an archive outside any export directory stands for itself; other files
    are ignored. Each export is named once, in the order first met.
    """
    cache: dict[Path, Path | None] = {}
    found: list[str] = []
    for name in files:
        path = Path(name)
        root = _enclosing_export(path.parent, cache)
        if root is not None:
            target = root.as_posix()
        elif name.lower().endswith(ARCHIVE_SUFFIXES) and path.is_file():
            target = path.as_posix()
        else:
            continue
        if target not in found:
            found.append(target)
    return found


def _enclosing_export(folder: Path, cache: dict[Path, Path | None]) -> Path | None:
    # walk up to the folder the hook runs in (pre-commit passes paths relative to the repository)
    walked: list[Path] = []
    result: Path | None = None
    for candidate in (folder, *folder.parents):
        if candidate in cache:
            result = cache[candidate]
            break
        walked.append(candidate)
        if (candidate / MANIFEST).is_file():
            result = candidate
            break
    for candidate in walked:
        cache[candidate] = result
    return result


def validate_arguments(options: Sequence[str], files: Iterable[str]) -> list[str]:
    """The `rexport validate` arguments for the changed ``files``; [] when none is in an export."""
    targets = export_inputs(files)
    return ["validate", *options, *targets] if targets else []


@click.command("rexport-precommit", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--strict", is_flag=True, help="Warnings fail too.")
@click.option("--select", multiple=True, metavar="CODE", help="Report only these codes.")
@click.option("--ignore", multiple=True, metavar="CODE", help="Do not report these codes.")
@click.option("--max-files", type=int, help="Entry cap per export.")
@click.option("--max-bytes", type=int, help="Size cap per export.")
@click.option("-j", "--jobs", type=int, help="Parallel hashing.")
@click.option("-q", "--quiet", is_flag=True, help="The first finding and a count.")
@click.argument("files", nargs=-1, type=click.Path())
def main(strict: bool, select: tuple[str, ...], ignore: tuple[str, ...], max_files: int | None,
         max_bytes: int | None, jobs: int | None, quiet: bool, files: tuple[str, ...]) -> None:
    """Validate the export directory (or archive) of each FILE with `rexport validate`.

    The options are passed on to `rexport validate`; the exit code is its exit code.
    """
    options = ["--strict"] if strict else []
    options += [token for code in select for token in ("--select", code)]
    options += [token for code in ignore for token in ("--ignore", code)]
    for flag, value in (("--max-files", max_files), ("--max-bytes", max_bytes),
                        ("--jobs", jobs)):
        if value is not None:
            options += [flag, str(value)]
    options += ["--quiet"] if quiet else []
    argv = validate_arguments(options, files)
    if not argv:
        return
    from rexport.cli import cli

    cli.main(args=argv, prog_name="rexport")


if __name__ == "__main__":
    main(prog_name="python -m rexport.precommit")
