"""The experiment's own schema cannot hang or crash the validator: regular expressions run in a
bounded engine, costly schemas run in a child process with a deadline and a memory cap, and
every failure inside is REX-R107 at the schema's pointer (CFG-05)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from rexport.checks import schema_engine, schema_graph
from rexport.checks.config_schema import check_config_schema

FILE = "config/hyperparameters.schema.json"
ROOT = Path(__file__).resolve().parents[2]
BACKTRACKING = "^(a|aa)+(?=b)\\1$"  # a backreference: only a backtracking engine runs it
LONG = "a" * 60 + "!"


def run(schema: Any, hyper: Any) -> list[tuple[str, str, str]]:
    found = check_config_schema({"config": {"hyperparameters": hyper}}, schema, file=FILE)
    return [(f.code, f.file, f.pointer) for f in found]


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """A short deadline for the child process, so that a test waits for it briefly."""
    monkeypatch.setattr(schema_engine, "SECONDS", 1.0)


@pytest.mark.parametrize(("schema", "hyper", "where"), [
    ({"properties": {"x": {"pattern": BACKTRACKING}}}, {"x": LONG}, "/properties/x/pattern"),
    ({"properties": {"xs": {"items": {"pattern": BACKTRACKING}}}}, {"xs": [LONG]},
     "/properties/xs/items/pattern"),
    ({"propertyNames": {"pattern": BACKTRACKING}}, {LONG: 1}, "/propertyNames/pattern"),
    ({"additionalProperties": False, "patternProperties": {BACKTRACKING: {}}}, {LONG: 1},
     "/patternProperties/" + BACKTRACKING),
    ({"$defs": {"p": {"pattern": BACKTRACKING}}, "properties": {"x": {"$ref": "#/$defs/p"}}},
     {"x": LONG}, "/$defs/p/pattern"),
], ids=["pattern", "items", "property-names", "additional-properties", "through-ref"])
def test_a_catastrophic_pattern_is_r107_at_the_pattern(schema: Any, hyper: Any,
                                                       where: str) -> None:
    assert run(schema, hyper) == [("REX-R107", FILE, where)]


def test_nested_quantifiers_without_backreferences_run_in_linear_time() -> None:
    # exponential for a backtracking engine, linear for the one patterns run in
    schema = {"properties": {"x": {"pattern": "^(a+)+$"}, "y": {"pattern": "^(a|a)*$"}}}
    assert run(schema, {"x": "a" * 50_000 + "!", "y": "a" * 50_000 + "!"}) == [
        ("REX-R106", "rex.json", "/config/hyperparameters/x"),
        ("REX-R106", "rex.json", "/config/hyperparameters/y")]


@pytest.mark.parametrize("pattern", ["a{99999999999}", "(" * 5000 + "a" + ")" * 5000,
                                     "(a{60000}){60000}", "a{1000000}"],
                         ids=["huge-count", "nested-groups", "nested-counts", "large-count"])
def test_a_pattern_the_engine_cannot_compile_is_r107(pattern: str) -> None:
    assert run({"properties": {"x": {"pattern": pattern}}}, {"x": "a"}) == [
        ("REX-R107", FILE, "/properties/x/pattern")]


def _doubling(levels: int) -> dict[str, Any]:
    """Each level refers twice to the next: 2**levels evaluations of the last."""
    defs: dict[str, Any] = {f"a{i}": {"allOf": [{"$ref": f"#/$defs/a{i + 1}"}] * 2}
                            for i in range(levels)}
    defs[f"a{levels}"] = {"type": "object", "minProperties": 1}
    return {"$defs": defs, "$ref": "#/$defs/a0"}


def test_refs_that_double_the_work_end_at_the_deadline(quick: None) -> None:
    assert run(_doubling(40), {"C": 1}) == [("REX-R107", FILE, "")]


def test_a_few_doublings_are_simply_applied() -> None:
    assert schema_graph.plan(_doubling(6), {"C": 1}).bounded
    assert run(_doubling(6), {"C": 1}) == []
    assert set(run(_doubling(6), {})) == {("REX-R106", "rex.json", "/config/hyperparameters")}


def test_enum_over_many_objects_is_bounded(quick: None) -> None:
    schema = {"items": {"enum": [{"a": i} for i in range(20_000)]}}
    assert run(schema, [{"a": -1}] * 2_000) == [("REX-R107", FILE, "")]


def test_unique_items_over_many_objects_is_fast() -> None:
    items = [{"a": i} for i in range(20_000)]
    assert schema_graph.plan({"uniqueItems": True}, items).bounded
    assert run({"uniqueItems": True}, items) == []
    assert run({"uniqueItems": True}, [*items, {"a": 7}]) == [
        ("REX-R106", "rex.json", "/config/hyperparameters")]


@pytest.mark.parametrize(("schema", "hyper"), [
    ({"multipleOf": int("9" * 400)}, 3),
    ({"multipleOf": 0.1}, int("9" * 400)),
    ({"maximum": int("9" * 400), "minimum": -int("9" * 400)}, int("7" * 400)),
    ({"multipleOf": 1e-300}, 1e300),
    ({"properties": {"x": {"multipleOf": 3}}}, {"x": 10 ** 400}),
], ids=["huge-divisor", "huge-value", "huge-bounds", "tiny-divisor", "huge-int"])
def test_huge_numbers_never_raise(schema: Any, hyper: Any) -> None:
    assert {code for code, _, _ in run(schema, hyper)} <= {"REX-R106", "REX-R107"}


def test_a_schema_nested_deeper_than_the_engine_recurses_is_r107(quick: None) -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(5_000):
        node["not"] = {}
        node = node["not"]
    assert [code for code, _, _ in run(deep, {"C": 1})] == ["REX-R107"]


def test_a_value_nested_deeper_than_the_engine_recurses_is_r107(quick: None) -> None:
    value: list[Any] = []
    for _ in range(5_000):
        value = [value]
    assert [code for code, _, _ in run({"type": "object"}, {"x": value})] == ["REX-R107"]


def test_normal_schemas_are_applied_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """No child process for an ordinary schema: it would only cost time."""
    schema = json.loads((ROOT / "examples/full/config/hyperparameters.schema.json").read_text())
    manifest = json.loads((ROOT / "examples/full/rex.json").read_text())

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a child process was started")

    monkeypatch.setattr(schema_engine, "evaluate_isolated", refuse)
    assert check_config_schema(manifest, schema, file=FILE) == []
    manifest["config"]["hyperparameters"]["distance"] = "cosine"
    assert {(f.code, f.pointer) for f in check_config_schema(manifest, schema, file=FILE)} == {
        ("REX-R106", "/config/hyperparameters/distance")}


def test_the_child_gives_the_same_findings_as_this_process() -> None:
    schema = {"properties": {"C": {"type": "number", "exclusiveMinimum": 0},
                             "layers": {"items": {"$ref": "#/$defs/layer"}}},
              "$defs": {"layer": {"properties": {"units": {"type": "integer"}}}},
              "required": ["C"]}
    hyper = {"C": -1, "layers": [{"units": 1}, {"units": "x"}]}
    here = schema_engine.evaluate(schema, hyper, 202012)
    assert schema_engine.evaluate_isolated(schema, hyper, 202012) == here
    assert [r["path"] for r in here] == [["C"], ["layers", 1, "units"]]
    # a listed redaction marker is left out by both, an unlisted one by neither
    hyper = {"C": "[REDACTED]", "layers": [{"units": 1}, {"units": "[REDACTED]"}]}
    exempt = [["layers", "1", "units"]]
    here = schema_engine.evaluate(schema, hyper, 202012, exempt)
    assert schema_engine.evaluate_isolated(schema, hyper, 202012, exempt) == here
    assert [r["path"] for r in here] == [["C"]]


def test_the_child_is_held_to_its_memory_cap() -> None:
    schema = {"items": {"enum": [{"a": i} for i in range(20_000)]}}
    results = schema_engine.evaluate_isolated(schema, [{"a": -1}] * 2_000, 202012,
                                              seconds=30, memory=256 << 20)
    assert len(results) == 1 and results[0]["unusable"] == []


def test_the_deadline_and_the_memory_cap_read_alike() -> None:
    # which limit a schema reaches first depends on the machine's load: the report must not
    schema = {"items": {"enum": [{"a": i} for i in range(20_000)]}}
    hyper = [{"a": -1}] * 2_000
    for seconds in (30.0, 0.05):  # the memory cap reached first, then the deadline
        results = schema_engine.evaluate_isolated(schema, hyper, 202012, seconds=seconds,
                                                  memory=256 << 20)
        assert results == [{"unusable": [], "reason": "applying the schema needs more than "
                                                      f"{seconds:g} s or 256 MiB"}]


def test_a_child_that_cannot_start_is_r107(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    results = schema_engine.evaluate_isolated({"type": "object"}, {}, 202012)
    assert len(results) == 1 and "unusable" in results[0]


def test_a_self_referencing_cycle_names_the_reference() -> None:
    schema = {"$defs": {"a": {"allOf": [{"$ref": "#/$defs/b"}]},
                        "b": {"anyOf": [{"$ref": "#/$defs/a"}]}},
              "properties": {"x": {"$ref": "#/$defs/a"}}}
    found = run(schema, {"x": 1})
    assert len(found) == 1 and found[0][:2] == ("REX-R107", FILE)
    assert found[0][2] in ("/$defs/a/allOf/0/$ref", "/$defs/b/anyOf/0/$ref")
    # recursion through a member is no cycle: each turn descends into the value
    tree = {"$defs": {"node": {"properties": {"kids": {
        "type": "array", "items": {"$ref": "#/$defs/node"}}}}}, "$ref": "#/$defs/node"}
    assert run(tree, {"kids": [{"kids": [{"kids": "x"}]}]}) == [
        ("REX-R106", "rex.json", "/config/hyperparameters/kids/0/kids/0/kids")]
