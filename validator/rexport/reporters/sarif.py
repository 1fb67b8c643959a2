"""The SARIF 2.1.0 report, for code scanning: one run per export, rules from the catalogue."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rexport.findings import CATALOGUE, Finding, Rule, Severity
from rexport.paths import display
from rexport.report import Report
from rexport.versions import __version__

_shown = partial(display, limit=None)  # whole messages, only escaped

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
# The same URLs as pyproject.toml's [project.urls] (a test holds them equal); an installed
# package reads them from its metadata, so a fork that changes pyproject links to its own.
PROJECT_URL = "https://example.org/rexport/rexport"
SPEC_URL = PROJECT_URL + "/blob/main/spec/v1/"
SRCROOT = "%SRCROOT%"
FINGERPRINT = "rexportFinding/v1"
_ARCHIVES = frozenset({"tar", "tar.gz", "zip"})

# section id prefix -> spec page (spec/v1/<page>)
SPEC_PAGES = {
    "EXP": "export.md", "IDX": "file-index.md", "DIG": "digests.md", "COD": "code.md",
    "DAT": "data.md", "LIN": "lineage.md", "ENV": "environment.md", "CFG": "config.md",
    "RES": "results.md", "RPL": "replay.md", "NAR": "narrative.md", "VER": "versioning.md",
    "PKG": "packaging.md", "SEC": "secrets.md", "VAL": "validator.md",
}
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_RULE_INDEX = {code: i for i, code in enumerate(CATALOGUE)}
_ARTICLES = frozenset({"a", "an", "the"})


def project_urls() -> dict[str, str]:
    """The package's [project.urls] from its installed metadata (label -> URL), or {}."""
    from importlib import metadata

    try:
        entries = metadata.metadata("rexport").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return {}
    return {label.strip(): url.strip() for label, _, url in
            (str(entry).partition(",") for entry in entries)}


def help_uri(section: str, base: str = SPEC_URL) -> str:
    """The URL of a section id such as ``DIG-02``: its spec page under ``base``, anchored on
    the id."""
    page = SPEC_PAGES.get(section.split("-", 1)[0], "README.md")
    return f"{base.rstrip('/')}/{page}#{section.lower()}"


def rule_name(rule: Rule) -> str:
    """The rule's friendly name in PascalCase (SARIF2012): ``case-fold twin`` -> CaseFoldTwin."""
    words = re.findall(r"[A-Za-z0-9]+", rule.title)
    return "".join(w[:1].upper() + w[1:].lower() for w in words if w.lower() not in _ARTICLES)


def _rule(rule: Rule, base: str) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule_name(rule),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": f"{rule.title} (spec {rule.section})."},
        "help": {"text": rule.hint},
        "helpUri": help_uri(rule.section, base),
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "properties": {"family": rule.family, "section": rule.section},
    }


class _Places:
    """URIs for one export's files: relative to ``base`` when inside it, else absolute."""

    def __init__(self, report: Report, base: str) -> None:
        self.report = report
        self.base = os.path.abspath(base)
        target = os.path.abspath(report.path)
        inside = os.path.commonpath([self.base, target]) == self.base
        self.relative = inside
        rel = os.path.relpath(target, self.base) if inside else ""
        self.root = quote(_shown(Path(rel).as_posix()), safe="/") if inside \
            else Path(target).as_uri()
        if inside and rel == ".":
            self.root = ""

    def artifact(self, finding: Finding) -> tuple[dict[str, Any], str | None]:
        """The artifactLocation for ``finding`` and, inside an archive, the member it names."""
        container = self.report.container
        member = None
        if container == "directory" and finding.file:
            uri = self._join(finding.file)
        elif container in _ARCHIVES and finding.file:
            uri, member = self.root, finding.file
        else:  # a bare manifest, the archive itself, or an input that could not be read
            uri = self.root
        location: dict[str, Any] = {"uri": uri or "."}
        if self.relative:
            location["uriBaseId"] = SRCROOT
        return location, member

    def _join(self, file: str) -> str:
        tail = quote(_shown(file), safe="/")
        return f"{self.root}/{tail}" if self.root else tail


def _region(finding: Finding) -> dict[str, Any]:
    if finding.line is None:
        return {"startLine": 1}  # the whole file: code scanning shows it at its top
    region: dict[str, Any] = {"startLine": finding.line}
    if finding.column is not None:
        region["startColumn"] = finding.column
    if finding.end_line is not None and finding.end_column is not None:
        region["endLine"], region["endColumn"] = finding.end_line, finding.end_column
    elif finding.column is not None:
        region["endLine"], region["endColumn"] = finding.line, finding.column + 1
    return region


def _fingerprint(finding: Finding, uri: str, member: str | None) -> str:
    key = "\0".join((finding.code, uri, member or finding.file, finding.pointer))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _result(finding: Finding, places: _Places) -> dict[str, Any]:
    artifact, member = places.artifact(finding)
    physical: dict[str, Any] = {"artifactLocation": artifact}
    logical: list[dict[str, Any]] = []
    location: dict[str, Any] = {"physicalLocation": physical}
    if member is None:
        physical["region"] = _region(finding)
    else:
        # code scanning knows no member of an archive: the alert sits on the archive, and the
        # member (with its place in it) is named beside it
        physical["region"] = {"startLine": 1}
        logical.append({"name": _shown(member.rsplit("/", 1)[-1]),
                        "fullyQualifiedName": _shown(member), "kind": "resource"})
        if finding.line is not None:
            location["properties"] = {"memberRegion": _region(finding)}
    if finding.pointer:
        logical.append({"name": _shown(finding.pointer.rsplit("/", 1)[-1]),
                        "fullyQualifiedName": _shown(finding.pointer), "kind": "member"})
    if logical:
        location["logicalLocations"] = logical
    properties: dict[str, Any] = {"file": _shown(finding.file), "pointer": _shown(finding.pointer),
                                  "section": finding.section}
    if finding.schema_pointer is not None:
        properties["schemaPointer"] = _shown(finding.schema_pointer)
    return {
        "ruleId": finding.code,
        "ruleIndex": _RULE_INDEX[finding.code],
        "level": _LEVELS[finding.severity],
        "message": {"text": _shown(finding.message)},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT: _fingerprint(finding, artifact["uri"], member)},
        "properties": properties,
    }


def _run(report: Report, *, base: str, category: str | None, spec_url: str,
         information_uri: str) -> dict[str, Any]:
    places = _Places(report, base)
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "rexport", "version": __version__, "semanticVersion": __version__,
            "informationUri": information_uri,
            "rules": [_rule(rule, spec_url) for rule in CATALOGUE.values()]}},
        "results": [_result(f, places) for f in report.findings],
        "columnKind": "unicodeCodePoints",
        "invocations": [{"executionSuccessful": not report.unreadable,
                         "exitCode": report.exit_code}],
        "properties": {"path": _shown(report.path), "container": report.container,
                       "valid": report.valid, "strict": report.strict},
    }
    if category:
        # a trailing slash: the category alone, each upload replacing the last (code scanning)
        run["automationDetails"] = {"id": f"{category.strip('/')}/"}
    if places.relative:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": Path(places.base).as_uri().rstrip("/")
                                               + "/"}}
    return run


def document(reports: Sequence[Report], *, base: str | None = None,
             category: str | None = None, spec_url: str | None = None) -> dict[str, Any]:
    """The SARIF log for ``reports``: one run per validated export.

    URIs are relative to ``base`` (default: the working directory, a repository's root in CI)
    for exports inside it, absolute file URIs otherwise; ``category`` sets each run's
    automationDetails; ``spec_url`` is where the spec pages live (default: the package's
    Specification URL).
    """
    urls = project_urls()
    spec = spec_url or urls.get("Specification") or SPEC_URL
    info = urls.get("Homepage") or PROJECT_URL
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0",
            "runs": [_run(r, base=base or os.getcwd(), category=category, spec_url=spec,
                          information_uri=info) for r in reports]}


def render(reports: Sequence[Report], *, base: str | None = None, category: str | None = None,
           spec_url: str | None = None, **_options: Any) -> str:
    """Render ``reports`` as a SARIF 2.1.0 log; options as for document()."""
    return json.dumps(document(reports, base=base, category=category, spec_url=spec_url),
                      ensure_ascii=False, indent=2) + "\n"
