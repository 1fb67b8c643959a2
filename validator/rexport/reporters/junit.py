"""The JUnit XML report for CI dashboards: a testsuite per export, a testcase per check family."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
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


def _text(value: str) -> str:
    return _NOT_XML.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"),
                        _shown(value) if value else value)


def _describe(finding: Finding) -> str:
    where = finding.file + (finding.pointer or "")
    if finding.line is not None:
        where += f":{finding.line}"
    return f"{finding.severity.value} {finding.code} {where}: {finding.message}"


def _testcase(suite: ET.Element, report: Report, family: str,
              findings: list[Finding]) -> tuple[int, int, int]:
    case = ET.SubElement(suite, "testcase", name=family, classname=f"rexport.{family}")
    failing = [f for f in findings if f.severity is Severity.ERROR
               or (report.strict and f.severity is Severity.WARNING)]
    if family == "input":
        if failing:
            error = ET.SubElement(case, "error", message=_text(failing[0].message),
                                  type=failing[0].code)
            error.text = _text("\n".join(_describe(f) for f in failing))
            return 0, 1, 0
        return 0, 0, 0
    if report.unreadable or (family in _PAYLOAD and report.container == "manifest"):
        ET.SubElement(case, "skipped", message="not checked")
        return 0, 0, 1
    if failing:
        failure = ET.SubElement(case, "failure", type=failing[0].code,
                                message=_text(f"{len(failing)} finding(s): {failing[0].message}"))
        failure.text = _text("\n".join(_describe(f) for f in failing))
    shown = {id(f) for f in failing}
    others = [f for f in findings if id(f) not in shown]
    if others:
        ET.SubElement(case, "system-out").text = _text("\n".join(_describe(f) for f in others))
    return (1 if failing else 0), 0, 0


def _suite(parent: ET.Element, report: Report) -> tuple[int, int, int, int]:
    suite = ET.SubElement(parent, "testsuite", name=_text(report.path))
    totals = [0, 0, 0]
    # an extension's family (a bag's) is a test case only where the input had it
    families = (*FAMILIES, *sorted(EXTENSION_FAMILIES & {CATALOGUE[f.code].family
                                                         for f in report.findings}))
    for family in families:
        found = [f for f in report.findings if CATALOGUE[f.code].family == family]
        for i, n in enumerate(_testcase(suite, report, family, found)):
            totals[i] += n
    failures, errors, skipped = totals
    suite.set("tests", str(len(families)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    return len(families), failures, errors, skipped


def render(reports: Sequence[Report], **_options: Any) -> str:
    """Render ``reports`` as a JUnit XML document (<testsuites> with one <testsuite> each)."""
    root = ET.Element("testsuites", name="rexport validate")
    sums = [0, 0, 0, 0]
    for report in reports:
        for i, n in enumerate(_suite(root, report)):
            sums[i] += n
    for key, n in zip(("tests", "failures", "errors", "skipped"), sums, strict=True):
        root.set(key, str(n))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") \
        + "\n"
