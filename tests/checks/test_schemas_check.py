"""The schema check family: S101 for every violation, C104 for missing sections, S102 if strict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rexport.checks import schema as schema_check
from rexport.findings import Finding, Severity

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SECTIONS = ["export_digest", "created", "producer", "files", "code", "environment", "config",
            "results"]
ENGINES = ["rs", "python"]


def _full() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / "full" / "rex.json").read_text("utf-8"))
    return loaded


def _where(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.code, f.pointer) for f in findings]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("strict", [False, True])
def test_examples_pass(engine: str, strict: bool) -> None:
    for name in ("minimal", "full"):
        manifest = json.loads((EXAMPLES / name / "rex.json").read_text("utf-8"))
        assert schema_check.check(manifest, strict=strict, engine=engine) == []


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("section", SECTIONS)
def test_missing_section_is_c104_at_its_name(section: str, engine: str) -> None:
    manifest = _full()
    del manifest[section]
    findings = schema_check.check(manifest, strict=False, engine=engine)
    assert _where(findings) == [("REX-C104", f"/{section}")]
    assert findings[0].schema_pointer == "rex.schema.json#/required"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("value", [None, "1.0.0", "2.0", 1])
def test_rex_version_is_left_to_the_version_check(value: Any, engine: str) -> None:
    manifest = _full()
    if value is None:
        del manifest["rex_version"]
    else:
        manifest["rex_version"] = value
    manifest["created"] = "soon"
    assert _where(schema_check.check(manifest, strict=True, engine=engine)) == [
        ("REX-S101", "/created")]


@pytest.mark.parametrize("engine", ENGINES)
def test_missing_nested_member_is_s101_at_its_parent(engine: str) -> None:
    manifest = _full()
    del manifest["producer"]["version"]
    del manifest["data"]["datasets"][0]["license"]
    findings = schema_check.check(manifest, strict=False, engine=engine)
    assert _where(findings) == [("REX-S101", "/producer"), ("REX-S101", "/data/datasets/0")]
    assert findings[1].schema_pointer == "data.schema.json#/$defs/dataset/required"
    assert all(f.severity is Severity.ERROR for f in findings)


@pytest.mark.parametrize("engine", ENGINES)
def test_every_error_is_reported_with_both_pointers(engine: str) -> None:
    manifest = _full()
    manifest["files"][0]["digests"]["sha256"] = "0" * 63
    manifest["files"][4]["role"] = "weights"
    manifest["lineage"]["steps"][2]["started"] = "noon"
    manifest["data"]["datasets"][1]["embedded"] = {"paths": ["data/iris.csv"]}
    findings = schema_check.check(manifest, strict=False, engine=engine)
    # shallow first; at one depth, anyOf/oneOf after the others; then document order
    assert [(f.code, f.pointer, f.schema_pointer) for f in findings] == [
        ("REX-S101", "/files/4/role", "files.schema.json#/$defs/role/enum"),
        ("REX-S101", "/data/datasets/1", "data.schema.json#/$defs/dataset/oneOf"),
        ("REX-S101", "/files/0/digests/sha256", "common.schema.json#/$defs/sha256/pattern"),
        ("REX-S101", "/lineage/steps/2/started", "common.schema.json#/$defs/timestamp/format"),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_unknown_members_are_warnings_only_when_strict(engine: str) -> None:
    manifest = _full()
    manifest["colour"] = "blue"
    manifest["code"]["vcs"]["signed"] = True
    manifest["x-lab"] = {"anything": True}
    manifest["code"]["vcs"]["x-signature"] = "..."
    assert schema_check.check(manifest, strict=False, engine=engine) == []
    findings = schema_check.check(manifest, strict=True, engine=engine)
    assert _where(findings) == [("REX-S102", "/colour"), ("REX-S102", "/code/vcs/signed")]
    assert {f.severity for f in findings} == {Severity.WARNING}


@pytest.mark.parametrize("engine", ENGINES)
def test_strict_lists_schema_errors_before_unknown_members(engine: str) -> None:
    manifest = _full()
    manifest["colour"] = "blue"
    manifest["created"] = 2026
    findings = schema_check.check(manifest, strict=True, engine=engine)
    assert _where(findings) == [("REX-S101", "/created"), ("REX-S102", "/colour")]


@pytest.mark.parametrize("engine", ENGINES)
def test_redacted_marker_is_never_a_schema_error_where_declared(engine: str) -> None:
    manifest = _full()
    manifest["governance"]["creators"][0]["email"] = "[REDACTED]"
    manifest["environment"]["hardware"]["memory_bytes"] = "[REDACTED]"
    assert _where(schema_check.check(manifest, strict=False, engine=engine)) == [
        ("REX-S101", "/environment/hardware/memory_bytes"),
        ("REX-S101", "/governance/creators/0/email")]
    manifest["redactions"] += [
        {"pointer": "/governance/creators/0/email", "reason": "personal data"},
        {"pointer": "/environment/hardware/memory_bytes", "reason": "site policy"}]
    # an email may be redacted (SEC-07); a number the schema types may not
    assert _where(schema_check.check(manifest, strict=False, engine=engine)) == [
        ("REX-S101", "/environment/hardware/memory_bytes"),
        ("REX-K104", "/environment/hardware/memory_bytes")]


@pytest.mark.parametrize("engine", ENGINES)
def test_messages_never_quote_the_value(engine: str) -> None:
    manifest = _full()
    secret = "AKIAIOSFODNN7EXAMPLE"
    manifest["config"]["seeds"]["aws_key"] = secret
    manifest["created"] = secret
    manifest["files"][0]["role"] = secret
    findings = schema_check.check(manifest, strict=False, engine=engine)
    assert len(findings) == 3
    assert not any(secret in json.dumps(f.to_json()) for f in findings)


@pytest.mark.parametrize("value", [None, 0, 1.5, "rex", [], [{}], True, {}])
@pytest.mark.parametrize("engine", ["auto", "python"])
def test_a_non_manifest_gives_findings(value: Any, engine: str) -> None:
    findings = schema_check.check(value, strict=True, engine=engine)
    assert findings
    assert {f.code for f in findings} <= {"REX-S101", "REX-C104"}


_KEYS = [*SECTIONS, "x-a", "path", "digests", "redactions", "pointer", "sha256", "0", ""]
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=5), children, max_size=5),
    max_leaves=30)


@settings(max_examples=150, deadline=None)
@given(value=_JSON)
def test_never_raises_on_any_json_value(value: Any) -> None:
    for strict in (False, True):
        findings = schema_check.check(value, strict=strict)
        assert all(f.code in {"REX-S101", "REX-S102", "REX-S103", "REX-C104"} for f in findings)


@settings(max_examples=60, deadline=None)
@given(patch=st.dictionaries(st.sampled_from([*SECTIONS, "data", "lineage", "redactions"]),
                             _JSON, min_size=1, max_size=3))
def test_engines_agree_on_damaged_manifests(patch: dict[str, Any]) -> None:
    manifest = {**_full(), **patch}
    rs = schema_check.check(manifest, strict=True, engine="rs")
    python = schema_check.check(manifest, strict=True, engine="python")
    assert [(f.code, f.pointer, f.schema_pointer) for f in rs] == \
        [(f.code, f.pointer, f.schema_pointer) for f in python]


def test_deep_nesting_does_not_raise() -> None:
    deep: Any = "leaf"
    for _ in range(5000):
        deep = {"x-nest": [deep]}
    manifest = _full()
    manifest["config"]["hyperparameters"]["deep"] = deep
    manifest["x-deep"] = deep
    assert schema_check.check(manifest, strict=True) == []
