"""rexport: the reference implementation of REX, the Reproducible Experiment eXport format."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rexport.versions import SPEC_VERSION, __version__

__all__ = ["SPEC_VERSION", "Finding", "Report", "Severity", "__version__", "validate"]

if TYPE_CHECKING:
    from rexport.findings import Finding, Severity
    from rexport.report import Report


def validate(path: Any, **options: Any) -> Report:
    """Validate the export at ``path`` (directory, archive, rex.json or a URL) and return its
    Report.

    Options are those of :func:`rexport.validation.validate`, and of
    :func:`rexport.extended.validate_all`: ``verify_remote`` (none, size, metadata, full) and
    ``executor`` (``local:N``, ``dask://HOST:PORT``).
    """
    from rexport.extended import validate_all
    from rexport.validation import validate as _validate

    return validate_all([path], _validate, **options)[0]


def __getattr__(name: str) -> Any:
    # keep `import rexport` cheap: the CLI's start-up time is part of every pre-commit run
    if name in {"Finding", "Severity"}:
        from rexport import findings

        return getattr(findings, name)
    if name == "Report":
        from rexport.report import Report

        return Report
    raise AttributeError(name)
