"""Properties of the validator over the examples and the valid conformance cases, changed at
random: integrity holds, extensions are free, containers agree, nothing crashes."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from helpers.archives import CONTAINERS, Member, write_members
from helpers.exports import manifest_bytes, reseal, seal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rexport.report import Report
from rexport.validation import validate

ROOT = Path(__file__).resolve().parents[2]
QUICK = settings(max_examples=50, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MORE = settings(max_examples=600, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

Tree = dict[str, bytes]


def _tree(root: Path) -> Tree:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


@cache
def _sources() -> tuple[tuple[str, Tree], ...]:
    """The small valid exports: the examples minimal and full, and every valid conformance case
    that is a plain directory judged without options."""
    found = [(name, _tree(ROOT / "examples" / name)) for name in ("minimal", "full")]
    for expected in sorted((ROOT / "conformance-tests" / "v1" / "valid").glob("*/*/expected.json")):
        case = json.loads(expected.read_text(encoding="utf-8"))
        export = expected.parent / "export"
        if export.is_dir() and not case.get("args") and not case.get("strict") \
                and "input" not in case:
            found.append((expected.parent.name, _tree(export)))
    return tuple(found)


def _validate(tree: Tree, container: str = "dir") -> Report:
    members = [Member(path, data) for path, data in sorted(tree.items())]
    with tempfile.TemporaryDirectory() as folder:
        return validate(write_members(members, container, Path(folder)))


def _errors(report: Report) -> set[tuple[str, str, str]]:
    return {(f.code, f.file, f.pointer) for f in report.errors}


def _listed(tree: Tree) -> list[str]:
    """The files of the index that hold at least one byte."""
    manifest = json.loads(tree["rex.json"])
    return [e["path"] for e in manifest["files"] if tree.get(e["path"])]


sources = st.sampled_from(range(10_000)).map(lambda n: _sources()[n % len(_sources())])
# values an extension may hold: short plain strings, so that none looks like a credential
plain = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 ", max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53 - 1), 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | plain,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(plain, inner, max_size=4),
    max_leaves=12)


def _flip(data: Any, tree: Tree) -> tuple[str, Tree]:
    """A listed file of ``tree`` with one byte changed (chosen by ``data``), index kept."""
    path = data.draw(st.sampled_from(_listed(tree)))
    at = data.draw(st.integers(0, len(tree[path]) - 1))
    change = data.draw(st.integers(1, 255))
    body = bytearray(tree[path])
    body[at] ^= change
    return path, {**tree, path: bytes(body)}


def test_the_sources_are_valid() -> None:
    # the properties below start from valid exports: a source that is not would prove nothing
    assert len(_sources()) > 20
    for name, tree in _sources()[:3]:
        assert _validate(tree).valid, name
        assert _validate(reseal(tree)).valid, name


def _payload_change_is_invalid(data: Any) -> None:
    name, tree = data.draw(sources)
    path, changed = _flip(data, tree)
    report = _validate(changed)
    assert not report.valid, (name, path)
    assert {"REX-I102"} <= {f.code for f in report.errors}, (name, path)


def _extension_is_free(data: Any) -> None:
    name, tree = data.draw(sources)
    manifest = json.loads(tree["rex.json"])
    key = "x-" + data.draw(plain)
    manifest[key] = data.draw(json_values)
    report = _validate({**tree, "rex.json": manifest_bytes(seal(manifest))})
    assert report.valid, (name, key, [(f.code, f.pointer) for f in report.errors])


def _redacting_data_never_validates(data: Any) -> None:
    # only members that hold data a person wrote are redacted here (SEC-04): whether a marker may
    # stand in a verified member is the redaction rule's own test
    name, tree = data.draw(sources)
    _, changed = _flip(data, tree)
    manifest = json.loads(changed["rex.json"])
    hyper = manifest.get("config", {}).get("hyperparameters")
    if isinstance(hyper, dict) and hyper:
        member = data.draw(st.sampled_from(sorted(hyper)))
        hyper[member] = "[REDACTED]"
        pointer = "/config/hyperparameters/" + member.replace("~", "~0").replace("/", "~1")
        manifest.setdefault("redactions", []).append({"pointer": pointer, "reason": "user-request"})
    report = _validate({**changed, "rex.json": manifest_bytes(seal(manifest))})
    assert not report.valid, name


def _containers_agree(data: Any) -> None:
    name, tree = data.draw(sources)
    if data.draw(st.booleans()):
        tree = _flip(data, tree)[1]
    found = {container: _errors(_validate(tree, container)) for container in CONTAINERS}
    assert all(f == found["dir"] for f in found.values()), (name, found)


def _nothing_crashes(data: Any) -> None:
    name, tree = data.draw(sources)
    path = data.draw(st.sampled_from(sorted(tree)))
    body = bytearray(tree[path])
    cut = data.draw(st.integers(0, len(body)))
    body[cut:cut + 1] = data.draw(st.binary(max_size=3))
    container = data.draw(st.sampled_from(CONTAINERS))
    report = _validate({**tree, path: bytes(body)}, container)
    assert report.exit_code != 2, (name, path, [(f.code, f.message) for f in report.findings])


PROPERTIES: dict[str, Callable[[Any], None]] = {
    "payload change is invalid": _payload_change_is_invalid,
    "extension is free": _extension_is_free,
    "redacting data never validates": _redacting_data_never_validates,
    "containers agree": _containers_agree,
    "nothing crashes": _nothing_crashes,
}


@pytest.mark.parametrize("name", sorted(PROPERTIES))
def test_property(name: str) -> None:
    # settings on the new test that given() makes, never on the shared function: the slow
    # variant decorates the same function in the same run
    QUICK(given(st.data())(PROPERTIES[name]))()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PROPERTIES))
def test_property_at_length(name: str) -> None:
    MORE(given(st.data())(PROPERTIES[name]))()
