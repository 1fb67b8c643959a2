"""load_yaml: one plain YAML document; anchors, aliases, tags, duplicates refused (P2xx)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rexport.parsing import load_yaml


def load(text: str | bytes, **kw: Any) -> tuple[Any, list[Any]]:
    data = text.encode() if isinstance(text, str) else text
    return load_yaml(data, file="config/config.yaml", **kw)


def where(found: list[Any]) -> list[tuple[str, str]]:
    return [(f.code, f.pointer) for f in found]


def test_a_plain_config_loads_as_json_types() -> None:
    value, found = load("lr: 0.01\nepochs: 10\nname: run\nflags: [true, null, ~]\n"
                        "started: 2026-01-15\nwhen: 2026-01-15T10:00:00Z\nkeep: '<<'\n")
    assert found == []
    assert value == {"lr": 0.01, "epochs": 10, "name": "run", "flags": [True, None, None],
                     "started": "2026-01-15", "when": "2026-01-15T10:00:00Z", "keep": "<<"}


def test_anchors_and_aliases_are_refused_with_place() -> None:
    value, found = load("base: &b {lr: 1}\nrun:\n  opts: *b\n")
    assert value is None
    assert where(found) == [("REX-P202", "/base"), ("REX-P202", "/run/opts")]
    assert (found[1].line, found[1].column) == (3, 9)


@pytest.mark.timeout(60)  # a hang guard: expanding 9**10 lists takes hours
def test_a_billion_laughs_document_is_refused_without_expanding() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    value, found = load("\n".join(lines))
    assert value is None
    assert {f.code for f in found} == {"REX-P202"}


@pytest.mark.parametrize("text", [
    "a: !!python/object/apply:os.system ['true']\n",
    "a: !!str 5\n",
    "a: !custom x\n",
    "a: ! x\n",
    "a: !!binary aGVsbG8=\n",
    "a: !!set {x, y}\n",
    "!!map {a: 1}\n",
    "%TAG !e! tag:example.com,2000:\n---\na: !e!foo 1\n",
])
def test_every_explicit_tag_is_refused(text: str) -> None:
    value, found = load(text)
    assert value is None
    assert {f.code for f in found} == {"REX-P203"}


def test_duplicate_keys_are_reported_each_with_pointer() -> None:
    value, found = load("a: 1\nb:\n  c: 1\n  c: 2\na: 3\nlist:\n  - {x: 1, x: 2}\n")
    assert value is None
    assert where(found) == [("REX-P204", "/b/c"), ("REX-P204", "/a"), ("REX-P204", "/list/0/x")]
    assert found[0].line == 4


def test_keys_equal_after_resolution_are_duplicates() -> None:
    _, found = load("1: a\n0x1: b\n")
    assert where(found) == [("REX-P204", "/1")]


@pytest.mark.parametrize(("text", "pointers"), [
    ("a: .nan\n", ["/a"]),
    ("a: [.inf, -.Inf]\n", ["/a/0", "/a/1"]),
    ("a: {b: 1.0e+999}\n", ["/a/b"]),
])
def test_non_finite_floats_are_p105(text: str, pointers: list[str]) -> None:
    value, found = load(text)
    assert value is None
    assert where(found) == [("REX-P105", p) for p in pointers]


@pytest.mark.parametrize(("text", "line", "column"), [
    ("a: [1,\n", 2, 1),
    ("a: b: c\n", 1, 5),
    ("a: 'open\n", 2, 1),
    ("\tkey: 1\n", 1, 1),
    ("a: \x07\n", 1, 4),
])
def test_syntax_errors_are_p201_with_line_and_column(text: str, line: int, column: int) -> None:
    value, found = load(text)
    assert value is None
    assert [f.code for f in found] == ["REX-P201"]
    assert (found[0].line, found[0].column) == (line, column)


def test_more_than_one_document_is_refused() -> None:
    value, found = load("a: 1\n---\nb: 2\n")
    assert value is None
    assert [(f.code, f.line) for f in found] == [("REX-P201", 2)]


def test_a_complex_key_is_refused() -> None:
    value, found = load("? [a, b]\n: 1\n")
    assert value is None
    assert [f.code for f in found] == ["REX-P201"]


def test_an_over_long_integer_is_refused_not_raised() -> None:
    value, found = load("a: " + "9" * 5000 + "\n")
    assert value is None
    assert where(found) == [("REX-P201", "/a")]


def test_depth_cap() -> None:
    assert load("a: " + "[" * 63 + "]" * 63)[1] == []
    value, found = load("a: " + "[" * 64 + "]" * 64)
    assert value is None
    assert [f.code for f in found] == ["REX-P106"]
    assert found[0].column == 3 + 64


def test_deep_block_nesting_is_refused() -> None:
    text = "".join(" " * i + f"k{i}:\n" for i in range(200))
    assert [f.code for f in load(text)[1]] == ["REX-P106"]


def test_size_cap() -> None:
    value, found = load("a: " + "x" * 100, max_bytes=20)
    assert value is None
    assert [f.code for f in found] == ["REX-P107"]


def test_bom_is_reported_and_the_value_kept() -> None:
    value, found = load(b"\xef\xbb\xbfa: 1\n")
    assert [f.code for f in found] == ["REX-P102"]
    assert value == {"a": 1}


def test_invalid_utf8_is_p103_with_place() -> None:
    value, found = load(b"a: 1\nb: \"\xc3\x28\"\n")
    assert value is None
    assert [(f.code, f.line, f.column) for f in found] == [("REX-P103", 2, 5)]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n  \n"])
def test_a_file_with_no_document_is_p201(text: str) -> None:
    # CFG-02: exactly one document, and a file of comments holds none
    value, found = load(text)
    assert value is None
    assert [(f.code, f.pointer, f.line) for f in found] == [("REX-P201", "", 1)]


def test_an_explicit_empty_document_is_null_with_no_finding() -> None:
    assert load("---\n") == (None, [])
    assert load("--- # nothing else\n...\n") == (None, [])


plain = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                  max_size=4),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(plain)
def test_plain_documents_load_as_pyyaml_safe_load_does(value: Any) -> None:
    text = yaml.safe_dump({"v": value}, allow_unicode=True)
    loaded, found = load(text)
    assert found == []
    assert loaded == yaml.safe_load(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#?,\n \t.0123~%@`")),
               max_size=40))
def test_arbitrary_text_never_raises(text: str) -> None:
    value, found = load(text)
    if any(f.severity.value == "error" for f in found):
        assert value is None


def test_the_spec_example_of_cfg_02() -> None:
    text = ("# config/config.yaml\ndefaults: &defaults\n  max_iter: 200\nseed: !!int \"0\"\n"
            "model:\n  <<: *defaults\n  C: 1.0\n")
    value, found = load(text)
    assert value is None
    assert [(f.code, f.line, f.pointer) for f in found] == [
        ("REX-P202", 2, "/defaults"), ("REX-P203", 4, "/seed"), ("REX-P202", 6, "/model/<<")]
    accepted = "# config/config.yaml\nseed: 0\nmodel:\n  max_iter: 200\n  C: 1.0\n"
    assert load(accepted) == ({"seed": 0, "model": {"max_iter": 200, "C": 1.0}}, [])
