"""rexport: the reference implementation of REX, the Reproducible Experiment eXport format."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rexport.versions import SPEC_VERSION, __version__

__all__ = ["SPEC_VERSION", "Finding", "Report", "Severity", "__version__", "validate"]

if TYPE_CHECKING:
    from rexport.findings import Finding, Severity
    from rexport.report import Report


def validate(path: Any, **options: Any) -> Report:
    """Validate the export at ``path`` (directory, archive or rex.json) and return its Report.

    Options are those of :func:`rexport.validation.validate`.
    """
    from rexport.validation import validate as _validate

    return _validate(path, **options)


def __getattr__(name: str) -> Any:
    # keep `import rexport` cheap: the CLI's start-up time is part of every pre-commit run
    if name in {"Finding", "Severity"}:
        from rexport import findings

        return getattr(findings, name)
    if name == "Report":
        from rexport.report import Report

        return Report
    raise AttributeError(name)
