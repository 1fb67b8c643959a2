"""The result of validating one export: its findings and the verdict they give."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rexport.findings import Finding, Severity
from rexport.versions import __version__

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


@dataclass
class Report:
    """Findings for one validated path, in report order (the most relevant first)."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    strict: bool = False
    rex_version: str | None = None
    export_digest: str | None = None
    container: str | None = None  # "directory", "tar", "tar.gz", "zip", "manifest"
    files_checked: int = 0
    bytes_checked: int = 0
    # check families left out, wholly or in part, by --select/--ignore: a partial verdict
    skipped: tuple[str, ...] = ()
    # each referenced object checked on request (--verify-remote) and the evidence used
    references: list[dict[str, Any]] | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def unreadable(self) -> bool:
        """True when the input could not be read at all (a REX-U code): exit code 2."""
        return any(f.code.startswith("REX-U") for f in self.findings)

    @property
    def valid(self) -> bool:
        if self.errors:
            return False
        return not (self.strict and self.warnings)

    @property
    def exit_code(self) -> int:
        if self.unreadable:
            return EXIT_USAGE
        return EXIT_VALID if self.valid else EXIT_INVALID

    def to_json(self) -> dict[str, Any]:
        """The report as the JSON document of schemas/v1/report.schema.json."""
        counts = {s.value: 0 for s in Severity}
        for f in self.findings:
            counts[f.severity.value] += 1
        out: dict[str, Any] = {
            "valid": self.valid,
            "path": self.path,
            "container": self.container,
            "rex_version": self.rex_version,
            "export_digest": self.export_digest,
            "strict": self.strict,
            "validator": {"name": "rexport", "version": __version__},
            "summary": {
                "errors": counts["error"],
                "warnings": counts["warning"],
                "info": counts["info"],
                "files_checked": self.files_checked,
                "bytes_checked": self.bytes_checked,
            },
            "findings": [f.to_json() for f in self.findings],
            **({"skipped": list(self.skipped)} if self.skipped else {}),
        }
        if self.references is not None:
            out["references"] = self.references
        return out
