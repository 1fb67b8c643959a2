"""SARIF and JUnit as CI consumers read them: schemas, regions on the member's line, one writer."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: mypy (test extra) brings tomli
    import tomli as tomllib

import jsonschema
import junitparser
import pytest
import xmlschema
from click.testing import CliRunner
from helpers.npm import npm_install
from rexport.cli import cli
from rexport.findings import CATALOGUE

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]
INVALID = sorted(p.name for p in (ROOT / "examples/invalid").iterdir() if p.is_dir())


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def sarif_schema() -> jsonschema.protocols.Validator:
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(DATA / "junit-10.xsd"))


def sarif_of(*paths: str, options: tuple[str, ...] = ()) -> dict[str, Any]:
    code, out = run_cli("validate", "-o", "sarif", *options, *paths)
    assert code in (0, 1, 2)
    log: dict[str, Any] = json.loads(out)
    return log


def start_offset(text: str, line: int, column: int) -> int:
    return sum(len(x) for x in text.splitlines(keepends=True)[:line - 1]) + column - 1


def resolve(document: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        document = document[int(token)] if isinstance(document, list) else document[token]
    return document


@pytest.mark.parametrize("name", INVALID)
def test_sarif_of_each_invalid_example_is_placed_on_the_member(
        name: str, sarif_schema: jsonschema.protocols.Validator,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    log = sarif_of(f"examples/invalid/{name}")
    sarif_schema.validate(log)
    run = log["runs"][0]
    assert run["results"], name
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == ROOT.as_uri() + "/"
    for result in run["results"]:
        physical = result["locations"][0]["physicalLocation"]
        file, pointer = result["properties"]["file"], result["properties"]["pointer"]
        # relative to the repository's root, as code scanning resolves it
        assert physical["artifactLocation"] == {"uri": f"examples/invalid/{name}/{file}",
                                                "uriBaseId": "%SRCROOT%"}
        assert len(result["partialFingerprints"]["rexportFinding/v1"]) == 64
        region = physical["region"]
        assert region["startLine"] >= 1
        if not pointer:
            continue
        text = (ROOT / "examples/invalid" / name / file).read_text(encoding="utf-8")
        at = start_offset(text, region["startLine"], region["startColumn"])
        end = start_offset(text, region["endLine"], region["endColumn"])
        manifest = json.loads(text)
        try:
            expected = resolve(manifest, pointer)
        except (KeyError, IndexError):
            continue  # a missing member: its parent is shown (checked in the next test)
        token = pointer.rsplit("/", 1)[-1]
        if isinstance(resolve(manifest, pointer.rsplit("/", 1)[0] or ""), dict):
            assert text[at:].startswith(json.dumps(token)), (name, pointer)
            at = text.index(":", at) + 1
        value, stop = json.JSONDecoder().raw_decode(text, at + len(text[at:]) -
                                                    len(text[at:].lstrip()))
        assert value == expected and stop == end, (name, pointer)


def test_a_missing_member_is_placed_on_its_parent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    log = sarif_of("examples/invalid/missing-required-section")
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    lines = (ROOT / "examples/invalid/missing-required-section/rex.json").read_text().splitlines()
    assert (region["startLine"], region["startColumn"]) == (1, 1)
    assert region["endLine"] == len(lines)


def test_sarif_fingerprints_tell_findings_apart_and_stay_across_runs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    paths = [f"examples/invalid/{n}" for n in INVALID]
    first = sarif_of(*paths)
    prints = [r["partialFingerprints"]["rexportFinding/v1"]
              for run in first["runs"] for r in run["results"]]
    assert len(prints) == len(set(prints))
    again = sarif_of(*paths)
    assert prints == [r["partialFingerprints"]["rexportFinding/v1"]
                      for run in again["runs"] for r in run["results"]]


def test_sarif_rule_names_are_pascal_case_and_help_links_reach_the_sections() -> None:
    log = sarif_of(str(ROOT / "examples/invalid/bad-timestamp"),
                   options=("--sarif-spec-url", "https://docs.example.net/rex/spec/v1"))
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["REX-P103"]["name"] == "InvalidUtf8"
    assert rules["REX-X108"]["name"] == "CaseFoldTwin"
    assert rules["REX-B104"]["name"] == "PayloadFileNotInBagManifest"
    for code, rule in rules.items():
        assert rule["name"][0].isupper() and rule["name"].isalnum(), code
        page, anchor = rule["helpUri"].removeprefix("https://docs.example.net/rex/spec/v1/") \
            .split("#")
        section = CATALOGUE[code].section
        assert anchor == section.lower()
        # the link names a page of the spec holding that section's anchor
        assert f'<a id="{anchor}"></a>' in (ROOT / "spec/v1" / page).read_text(), code


def test_project_urls_and_the_fallback_agree(repo_root: Path) -> None:
    from rexport.reporters import sarif

    urls = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]["urls"]
    assert urls["Homepage"] == sarif.PROJECT_URL
    assert urls["Specification"] == sarif.SPEC_URL


def test_sarif_for_an_archive_names_the_member(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    import tarfile

    monkeypatch.chdir(tmp_path)
    with tarfile.open("run.tgz", "w:gz") as tar:
        tar.add(ROOT / "examples/invalid/bad-timestamp", arcname=".")
    log = sarif_of("run.tgz", options=("--sarif-category", "rex"))
    run = log["runs"][0]
    assert run["automationDetails"] == {"id": "rex/"}
    location = run["results"][0]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "run.tgz"
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "rex.json"
    assert location["logicalLocations"][1]["fullyQualifiedName"] == "/created"
    assert location["properties"]["memberRegion"]["startLine"] == 4


def check_junit(text: str, schema: xmlschema.XMLSchema, path: Path) -> junitparser.JUnitXml:
    schema.validate(text)
    path.write_text(text, encoding="utf-8")
    return junitparser.JUnitXml.fromfile(str(path))


def test_junit_of_validate_follows_junit_10_xsd(junit_schema: xmlschema.XMLSchema,
                                                tmp_path: Path) -> None:
    paths = [str(ROOT / "examples/invalid" / n) for n in INVALID]
    paths += [str(ROOT / "examples/full/rex.json"), str(tmp_path / "missing.zip")]
    code, out = run_cli("validate", "-o", "junit", *paths)
    assert code == 2
    xml = check_junit(out, junit_schema, tmp_path / "validate.xml")
    suites = list(xml)
    assert [s.name for s in suites] == paths
    for suite in suites[:len(INVALID)]:
        assert suite.failures >= 1 and suite.errors == 0
    manifest_only, missing = suites[-2:]
    assert manifest_only.skipped == 1 and manifest_only.failures == 0
    assert missing.errors == 1 and missing.skipped == suite.tests - 1


def test_junit_of_a_partial_check_skips_what_was_not_selected(
        junit_schema: xmlschema.XMLSchema, tmp_path: Path) -> None:
    code, out = run_cli("validate", "-o", "junit", "--select", "integrity",
                        str(ROOT / "examples/invalid/bad-timestamp"))
    assert code == 0
    suite = next(iter(check_junit(out, junit_schema, tmp_path / "partial.xml")))
    by_name = {case.name: case for case in suite}
    assert by_name["schema"].is_skipped and not by_name["integrity"].is_skipped
    assert by_name["integrity"].is_passed


def test_junit_of_conformance_run_uses_the_same_writer(junit_schema: xmlschema.XMLSchema,
                                                       tmp_path: Path) -> None:
    out = tmp_path / "conformance.xml"
    code, _ = run_cli("conformance", "run", "--suite", str(ROOT / "conformance-tests"),
                      "-k", "invalid-digests-*", "--junit", str(out))
    assert code == 0
    xml = check_junit(out.read_text(encoding="utf-8"), junit_schema, out)
    suite = next(iter(xml))
    assert suite.tests >= 3 and suite.failures == 0
    assert all(case.classname == "v1.invalid.digests" for case in suite)


def test_junit_records_a_failed_conformance_case(junit_schema: xmlschema.XMLSchema,
                                                 tmp_path: Path) -> None:
    # a validator that calls everything valid fails every invalid case
    script = tmp_path / "always-valid"
    script.write_text('#!/bin/sh\necho \'{"valid": true, "findings": []}\'\n')
    script.chmod(0o755)
    out = tmp_path / "c.xml"
    result = CliRunner().invoke(cli, ["conformance", "run", "--suite",
                                      str(ROOT / "conformance-tests"), "-k",
                                      "invalid-digests-*", "--junit", str(out),
                                      "--validator", f"{script} {{path}}"])
    assert result.exit_code == 1
    suite = next(iter(check_junit(out.read_text(encoding="utf-8"), junit_schema, out)))
    assert suite.failures == suite.tests
    failed = next(iter(suite))
    assert failed.result and failed.result[0].type == "conformance"


@pytest.mark.slow
def test_sarif_multitool_finds_no_warning(tmp_path_factory: pytest.TempPathFactory,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    modules = npm_install(tmp_path_factory.mktemp("npm") / "sarif",
                          "@microsoft/sarif-multitool@5.7.0")
    tool = modules / "@microsoft/sarif-multitool-linux/Sarif.Multitool"
    if not tool.exists():
        pytest.skip("the SARIF multitool ships a Linux x64 build only")
    tool.chmod(0o755)  # its own install script, not run (--ignore-scripts), does only this
    monkeypatch.chdir(ROOT)
    work = tmp_path_factory.mktemp("sarif")
    for name in INVALID:
        log = work / f"{name}.sarif"
        log.write_text(json.dumps(sarif_of(f"examples/invalid/{name}")), encoding="utf-8")
        checked = work / f"{name}.checked.sarif"
        done = subprocess.run([str(tool), "validate", str(log), "-o", str(checked)],
                              capture_output=True, text=True, timeout=300, check=False,
                              env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1"})
        assert done.returncode == 0, done.stdout + done.stderr
        results = json.loads(checked.read_text(encoding="utf-8-sig"))["runs"][0]["results"]
        # error and warning levels only (the default): notes are advice, e.g. to ship snippets
        assert results == [], (name, [r["ruleId"] for r in results])
