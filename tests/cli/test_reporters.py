"""Reporters: json against report.schema.json, sarif 2.1.0 structure, junit XML, text layout."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from rexport.findings import CATALOGUE, Finding
from rexport.paths import display
from rexport.report import Report
from rexport.reporters import FORMATS, render
from rexport.reporters.sarif import SPEC_PAGES, help_uri

HOSTILE = "data/evil\x1b[2J\udcff\u202e.txt"


def sample_reports() -> list[Report]:
    invalid = Report(path="runs/exp1", container="directory", rex_version="1.0",
                     export_digest="sha256:" + "ab" * 32, files_checked=3, bytes_checked=4096)
    invalid.findings = [
        Finding.of("REX-I102", "sha256 differs", pointer="/files/0/digests/sha256"),
        Finding.of("REX-S101", "5 is not a string", pointer="/title",
                   schema_pointer="/properties/title/type"),
        Finding.of("REX-V103", "newer minor", pointer="/rex_version"),
        Finding.of("REX-P201", "bad YAML", file="config/config.yaml", line=3, column=7),
        Finding.of("REX-C103", f"{HOSTILE!r} is not listed", file=HOSTILE),
        Finding.of("REX-X112", "trailing data", file=""),
    ]
    valid = Report(path="runs/exp2.tar.gz", container="tar.gz", rex_version="1.0",
                   export_digest="sha256:" + "cd" * 32, files_checked=1, bytes_checked=10)
    valid.findings = [Finding.of("REX-V103", "newer minor", pointer="/rex_version")]
    unreadable = Report(path="missing.zip")
    unreadable.findings = [Finding.of("REX-U101", "no such file", file="missing.zip")]
    manifest = Report(path="some/where/manifest.json", container="manifest",
                      rex_version="1.0", export_digest=None, strict=True)
    manifest.findings = [Finding.of("REX-C106", "payload skipped"),
                         Finding.of("REX-S102", "unknown member", pointer="/x~1y")]
    return [invalid, valid, unreadable, manifest]


@pytest.fixture(scope="module")
def report_schema(repo_root: Path) -> jsonschema.Draft202012Validator:
    schema = json.loads((repo_root / "schemas/v1/report.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == "https://rex.example.org/schemas/v1/report.schema.json"
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("index", range(4))
def test_json_single_report_follows_the_schema(
        index: int, report_schema: jsonschema.Draft202012Validator) -> None:
    report = sample_reports()[index]
    doc = json.loads(render("json", [report]))
    report_schema.validate(doc)
    assert doc["valid"] is report.valid
    assert [f["code"] for f in doc["findings"]] == [f.code for f in report.findings]
    for finding in doc["findings"]:
        assert {"code", "severity", "file", "pointer", "message"} <= set(finding)


def test_json_batch_wrapper(report_schema: jsonschema.Draft202012Validator) -> None:
    reports = sample_reports()
    doc = json.loads(render("json", reports))
    report_schema.validate(doc)
    assert doc["valid"] is False
    assert [r["path"] for r in doc["reports"]] == [r.path for r in reports]
    only_valid = json.loads(render("json", [reports[1], reports[1]]))
    report_schema.validate(only_valid)
    assert only_valid["valid"] is True


def test_json_schema_rejects_what_it_should(report_schema: jsonschema.Draft202012Validator
                                            ) -> None:
    doc = json.loads(render("json", sample_reports()[:1]))
    bad = json.loads(json.dumps(doc))
    bad["findings"][0]["code"] = "I102"
    assert not report_schema.is_valid(bad)
    bad = json.loads(json.dumps(doc))
    del bad["valid"]
    assert not report_schema.is_valid(bad)
    bad = json.loads(json.dumps(doc))
    bad["findings"][0]["pointer"] = "files/0"
    assert not report_schema.is_valid(bad)


def test_json_output_is_utf8_even_with_undecodable_names() -> None:
    text = render("json", sample_reports()[:1])
    text.encode("utf-8")  # raises if a lone surrogate slipped through
    files = [f["file"] for f in json.loads(text)["findings"]]
    # exact apart from the undecodable byte: JSON escapes the control characters itself
    assert HOSTILE.replace("\udcff", "\\udcff") in files


def test_sarif_structure() -> None:
    reports = sample_reports()
    log = json.loads(render("sarif", reports))
    assert log["version"] == "2.1.0"
    assert "sarif-schema-2.1.0" in log["$schema"]
    assert len(log["runs"]) == len(reports)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(CATALOGUE)
    for rule in rules:
        assert rule["helpUri"].startswith("https://")
        assert rule["helpUri"].endswith("#" + CATALOGUE[rule["id"]].section.lower())
        assert rule["defaultConfiguration"]["level"] in {"error", "warning", "note"}
        assert rule["shortDescription"]["text"] and rule["help"]["text"]
    for run, report in zip(log["runs"], reports, strict=True):
        assert len(run["results"]) == len(report.findings)
        assert run["invocations"][0]["exitCode"] == report.exit_code
        for result, finding in zip(run["results"], report.findings, strict=True):
            assert result["ruleId"] == finding.code
            assert rules[result["ruleIndex"]]["id"] == finding.code
            assert result["level"] == {"error": "error", "warning": "warning",
                                       "info": "note"}[finding.severity.value]
            location = result["locations"][0]
            uri = location["physicalLocation"]["artifactLocation"]["uri"]
            assert " " not in uri and "\x1b" not in uri
            if finding.pointer:
                assert location["logicalLocations"][-1]["fullyQualifiedName"] == finding.pointer
            assert result["properties"]["pointer"] == display(finding.pointer, None)
            region = location["physicalLocation"]["region"]
            if finding.line is not None and report.container != "tar.gz":
                assert region["startLine"] == finding.line
            assert region["startLine"] >= 1
            assert len(result["partialFingerprints"]["rexportFinding/v1"]) == 64


def test_sarif_uris_are_relative_to_the_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    monkeypatch.chdir(tmp_path)
    log = json.loads(render("sarif", sample_reports()))
    directory, archive, unreadable, manifest = log["runs"]
    assert directory["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
    first = directory["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert first == {"uri": "runs/exp1/rex.json", "uriBaseId": "%SRCROOT%"}
    # a bare manifest is its own artifact
    loc = manifest["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc["uri"] == "some/where/manifest.json"
    # a member of an archive: the archive, and the member as a logical location
    where = archive["results"][0]["locations"][0]
    assert where["physicalLocation"]["artifactLocation"]["uri"] == "runs/exp2.tar.gz"
    assert where["logicalLocations"][0] == {"name": "rex.json", "fullyQualifiedName": "rex.json",
                                            "kind": "resource"}
    assert unreadable["results"][0]["locations"][0]["physicalLocation"][
        "artifactLocation"]["uri"] == "missing.zip"
    # no category unless asked: code scanning's own then applies
    assert all("automationDetails" not in run for run in log["runs"])


def test_sarif_outside_the_base_is_absolute_without_double_slash(tmp_path: Path) -> None:
    report = Report(path=str(tmp_path / "exp"), container="directory")
    report.findings = [Finding.of("REX-C103", "unlisted", file="notes.txt")]
    base = tmp_path / "elsewhere"
    log = json.loads(render("sarif", [report], base=str(base), category="rex/exports"))
    run = log["runs"][0]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == (tmp_path / "exp").as_uri() + "/notes.txt"
    assert "//" not in uri.removeprefix("file://")
    assert "originalUriBaseIds" not in run
    assert run["automationDetails"] == {"id": "rex/exports/"}
    inside = json.loads(render("sarif", [report], base=str(tmp_path)))["runs"][0]
    assert inside["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"] == "exp/notes.txt"


def test_every_section_has_a_spec_page() -> None:
    for rule in CATALOGUE.values():
        assert rule.section.split("-")[0] in SPEC_PAGES
        assert help_uri(rule.section).count("#") == 1


def test_junit_parses_and_counts() -> None:
    reports = sample_reports()
    root = ET.fromstring(render("junit", reports).encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [display(r.path, None) for r in reports]
    invalid, valid, unreadable, manifest = suites
    cases = {c.get("name"): c for c in invalid.findall("testcase")}
    assert set(cases) >= {"parse", "schema", "version", "completeness", "integrity",
                          "references", "safety", "secrets"}
    assert cases["integrity"].find("failure") is not None
    assert "REX-I102" in (cases["integrity"].find("failure").text or "")  # type: ignore[union-attr]
    assert cases["references"].find("failure") is None
    assert cases["version"].find("failure") is None  # a warning is not a failure
    assert "REX-V103" in (cases["version"].find("system-out").text or "")  # type: ignore[union-attr]
    assert invalid.get("failures") == str(sum(
        1 for c in invalid.findall("testcase") if c.find("failure") is not None))
    assert valid.get("failures") == "0"
    assert unreadable.get("errors") == "1"
    assert manifest.find("testcase[@name='integrity']/skipped") is not None
    # strict: the unknown field warning fails the schema testcase
    assert manifest.find("testcase[@name='schema']/failure") is not None
    assert root.get("tests") == str(sum(int(s.get("tests") or 0) for s in suites))


def test_junit_carries_no_control_characters() -> None:
    text = render("junit", sample_reports())
    assert "\x1b" not in text and "\udcff" not in text
    ET.fromstring(text.encode("utf-8"))


def test_text_groups_by_file_and_summarises() -> None:
    text = render("text", sample_reports()[:1])
    lines = text.splitlines()
    assert lines[0] == "runs/exp1"
    assert lines[1].strip() == "rex.json"
    assert "REX-I102" in lines[2] and "/files/0/digests/sha256" in lines[2]
    config = lines.index("  config/config.yaml")
    assert "3:7" in lines[config + 1]
    assert lines[-1].startswith("runs/exp1: invalid (")
    assert "3 files" in lines[-1]
    assert "\x1b" not in text  # no colour unless asked, hostile name escaped
    assert "\\x1b" in text


def test_text_colour_only_when_asked() -> None:
    coloured = render("text", sample_reports()[:1], color=True)
    assert "\x1b[31m" in coloured
    # the hostile name's own escape sequence stays escaped even then
    assert "\x1b[2J" not in coloured


def test_text_quiet_and_verbose() -> None:
    reports = sample_reports()
    quiet = render("text", reports, verbosity=-1).splitlines()
    assert len(quiet) == 4  # one line per report with errors or warnings
    assert "REX-I102" in quiet[0] and "+5 more" in quiet[0]
    assert "REX-S102" in quiet[3]  # the info finding before it is left out
    only_info = Report(path="m.json", container="manifest")
    only_info.findings = [Finding.of("REX-C106", "payload skipped")]
    assert render("text", [only_info], verbosity=-1) == ""
    assert render("text", reports, verbosity=-2) == ""
    clean_report = Report(path="ok", container="directory")
    assert render("text", [clean_report], verbosity=-1) == ""
    assert render("text", [clean_report]).strip().startswith("ok: valid")
    verbose = render("text", reports[:1], verbosity=1)
    assert "hint: " in verbose and "schema: /properties/title/type" in verbose
    assert "spec: DIG-02" in verbose


def test_text_strict_warning_summary() -> None:
    manifest = sample_reports()[3]
    last = render("text", [manifest]).splitlines()[-1]
    assert "invalid under --strict" in last


def test_unknown_format() -> None:
    assert set(FORMATS) == {"text", "json", "sarif", "junit"}
    with pytest.raises(ValueError):
        render("yaml", [])


def _walk(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _walk(v)]
    if isinstance(value, list):
        return [s for v in value for s in _walk(v)]
    return []


def test_sarif_strings_are_printable() -> None:
    # SARIF is shown in web UIs: names there are escaped like in the text report
    for s in _walk(json.loads(render("sarif", sample_reports()))):
        assert "\x1b" not in s and "\u202e" not in s
