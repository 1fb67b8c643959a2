"""Items of a large array passed over by string search (structure.skip_items): placed exactly
where a plain descent through the text places them, or not passed over that way at all."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rexport.parsing import locate, positions, structure

Offsets = tuple[int, int]


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def reference_offsets(text: str) -> dict[str, Offsets]:
    """Every member's (from its key) and item's start and end, by a descent through the text
    one character at a time: slow, plain, and sharing nothing with rexport's walk."""
    out: dict[str, Offsets] = {}
    decoder = json.JSONDecoder()

    def blank(i: int) -> int:
        while i < len(text) and text[i] in " \t\n\r":
            i += 1
        return i

    def value(i: int, path: str) -> int:
        if text[i] not in "{[":
            return int(decoder.raw_decode(text, i)[1])
        closing, i, n = "}" if text[i] == "{" else "]", blank(i + 1), 0
        while text[i] != closing:
            if closing == "}":
                key, after = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
                here, starts = f"{path}/{_escape(key)}", i
                i = blank(blank(after) + 1)  # past the colon
            else:
                here, starts, n = f"{path}/{n}", i, n + 1
            i = value(i, here)
            out[here] = (starts, i)
            i = blank(i)
            if text[i] == ",":
                i = blank(i + 1)
        return i + 1

    start = blank(0)
    out[""] = (start, value(start, ""))
    return out


def reference_spans(text: str, pointers: list[str]) -> dict[str, tuple[int, int, int, int]]:
    """Each pointer's line and column span (that of its nearest ancestor naming something)."""
    offsets = reference_offsets(text)

    def place(offset: int) -> tuple[int, int]:
        line_start = text.rfind("\n", 0, offset) + 1
        return text.count("\n", 0, offset) + 1, offset - line_start + 1

    spans = {}
    for pointer in pointers:
        tokens = pointer.split("/")
        while "/".join(tokens) not in offsets:
            tokens.pop()
        start, end = offsets["/".join(tokens)]
        spans[pointer] = (*place(start), *place(end))
    return spans


TRICKY = ['}, {"path": "', "[1, 2]", '{"a": 1}', '"', "\\", ",", ":", "x\ny", "\u00e9t\u00e9",
          "\U0001f600", "", "path", "a/b~c", "\\u0041"]
strings = st.sampled_from(TRICKY) | st.text(alphabet=st.sampled_from(list('[]{}",:\\ab\n/')),
                                            max_size=8)
scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | strings \
    | st.floats(allow_nan=False, allow_infinity=False)
keys = st.sampled_from(["path", "size", "digests", "sha256", "a,b", 'q"', "}", "\u00e9"])
nested = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(keys, inner, max_size=3), max_leaves=6)
# mostly flat objects, as in a file index; now and then an item of another kind
items = st.dictionaries(keys, scalars, min_size=1, max_size=4) \
    | st.dictionaries(keys, nested, max_size=4) | nested
LAYOUTS = [{}, {"indent": 2}, {"indent": "\t"}, {"separators": (",", ":")},
           {"indent": 1, "separators": (" ,", " : ")}, {"ensure_ascii": False}]


def wanted(files: list[Any], picks: list[int]) -> list[str]:
    """Pointers to items of ``files`` and to members in them, and to some that name nothing."""
    out = ["/files/0", f"/files/{len(files)}", "/files/0/nothing", "/tail"]
    for pick in picks:
        n = pick % max(len(files), 1)
        out.append(f"/files/{n}")
        if isinstance(files[n] if files else None, dict):
            out.extend(f"/files/{n}/{_escape(k)}" for k in files[n])
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(items, max_size=40), st.sampled_from(LAYOUTS),
       st.lists(st.integers(0, 10**6), min_size=1, max_size=4))
def test_items_passed_over_are_placed_as_by_a_plain_descent(
        files: list[Any], layout: dict[str, Any], picks: list[int]) -> None:
    text = json.dumps({"head": {"a": [1, "]"]}, "files": files, "tail": "}"}, **layout)
    pointers = wanted(files, picks)
    expected = reference_spans(text, pointers)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(positions, "SKIP_MIN", 1)  # pass over even a few items by search
        patch.setattr(structure, "_PIECE", 5)  # read in pieces, escapes among them
        assert locate(text.encode(), pointers, well_formed=True) == expected
    assert locate(text.encode(), pointers) == expected


def index(count: int, **layout: Any) -> tuple[str, list[dict[str, Any]]]:
    files = [{"path": f"data/{i:05d}.npy", "size": i * 7, "media_type": "application/x-npy",
              "role": "data", "digests": {"sha256": f"{i:064x}"}} for i in range(count)]
    return json.dumps({"rex_version": "1.0", "files": files, "code": {"a": [1]}}, **layout), files


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("pointers", [
    ["/files/0/size", "/files/1500/size", "/files/2999/size", "/files/2999"],
    ["/files/1500/size", "/files/2000", "/code/a/0"],  # and a member after the index
    ["/files/0", "/files/2999/digests/sha256", "/files/3000/size", "/rex_version"],
])
def test_errors_at_the_first_a_middle_and_the_last_entry_are_placed_exactly(
        layout: dict[str, Any], pointers: list[str]) -> None:
    text, _ = index(3000, **layout)
    assert locate(text.encode(), pointers, well_formed=True) == reference_spans(text, pointers)


@pytest.mark.parametrize("odd", [
    {"path": 'a"}, {"path": "b', "size": 1},  # the separator within a string
    {"path": "c", "size": 1, "digests": {"sha256": "0", "md5": "1"}},  # a comma one level down
    {"path": "d", "size": 1, "parts": [{"x": 1}, {"x": 2}]},  # an array of objects inside
    {"size": 1, "path": "e"},  # another first key
    {"path": "f", "size": 1, "digests": {}}, {},  # objects with no member
    ["not", "an", "object"],
    "text \\\" with escapes \\\\",
])
@pytest.mark.parametrize("where", [1, 700, 1998])
def test_an_odd_item_among_many_is_placed_exactly(odd: Any, where: int) -> None:
    _, files = index(2000)
    files[where] = odd
    text = json.dumps({"files": files}, indent=1)
    beyond = ["/files/1000/path", "/files/1999/digests/sha256", "/files/1999"]  # passed over
    at = [f"/files/{where}", f"/files/{where}/size", *beyond]
    for pointers in (beyond, at):
        spans = locate(text.encode(), pointers, well_formed=True)
        assert spans == reference_spans(text, pointers)


@pytest.mark.parametrize("indent", [None, 2])
def test_a_separator_in_a_string_is_not_made_up_for_by_a_comma_in_an_array(
        indent: int | None) -> None:
    # the first two entries parted by a comma and a brace alone (no short first key), a
    # string holding them, and a comma in an array: counts that agree, places that do not
    _, files = index(2000)
    files[1] = {"a,b": 1}
    files[5]["path"] = "x}, {y" if indent is None else "x},\n  {y"
    files[9]["size"] = [1, 2]
    text = json.dumps({"files": files}, indent=indent)
    pointers = ["/files/1500/size", "/files/1999/path"]
    assert locate(text.encode(), pointers, well_formed=True) == reference_spans(text, pointers)


VARIANTS = {
    "plain": lambda entry: entry,
    "no digest": lambda entry: {**entry, "digests": {}},
    "escapes": lambda entry: {**entry, "path": entry["path"] + ' \\"q\\" \u00e9 \U0001f600'},
    "backslashes": lambda entry: {**entry, "path": entry["path"] + "\\" * 1500},  # over pieces
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_a_large_index_is_passed_over_without_a_scanner_call_per_entry(
        layout: dict[str, Any], variant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _, files = index(5000)
    text = json.dumps({"files": [VARIANTS[variant](entry) for entry in files]}, **layout)
    calls = []
    scan = positions._SCAN
    monkeypatch.setattr(positions, "_SCAN", lambda s, at: calls.append(at) or scan(s, at))
    monkeypatch.setattr(structure, "_PIECE", 999)  # many pieces: an escape at the cut of one
    pointers = ["/files/7/size", "/files/2500/size", "/files/4999/path"]
    spans = locate(text.encode(), pointers, well_formed=True)
    assert spans == reference_spans(text, pointers)
    assert len(calls) < 3 * structure.SKIP_MIN


def test_items_parted_unlike_one_another_cost_a_bounded_search(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # hostile: a long item after each item wanted (a far guess), and separators of two
    # kinds (a search that finds too few, and checks that fail): the search stops at a few
    # times the text, and the scanner places the rest as exactly
    _, files = index(2000)
    for n in range(1, 2000, 80):
        files[n]["path"] = "x" * 50_000
    items = [json.dumps(entry) for entry in files]
    text = '{"files": [' + "".join(item + (", " if n % 2 else ",  ")
                                   for n, item in enumerate(items[:-1])) + items[-1] + "]}"
    reads: list[tuple[int | None, int]] = []
    search = positions.skip_items
    monkeypatch.setattr(positions, "skip_items", lambda *a: reads.append(search(*a)) or reads[-1])
    pointers = [f"/files/{n}/size" for n in range(0, 2000, 80)]
    assert locate(text.encode(), pointers, well_formed=True) == reference_spans(text, pointers)
    assert reads and all(start is None for start, _ in reads)
    assert sum(read for _, read in reads) <= 2 * positions._READS * len(text)
