"""The SARIF 2.1.0 report, for code scanning: one run per export, rules from the catalogue."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rexport.findings import CATALOGUE, Finding, Rule, Severity
from rexport.paths import MANIFEST, display
from rexport.report import Report
from rexport.versions import __version__

_shown = partial(display, limit=None)  # whole messages, only escaped

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SPEC_BASE = "https://rex.example.org/spec/v1/"
INFORMATION_URI = "https://rex.example.org/"

# section id prefix -> spec page (spec/v1/<page>)
SPEC_PAGES = {
    "EXP": "export.md", "IDX": "file-index.md", "DIG": "digests.md", "COD": "code.md",
    "DAT": "data.md", "LIN": "lineage.md", "ENV": "environment.md", "CFG": "config.md",
    "RES": "results.md", "RPL": "replay.md", "NAR": "narrative.md", "VER": "versioning.md",
    "PKG": "packaging.md", "SEC": "secrets.md", "VAL": "validator.md",
}
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_RULE_INDEX = {code: i for i, code in enumerate(CATALOGUE)}


def help_uri(section: str) -> str:
    """The spec URL of a section id such as ``DIG-02`` (its page, anchored on the id)."""
    page = SPEC_PAGES.get(section.split("-", 1)[0], "README.md")
    return f"{SPEC_BASE}{page}#{section.lower()}"


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": "".join(word.capitalize() for word in rule.title.replace("'", "").split()),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": f"{rule.title} (spec {rule.section})."},
        "help": {"text": rule.hint},
        "helpUri": help_uri(rule.section),
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "properties": {"family": rule.family, "section": rule.section},
    }


def _base(report: Report) -> tuple[dict[str, Any], str | None]:
    """originalUriBaseIds for the run, and the manifest's own name when the input is one."""
    if report.container == "directory":
        return {"EXPORT": {"uri": Path(os.path.abspath(report.path)).as_uri() + "/"}}, None
    if report.container == "manifest":
        where = Path(os.path.abspath(report.path))
        return {"EXPORT": {"uri": where.parent.as_uri().rstrip("/") + "/"}}, where.name
    return {}, None


def _result(finding: Finding, report: Report, manifest_name: str | None) -> dict[str, Any]:
    file = finding.file
    if manifest_name is not None and file == MANIFEST:
        file = manifest_name
    location: dict[str, Any] = {"uri": quote(_shown(file), safe="/")}
    if report.container in ("directory", "manifest"):
        location["uriBaseId"] = "EXPORT"
    physical: dict[str, Any] = {"artifactLocation": location}
    if finding.line is not None:
        region: dict[str, Any] = {"startLine": finding.line}
        if finding.column is not None:
            region["startColumn"] = finding.column
        physical["region"] = region
    loc: dict[str, Any] = {"physicalLocation": physical}
    if finding.pointer:
        loc["logicalLocations"] = [{"fullyQualifiedName": _shown(finding.pointer),
                                    "kind": "member"}]
    properties: dict[str, Any] = {"pointer": _shown(finding.pointer), "section": finding.section}
    if finding.schema_pointer is not None:
        properties["schemaPointer"] = _shown(finding.schema_pointer)
    return {
        "ruleId": finding.code,
        "ruleIndex": _RULE_INDEX[finding.code],
        "level": _LEVELS[finding.severity],
        "message": {"text": _shown(finding.message)},
        "locations": [loc],
        "properties": properties,
    }


def _run(report: Report) -> dict[str, Any]:
    bases, manifest_name = _base(report)
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "rexport", "version": __version__, "semanticVersion": __version__,
            "informationUri": INFORMATION_URI,
            "rules": [_rule(rule) for rule in CATALOGUE.values()]}},
        "automationDetails": {"id": f"rexport/validate/{_shown(report.path)}"},
        "results": [_result(f, report, manifest_name) for f in report.findings],
        "invocations": [{"executionSuccessful": not report.unreadable,
                         "exitCode": report.exit_code}],
        "properties": {"path": _shown(report.path), "container": report.container,
                       "valid": report.valid, "strict": report.strict},
    }
    if bases:
        run["originalUriBaseIds"] = bases
    return run


def document(reports: Sequence[Report]) -> dict[str, Any]:
    """The SARIF log for ``reports``: one run per validated export."""
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [_run(r) for r in reports]}


def render(reports: Sequence[Report], **_options: Any) -> str:
    """Render ``reports`` as a SARIF 2.1.0 log."""
    return json.dumps(document(reports), ensure_ascii=False, indent=2) + "\n"
