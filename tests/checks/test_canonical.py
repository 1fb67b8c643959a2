"""The canonical JSON fast path writes exactly what RFC 8785 (the rfc8785 package) writes."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from rexport.canonical import canonical_bytes, export_digest

_scalars = (
    st.none() | st.booleans() | st.text()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
)
_json = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(_json)
def test_fast_path_equals_rfc8785(value: Any) -> None:
    assert canonical_bytes(value) == bytes(rfc8785.dumps(value))


@pytest.mark.parametrize("value", [
    1.0, 1e16, 1e21, 1e-7, 0.00001, -0.0, 5e-324, 1.7976931348623157e308, 123456789.125,
    {"\U0001f600": 1, "\ue000": 2, "a": 3}, "\u2028\x7f\x00\x1f\"\\", [0.1, 2.5, -3.75],
])
def test_known_differences_of_python_json(value: Any) -> None:
    assert canonical_bytes(value) == bytes(rfc8785.dumps(value))


def _index(count: int, odd: Any) -> dict[str, Any]:
    files = [{"path": f"data/{i:05d}.bin", "size": i, "digests": {"sha256": "ab" * 32}}
             for i in range(count)]
    files[count // 2]["weight"] = odd
    return {"files": files, "config": {"C": 1.0, "lr": 0.1, "\U0001f600": [1e21]}, "z": None}


@pytest.mark.parametrize("count", [1023, 1024, 1025, 5000])
@pytest.mark.parametrize("odd", [1.0, 0.5, "x"])
def test_large_manifests_with_values_the_fast_path_cannot_take(count: int, odd: Any) -> None:
    # a long file index is encoded in slices, one slice of it through rfc8785
    value = _index(count, odd)
    assert canonical_bytes(value) == bytes(rfc8785.dumps(value))
    assert canonical_bytes(value["files"]) == bytes(rfc8785.dumps(value["files"]))


@pytest.mark.parametrize("bad", [2**53, float("nan"), math.inf, "\ud800"])
def test_values_jcs_cannot_represent_raise(bad: Any) -> None:
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_bytes({"x": bad})
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_bytes(_index(3000, bad))
    with pytest.raises(rfc8785.CanonicalizationError):
        export_digest(_index(3000, bad))


def test_a_lone_surrogate_in_a_key_raises_as_rfc8785_does() -> None:
    # rfc8785 itself fails on such a key with UnicodeEncodeError, a ValueError
    with pytest.raises(ValueError):
        canonical_bytes({"a": 1.0, "\ud800": 1})


def test_export_digest_ignores_mutable_members_only() -> None:
    base = {"rex_version": "1.0", "files": [], "x-ext": {"k": 1}}
    digest = export_digest(base)
    assert export_digest({**base, "annotations": {"tags": ["t"]}, "export_digest": "z"}) == digest
    assert export_digest({**base, "x-ext": {"k": 2}}) != digest
    # whitespace and member order of the source text do not matter
    reordered = json.loads(json.dumps(dict(reversed(list(base.items()))), indent=3))
    assert export_digest(reordered) == digest


def test_one_slow_member_leaves_the_others_on_the_fast_path(monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    import rfc8785
    from rexport import canonical

    files = [{"path": f"data/{i}.bin", "size": i, "digests": {"sha256": "0" * 64}}
             for i in range(500)]
    manifest = {"config": {"hyperparameters": {"C": 1.0, "big": 1e21}}, "files": files,
                "title": "caf\u00e9"}
    expected = bytes(rfc8785.dumps(manifest))
    written: list[object] = []
    real = rfc8785.dumps

    def counted(value: object) -> bytes:
        written.append(value)
        return bytes(real(value))

    monkeypatch.setattr(canonical.rfc8785, "dumps", counted)
    assert canonical.canonical_bytes(manifest) == expected
    # only the values the fast encoder writes otherwise went the slow way: never the index
    assert written == [1.0, 1e21]
