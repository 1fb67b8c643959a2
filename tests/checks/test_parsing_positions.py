"""Positions of the members that findings name, in JSON and YAML text (SARIF regions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.archives import pack
from rexport import validation
from rexport.findings import Finding
from rexport.parsing import locate, place_findings
from rexport.parsing._text import BOM
from rexport.validation import validate

DOC = {"rex_version": "1.0", "title": "iris \"q\" ~/a",
       "files": [{"path": "a.txt", "digests": {"sha256": "ab"}},
                 {"path": "b/c.txt", "digests": {"sha256": "cd", "md5": "ef"}}],
       "a/b": {"m~n": [1, [2, 3], {"deep": None}]}, "empty": {}, "list": []}


def offset(text: str, line: int, column: int) -> int:
    return sum(len(x) for x in text.splitlines(keepends=True)[:line - 1]) + column - 1


def check_span(text: str, span: tuple[int, int, int, int], key: str | None, value: Any) -> None:
    """The span starts at the member's key (or the item's value) and ends just past it."""
    start, end = offset(text, *span[:2]), offset(text, *span[2:])
    at = start
    if key is not None:
        assert text[start:].startswith(json.dumps(key))
        at = text.index(":", start + len(json.dumps(key))) + 1
        at += len(text[at:]) - len(text[at:].lstrip())
    parsed, stop = json.JSONDecoder().raw_decode(text, at)
    assert parsed == value
    assert stop == end


@pytest.mark.parametrize("indent", [None, 2, "\t"])
def test_json_members_and_items_are_placed_exactly(indent: int | str | None) -> None:
    text = json.dumps(DOC, indent=indent)
    cases = {
        "/title": ("title", DOC["title"]),
        "/files/1/digests/md5": ("md5", "ef"),
        "/files/1": (None, DOC["files"][1]),
        "/files/0/path": ("path", "a.txt"),
        "/a~1b/m~0n/1/0": (None, 2),
        "/a~1b/m~0n/2/deep": ("deep", None),
        "/empty": ("empty", {}),
        "/list": ("list", []),
    }
    spans = locate(text.encode(), cases)
    assert set(spans) == set(cases)
    for pointer, (key, value) in cases.items():
        check_span(text, spans[pointer], key, value)


POINTERS = ["", "/title", "/files/1/digests/md5", "/files/1", "/a~1b/m~0n/2/deep", "/list",
            "/files/7", "/nothing/here", "/files/0/path"]


@pytest.mark.parametrize("indent", [None, 2, "\t"])
def test_a_well_formed_text_is_placed_as_by_the_whole_walk(indent: int | str | None) -> None:
    # the walk that ends once every pointer is found, and the whole document's span found
    # without a walk, give what walking the whole text gives, whatever the pointers asked
    data = (" " + json.dumps(DOC, indent=indent) + "\n\n").encode()
    for first in range(len(POINTERS)):
        for last in range(first + 1, len(POINTERS) + 1):
            wanted = POINTERS[first:last]
            assert locate(data, wanted, well_formed=True) == locate(data, wanted), wanted
    # the whole document alone is placed from its bytes: columns count characters
    text = json.dumps({"t\u00e9": "\u00e9t\u00e9 \u2713", "n": [1, 2]}, indent=indent,
                      ensure_ascii=False)
    for data in ((text + " \n").encode(), ("\n" + text).encode()):
        assert locate(data, [""], well_formed=True) == locate(data, [""])


def test_a_pointer_naming_nothing_gets_its_nearest_ancestor() -> None:
    text = json.dumps(DOC, indent=2)
    spans = locate(text.encode(), ["/files/1/size", "/files/7/path", "/environment", ""])
    assert spans["/files/1/size"] == locate(text.encode(), ["/files/1"])["/files/1"]
    assert spans["/files/7/path"] == locate(text.encode(), ["/files"])["/files"]
    lines = text.count("\n") + 1
    assert spans["/environment"] == spans[""] == (1, 1, lines, 2)


def test_the_last_of_duplicate_keys_counts_and_a_bom_is_skipped() -> None:
    text = '{"a": 1,\n "a": {"b": 2}}'
    spans = locate(BOM + text.encode(), ["/a/b"])
    assert spans["/a/b"] == (2, 8, 2, 14)


def test_escaped_keys_and_non_ascii_text_count_code_points() -> None:
    text = '{"caf\\u00e9": "\u00e9\u00e9", "\u00e9t\u00e9": {"x": 1}}'
    spans = locate(text.encode(), ["/caf\u00e9", "/\u00e9t\u00e9/x"])
    assert spans["/caf\u00e9"][:2] == (1, 2)
    assert spans["/\u00e9t\u00e9/x"][:2] == (1, text.index('"x"') + 1)


def test_broken_text_gives_what_was_found_and_never_raises() -> None:
    assert locate(b'{"a": [1, 2', ["/a/5"]) == {}
    assert locate(b"\xff\xfe", ["/a"]) == {}
    assert locate(b"", [""]) == {}


YAML = """\
model: logistic
hyperparameters:
  C: 1.0
  layers:
    - units: 64
    - {units: 32, act: relu}
seeds: [1, 2, 3]
"""


def test_yaml_members_and_items_are_placed() -> None:
    spans = locate(YAML.encode(), ["/hyperparameters/C", "/hyperparameters/layers/1/act",
                                   "/seeds/2", "/hyperparameters/layers/0", "/nothing"],
                   yaml=True)
    assert spans["/hyperparameters/C"] == (3, 3, 3, 9)
    assert spans["/hyperparameters/layers/1/act"] == (6, 19, 6, 28)
    assert spans["/seeds/2"] == (7, 15, 7, 16)
    assert spans["/hyperparameters/layers/0"][:2] == (5, 7)
    assert spans["/nothing"][:2] == (1, 1)


def test_place_findings_fills_only_findings_without_a_line() -> None:
    text = json.dumps(DOC, indent=2).encode()
    findings = [Finding.of("REX-S101", "x", pointer="/title"),
                Finding.of("REX-P101", "y", line=9, column=4),
                Finding.of("REX-C103", "z", file="notes.txt"),
                Finding.of("REX-R107", "w", file="config/h.json", pointer="/type")]
    placed = place_findings(findings, {"rex.json": text, "config/h.json": b'{\n "type": 5}'})
    assert [f.code for f in placed] == [f.code for f in findings]
    assert (placed[0].line, placed[0].end_line) == (3, 3)
    assert (placed[1].line, placed[1].column, placed[1].end_line) == (9, 4, None)
    assert placed[2] == findings[2]
    assert (placed[3].line, placed[3].column, placed[3].end_column) == (2, 2, 11)


def test_many_findings_in_a_large_manifest_are_placed_in_one_walk() -> None:
    files = [{"path": f"f{i}.txt", "size": i, "digests": {"sha256": "0" * 64}}
             for i in range(20000)]
    text = json.dumps({"files": files}, indent=1)
    wanted = [f"/files/{i}/digests/sha256" for i in range(0, 20000, 7)]
    spans = locate(text.encode(), wanted)
    lines = text.splitlines()
    for pointer in wanted[::50]:
        line = spans[pointer][0]
        assert lines[line - 1].strip().startswith('"sha256"')


INVALID = sorted(p for p in (Path(__file__).resolve().parents[2] / "examples" / "invalid").iterdir()
                 if (p / "rex.json").is_file())


@pytest.mark.parametrize("export", INVALID, ids=lambda p: p.name)
@pytest.mark.parametrize("container", ["dir", "tar.gz", "zip"])
def test_a_manifest_let_go_while_checked_is_read_again_to_place_findings(
        export: Path, container: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = export if container == "dir" else pack(export, tmp_path / f"e.{container}")
    kept = validate(target, jobs=1).findings
    monkeypatch.setattr(validation, "KEEP_MAX", 0)
    again = validate(target, jobs=1).findings
    assert again == kept
    assert all(f.line is not None for f in kept if f.file == "rex.json")
