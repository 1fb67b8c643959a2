"""JUnit XML for CI dashboards: the one writer (Jenkins/Ant junit-10.xsd) and the validate report.

`rexport validate -o junit` gives a testsuite per export and a testcase per check family;
`rexport conformance run --junit` gives a testcase per case through the same writer.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from rexport.findings import CATALOGUE, EXTENSION_FAMILIES, Finding, Severity
from rexport.paths import display
from rexport.report import Report

_shown = partial(display, limit=None)  # whole messages, only escaped

FAMILIES = ("input", "parse", "version", "schema", "completeness", "integrity", "references",
            "safety", "secrets")
# payload families are not run on a bare manifest
_PAYLOAD = frozenset({"integrity"})
# XML 1.0 cannot carry these at all, not even escaped
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Problem:
    """A failure or an error of a test case: its type (a code), a one-line message, details."""

    type: str
    message: str
    text: str


@dataclass(frozen=True)
class Case:
    """One test case: it passed unless it has a failure or an error, or it was skipped."""

    name: str
    classname: str
    failure: Problem | None = None
    error: Problem | None = None
    skipped: str | None = None
    output: str = ""


@dataclass(frozen=True)
class Suite:
    """One test suite: a name and its cases."""

    name: str
    cases: tuple[Case, ...]


def text(value: str) -> str:
    """``value`` made printable and storable in XML 1.0 (controls written as escapes)."""
    return _NOT_XML.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"),
                        _shown(value) if value else value)


def _counts(cases: Sequence[Case]) -> dict[str, str]:
    return {"tests": str(len(cases)),
            "failures": str(sum(c.failure is not None for c in cases)),
            "errors": str(sum(c.error is not None for c in cases))}


def _problem(parent: ET.Element, tag: str, problem: Problem) -> None:
    element = ET.SubElement(parent, tag, type=text(problem.type), message=text(problem.message))
    element.text = text(problem.text)


def write(suites: Sequence[Suite], *, name: str) -> str:
    """The JUnit XML document for ``suites``, valid against the Jenkins/Ant junit-10.xsd."""
    root = ET.Element("testsuites", name=text(name))
    every: list[Case] = []
    for suite in suites:
        attributes = {"name": text(suite.name), **_counts(suite.cases),
                      "skipped": str(sum(c.skipped is not None for c in suite.cases))}
        element = ET.SubElement(root, "testsuite", attributes)
        for case in suite.cases:
            child = ET.SubElement(element, "testcase", name=text(case.name),
                                  classname=text(case.classname))
            if case.skipped is not None:
                ET.SubElement(child, "skipped", message=text(case.skipped))
            if case.error is not None:
                _problem(child, "error", case.error)
            if case.failure is not None:
                _problem(child, "failure", case.failure)
            if case.output:
                ET.SubElement(child, "system-out").text = text(case.output)
        every.extend(suite.cases)
    # the schema gives the root no `skipped`: the suites carry it
    root.attrib.update(_counts(every))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") \
        + "\n"


# --- the validate report ---------------------------------------------------------------------

def _describe(finding: Finding) -> str:
    where = finding.file + (finding.pointer or "")
    if finding.line is not None:
        where += f":{finding.line}"
    return f"{finding.severity.value} {finding.code} {where}: {finding.message}"


def _family_case(report: Report, family: str, findings: list[Finding]) -> Case:
    failing = [f for f in findings if f.severity is Severity.ERROR
               or (report.strict and f.severity is Severity.WARNING)]
    details = "\n".join(_describe(f) for f in failing)
    shown = {id(f) for f in failing}
    others = "\n".join(_describe(f) for f in findings if id(f) not in shown)
    case = Case(family, f"rexport.{family}", output=others)
    if family == "input":
        if failing:
            return Case(family, case.classname, output=others,
                        error=Problem(failing[0].code, failing[0].message, details))
        return case
    if failing and not report.unreadable:
        return Case(family, case.classname, output=others, failure=Problem(
            failing[0].code, f"{len(failing)} finding(s): {failing[0].message}", details))
    skipped = skipped_families(report).get(family)
    return case if skipped is None else Case(family, case.classname, skipped=skipped,
                                              output=others)


def skipped_families(report: Report) -> dict[str, str]:
    """Families that were not checked on ``report``'s export, each with the reason."""
    if report.unreadable:
        return {family: "not checked: the input could not be read" for family in FAMILIES}
    out = {family: "not checked, or in part only: --select/--ignore"
           for family in report.skipped}
    if report.container == "manifest":
        out.update({family: "not checked: only the manifest was given" for family in _PAYLOAD})
    return out


def suite(report: Report) -> Suite:
    """The test suite of one validated export: a test case per check family."""
    # an extension's family (a bag's) is a test case only where the input had it
    families = (*FAMILIES, *sorted(EXTENSION_FAMILIES & {CATALOGUE[f.code].family
                                                         for f in report.findings}))
    return Suite(report.path, tuple(
        _family_case(report, family, [f for f in report.findings
                                      if CATALOGUE[f.code].family == family])
        for family in families))


def render(reports: Sequence[Report], **_options: Any) -> str:
    """Render ``reports`` as a JUnit XML document (<testsuites> with one <testsuite> each)."""
    return write([suite(r) for r in reports], name="rexport validate")
