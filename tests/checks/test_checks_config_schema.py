"""The experiment's own hyperparameter schema applied to config (R106) or refused (R107)."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from rexport.checks.references import check_config_schema

FILE = "config/hyperparameters.schema.json"
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "C": {"type": "number", "exclusiveMinimum": 0},
        "max_iter": {"type": "integer", "minimum": 1},
        "solver": {"enum": ["lbfgs", "saga"]},
        "started": {"type": "string", "format": "date-time"},
        "layers": {"type": "array", "items": {"$ref": "#/$defs/layer"}},
    },
    "required": ["C"],
    "$defs": {"layer": {"type": "object", "properties": {"units": {"type": "integer"}}}},
}


def run(hyper: Any, schema: Any = SCHEMA) -> list[tuple[str, str, str]]:
    found = check_config_schema({"config": {"hyperparameters": hyper}}, schema, file=FILE)
    return [(f.code, f.file, f.pointer) for f in found]


def test_conforming_hyperparameters_pass() -> None:
    assert run({"C": 1.0, "max_iter": 10, "solver": "saga", "started": "2026-01-15T10:00:00Z",
                "layers": [{"units": 3}]}) == []


def test_each_violation_is_r106_at_its_pointer_in_the_manifest() -> None:
    found = check_config_schema(
        {"config": {"hyperparameters": {"C": -1, "max_iter": 0.5, "solver": "adam",
                                        "layers": [{"units": 1}, {"units": "x"}]}}},
        SCHEMA, file=FILE)
    assert {(f.code, f.file, f.pointer) for f in found} == {
        ("REX-R106", "rex.json", "/config/hyperparameters/C"),
        ("REX-R106", "rex.json", "/config/hyperparameters/max_iter"),
        ("REX-R106", "rex.json", "/config/hyperparameters/solver"),
        ("REX-R106", "rex.json", "/config/hyperparameters/layers/1/units"),
    }
    by_pointer = {f.pointer: f.schema_pointer for f in found}
    assert by_pointer["/config/hyperparameters/C"] == "/properties/C/exclusiveMinimum"


def test_a_missing_required_hyperparameter_points_at_the_object() -> None:
    assert run({"max_iter": 3}) == [("REX-R106", "rex.json", "/config/hyperparameters")]


def test_formats_are_checked() -> None:
    assert run({"C": 1, "started": "yesterday"}) == [
        ("REX-R106", "rex.json", "/config/hyperparameters/started")]


def test_messages_never_repeat_the_value() -> None:
    found = check_config_schema({"config": {"hyperparameters": {"C": "s3cr3t-v4lue"}}}, SCHEMA,
                                file=FILE)
    assert found and all("s3cr3t-v4lue" not in f.message + f.hint for f in found)


def test_the_drafts_named_by_schema_are_honoured() -> None:
    draft4 = {"$schema": "http://json-schema.org/draft-04/schema#",
              "properties": {"C": {"type": "number", "minimum": 0, "exclusiveMinimum": True}}}
    assert run({"C": 0}, draft4) == [("REX-R106", "rex.json", "/config/hyperparameters/C")]
    # the same keyword is a number in 2020-12, so the draft-4 form is an unusable schema there
    draft4.pop("$schema")
    assert [c for c, _, _ in run({"C": 0}, draft4)] == ["REX-R107"]


@pytest.mark.parametrize("schema", [
    [1, 2], "schema", 3, None,
    {"type": "no-such-type"},
    {"properties": {"C": {"minimum": "zero"}}},
    {"properties": {"C": {"pattern": "(unclosed"}}},
])
def test_unusable_schemas_are_r107_at_the_schema_file(schema: Any) -> None:
    found = run({"C": 1}, schema)
    assert [(c, f) for c, f, _ in found] == [("REX-R107", FILE)]


def test_a_remote_ref_is_never_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("network used")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    schema = {"properties": {"C": {"$ref": "https://example.org/schemas/c.json"}}}
    assert [c for c, _, _ in run({"C": 1}, schema)] == ["REX-R107"]


def test_a_ref_leaving_the_file_is_refused_even_where_never_used() -> None:
    schema = {"anyOf": [{"type": "object"}, {"$ref": "other.schema.json#/x"}],
              "properties": {"default": {"$ref": "#/$defs/d"}, "z": {"const": {"$ref": "x"}}},
              "$defs": {"d": {"type": "integer"}}}
    assert run({"C": 1}, schema) == [("REX-R107", FILE, "/anyOf/1/$ref")]


def listed(hyper: Any, *names: str) -> list[tuple[str, str, str]]:
    """``run`` with a redactions entry for each hyperparameter of ``names``."""
    entries = [{"pointer": f"/config/hyperparameters/{n}", "reason": "x"} for n in names]
    found = check_config_schema({"config": {"hyperparameters": hyper}, "redactions": entries},
                                SCHEMA, file=FILE)
    return [(f.code, f.file, f.pointer) for f in found]


def test_listed_redaction_markers_are_not_judged() -> None:
    assert listed({"C": "[REDACTED]", "max_iter": "[REDACTED]"}, "C", "max_iter") == []
    assert listed({"C": "[REDACTED]", "max_iter": "ten"}, "C", "max_iter") == [
        ("REX-R106", "rex.json", "/config/hyperparameters/max_iter")]
    # the whole object withheld
    assert check_config_schema({"config": {"hyperparameters": "[REDACTED]"}, "redactions": [
        {"pointer": "/config/hyperparameters", "reason": "x"}]}, SCHEMA, file=FILE) == []


def test_an_unlisted_marker_is_judged_like_any_value() -> None:
    # SEC-04: only a marker that redactions lists is known to be withheld
    assert listed({"C": "[REDACTED]", "max_iter": "[REDACTED]"}, "C") == [
        ("REX-R106", "rex.json", "/config/hyperparameters/max_iter")]
    assert run({"C": 1.0, "max_iter": "[REDACTED]"}) == [
        ("REX-R106", "rex.json", "/config/hyperparameters/max_iter")]


def test_an_unknown_dialect_is_r107_at_its_schema_keyword() -> None:
    schema = {"$schema": "https://example.org/my-own-draft", "type": "object"}
    assert run({"C": 1}, schema) == [("REX-R107", FILE, "/$schema")]
    assert run({"C": 1}, {"$schema": 7}) == [("REX-R107", FILE, "/$schema")]


@pytest.mark.parametrize(("uri", "known"), [
    ("https://json-schema.org/draft/2020-12/schema", True),
    ("http://json-schema.org/draft/2019-09/schema#", True),
    ("https://json-schema.org/draft-07/schema#", True),
    ("http://json-schema.org/draft-06/schema", True),
    ("http://json-schema.org/draft-04/schema#", True),
    ("http://json-schema.org/draft-03/schema#", False),  # not one of the five drafts (CFG-05)
    ("ftp://json-schema.org/draft-07/schema#", False),
    ("json-schema.org/draft-07/schema", False),
    ("http://json-schema.org/draft-07/schema##", False),
])
def test_schema_names_one_of_five_drafts(uri: str, known: bool) -> None:
    found = run({"C": 1}, {"$schema": uri, "type": "object"})
    assert found == ([] if known else [("REX-R107", FILE, "/$schema")])


def test_a_schema_error_points_into_the_schema_file() -> None:
    schema = {"properties": {"C": {"type": "objekt"}}}
    assert run({"C": 1}, schema) == [("REX-R107", FILE, "/properties/C/type")]


def test_an_unresolvable_local_ref_is_r107() -> None:
    assert [c for c, _, _ in run({"C": 1}, {"$ref": "#/$defs/missing"})] == ["REX-R107"]


def test_a_self_referencing_schema_is_r107_not_a_crash() -> None:
    assert [c for c, _, _ in run({"C": 1}, {"$ref": "#"})] == ["REX-R107"]


def test_boolean_schemas() -> None:
    assert run({"C": 1}, True) == []
    assert run({"C": 1}, False) == [("REX-R106", "rex.json", "/config/hyperparameters")]


@pytest.mark.parametrize("manifest", [{}, {"config": None}, {"config": {}}, [], None, "x"])
def test_nothing_to_check_without_hyperparameters(manifest: Any) -> None:
    assert check_config_schema(manifest, SCHEMA, file=FILE) == []


def test_the_best_violation_comes_first() -> None:
    # python-jsonschema yields the nested error first; the shallow one tells more
    schema = {"properties": {"a": {"properties": {"b": {"type": "integer"}}}}, "required": ["z"]}
    found = check_config_schema({"config": {"hyperparameters": {"a": {"b": "x"}}}}, schema,
                                file=FILE)
    assert [f.pointer for f in found] == ["/config/hyperparameters",
                                          "/config/hyperparameters/a/b"]
