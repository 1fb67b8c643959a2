"""The references check: ids, lineage, splits, replay and path fields (R101-R105, R108-R110)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from helpers.exports import build_manifest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rexport.checks.references import check

FILES = ["code/train.py", "code/prep.py", "code/uncommitted.diff", "data/iris.csv",
         "data/clean.csv", "data/splits/train.idx", "environment/requirements.lock",
         "environment/reproduce.sh", "config/config.yaml", "config/hyperparameters.schema.json",
         "results/model.pkl", "replay/expected.json"]


DATASET = {"name": "Iris", "license": "CC-BY-4.0", "access": "public"}
REMOTE = {"uri": "s3://b/x", "size": 1, "digests": {"sha256": "0" * 64}}
TIMES = {"started": "2026-01-15T09:00:00Z", "ended": "2026-01-15T09:01:00Z"}


def manifest() -> dict[str, Any]:
    """A valid manifest in which every kind of reference names what it must."""
    return build_manifest(dict.fromkeys(FILES, b"x"), **{
        "code": {"snapshot": {"root": "code/"},
                 "vcs": {"type": "git", "commit": "a" * 40, "diff": "code/uncommitted.diff"},
                 "entry_points": [{"name": "train", "path": "code/train.py"}]},
        "data": {
            "datasets": [{"id": "iris-raw", **DATASET, "embedded": {"paths": ["data/iris.csv"]}},
                         {"id": "remote", **DATASET, "reference": REMOTE}],
            "splits": [{"name": "train", "dataset": "iris-raw", "path": "data/splits/train.idx"},
                       {"name": "test", "dataset": "remote"}],
        },
        "lineage": {"steps": [
            {"id": "clean", "inputs": [{"dataset": "iris-raw"}],
             "outputs": [{"file": "data/clean.csv"}], "code": {"path": "code/prep.py"}, **TIMES},
            {"id": "train", "inputs": [{"file": "data/clean.csv"}],
             "outputs": [{"file": "results/model.pkl"}], "code": {"path": "code/train.py"},
             **TIMES},
        ]},
        "environment": {"os": {"name": "Linux"}, "architecture": "x86_64",
                        "lockfiles": [{"path": "environment/requirements.lock",
                                       "format": "pip-requirements"}],
                        "reproduce": {"path": "environment/reproduce.sh"}},
        "config": {"path": "config/config.yaml",
                   "hyperparameters_schema": "config/hyperparameters.schema.json",
                   "splits": ["train", "test"], "hyperparameters": {"C": 1.0},
                   "seeds": {"python": 0}},
        "results": {"metrics": [{"name": "accuracy", "value": 0.9, "split": "test"},
                                {"name": "loss", "value": 0.1}],
                    "artifacts": [{"name": "model", "path": "results/model.pkl"},
                                  {"name": "big", **REMOTE}]},
        "replay": {"command": ["python", "code/train.py"], "working_directory": ".",
                   "metrics": [{"name": "accuracy", "split": "test",
                                "tolerance": {"absolute": 0.01}},
                               {"name": "loss", "tolerance": {"relative": 0.1}}]},
    })


def found(m: Any) -> list[tuple[str, str]]:
    return [(f.code, f.pointer) for f in check(m)]


def test_a_consistent_manifest_has_no_finding() -> None:
    assert found(manifest()) == []


@pytest.mark.parametrize(("where", "pointer"), [
    (("code", "vcs", "diff"), "/code/vcs/diff"),
    (("code", "entry_points", 0, "path"), "/code/entry_points/0/path"),
    (("data", "datasets", 0, "embedded", "paths", 0), "/data/datasets/0/embedded/paths/0"),
    (("data", "splits", 0, "path"), "/data/splits/0/path"),
    (("environment", "lockfiles", 0, "path"), "/environment/lockfiles/0/path"),
    (("environment", "reproduce", "path"), "/environment/reproduce/path"),
    (("config", "path"), "/config/path"),
    (("config", "hyperparameters_schema"), "/config/hyperparameters_schema"),
    (("results", "artifacts", 0, "path"), "/results/artifacts/0/path"),
])
def test_each_file_field_must_name_an_indexed_file(where: tuple[Any, ...], pointer: str) -> None:
    m = manifest()
    node = m
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = "missing/file.txt"
    assert found(m) == [("REX-R109", pointer)]


def test_a_lineage_cycle_is_reported_once_at_a_step_in_it() -> None:
    m = manifest()
    m["lineage"]["steps"].append({"id": "feedback", "inputs": [{"file": "results/model.pkl"}],
                                  "outputs": [{"file": "data/clean.csv"}]})
    # train consumes data/clean.csv, which feedback makes from train's model: train <-> feedback
    assert found(m) == [("REX-R101", "/lineage/steps/1")]


def test_a_step_consuming_its_own_output_is_a_cycle() -> None:
    m = manifest()
    m["lineage"]["steps"][0]["outputs"].append({"dataset": "iris-raw"})
    assert found(m) == [("REX-R101", "/lineage/steps/0")]


def test_separate_cycles_are_each_reported() -> None:
    steps = [{"id": f"s{i}", "inputs": [{"file": f"f{i}"}], "outputs": [{"file": f"f{i ^ 1}"}]}
             for i in range(4)]
    m = {"files": [{"path": f"f{i}"} for i in range(4)], "lineage": {"steps": steps}}
    assert found(m) == [("REX-R101", "/lineage/steps/0"), ("REX-R101", "/lineage/steps/2")]


def test_a_cycle_through_100000_steps_needs_no_recursion() -> None:
    n = 100_000
    steps = [{"id": f"s{i}", "inputs": [{"file": f"f{i}"}], "outputs": [{"file": f"f{i + 1}"}]}
             for i in range(n)]
    steps[-1]["outputs"] = [{"file": "f0"}]
    m = {"files": [{"path": f"f{i}"} for i in range(n)], "lineage": {"steps": steps}}
    assert found(m) == [("REX-R101", "/lineage/steps/0")]


def test_a_diamond_is_not_a_cycle() -> None:
    steps = [{"id": "a", "outputs": [{"file": "x"}, {"file": "y"}]},
             {"id": "b", "inputs": [{"file": "x"}], "outputs": [{"file": "z1"}]},
             {"id": "c", "inputs": [{"file": "y"}], "outputs": [{"file": "z2"}]},
             {"id": "d", "inputs": [{"file": "z1"}, {"file": "z2"}]}]
    m = {"files": [{"path": p} for p in ("x", "y", "z1", "z2")], "lineage": {"steps": steps}}
    assert found(m) == []


def test_unresolved_lineage_inputs_and_outputs_are_r102() -> None:
    m = manifest()
    steps = m["lineage"]["steps"]
    steps[1]["inputs"].append({"dataset": "nope"})
    steps[1]["outputs"][0] = {"file": "results/other.pkl"}
    assert found(m) == [("REX-R102", "/lineage/steps/1/inputs/1/dataset"),
                        ("REX-R102", "/lineage/steps/1/outputs/0/file")]


def test_step_code_must_be_indexed() -> None:
    m = manifest()
    m["lineage"]["steps"][1]["code"]["path"] = "code/gone.py"
    assert found(m) == [("REX-R103", "/lineage/steps/1/code/path")]


def test_splits_name_known_datasets_and_config_names_known_splits() -> None:
    m = manifest()
    m["data"]["splits"][1]["dataset"] = "unknown"
    m["config"]["splits"].append("validation")
    assert found(m) == [("REX-R104", "/data/splits/1/dataset"), ("REX-R104", "/config/splits/2")]


def test_replay_metrics_must_name_results_metrics() -> None:
    m = manifest()
    m["replay"]["metrics"] += [{"name": "f1"}, {"name": "accuracy", "split": "train"},
                               {"name": "loss", "split": "test"}]
    assert found(m) == [("REX-R105", "/replay/metrics/2/name"),
                        ("REX-R105", "/replay/metrics/3/split"),
                        ("REX-R105", "/replay/metrics/4/split")]


@pytest.mark.parametrize(("directory", "ok"), [
    (".", True), ("code", True), ("code/", True), ("data/splits", True), ("cod", False),
    ("results/model.pkl", False), ("nowhere", False),
])
def test_replay_working_directory(directory: str, ok: bool) -> None:
    m = manifest()
    m["replay"]["working_directory"] = directory
    assert found(m) == ([] if ok else [("REX-R105", "/replay/working_directory")])


def test_duplicate_identifiers_are_r108_at_the_repeat() -> None:
    m = manifest()
    m["data"]["datasets"].append({"id": "iris-raw", "reference": {}})
    m["data"]["splits"].append({"name": "train", "dataset": "iris-raw"})
    m["lineage"]["steps"].append({"id": "clean"})
    assert found(m) == [("REX-R108", "/data/datasets/2/id"), ("REX-R108", "/data/splits/2/name"),
                        ("REX-R108", "/lineage/steps/2/id")]


@pytest.mark.parametrize(("root", "ok"), [("code/", True), ("code", True), ("data/splits/", True),
                                          ("cod/", False), ("empty/", False)])
def test_a_snapshot_root_must_hold_an_indexed_file(root: str, ok: bool) -> None:
    m = manifest()
    m["code"]["snapshot"]["root"] = root
    assert found(m) == ([] if ok else [("REX-R110", "/code/snapshot/root")])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                  max_size=3),
    max_leaves=20,
)
SECTIONS = ["files", "code", "data", "lineage", "environment", "config", "results", "replay"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_never_raises_on_any_json_value(data: st.DataObject) -> None:
    check(data.draw(json_values))
    m = manifest()
    # replace one part anywhere in a valid manifest by an arbitrary value
    node: Any = m
    for _ in range(data.draw(st.integers(1, 4))):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = data.draw(st.sampled_from(keys))
        if not isinstance(node[key], (dict, list)) or data.draw(st.booleans()):
            node[key] = data.draw(json_values)
            break
        node = node[key]
    check(m)
    check(json.loads(json.dumps(m)))


@pytest.mark.parametrize("section", SECTIONS)
@pytest.mark.parametrize("value", [None, 1, "x", [], {}, [None, 1, "s", [], {}]])
def test_each_section_of_any_type_is_tolerated(section: str, value: Any) -> None:
    m = manifest()
    m[section] = copy.deepcopy(value)
    check(m)
