"""The path rules: one code per broken rule, the fast path agreeing with the full rules, twins."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rexport.checks.safety import check_manifest_paths
from rexport.paths import _full_problems, display, path_problems, plain, twins

CASES = [
    ("code/train.py", set()),
    (".gitignore", set()),
    ("data/a b/c (1).csv", set()),
    ("résumé/naïve.txt", set()),
    ("console.log", set()),
    ("com10.txt", set()),
    ("a..b", set()),
    ("../x", {"REX-X101"}),
    ("a/../../x", {"REX-X101"}),
    ("..", {"REX-X101"}),
    ("/etc/passwd", {"REX-X102"}),
    ("//server/share/x", {"REX-X102"}),
    ("C:/Windows/x", {"REX-X103"}),
    ("c:relative", {"REX-X103"}),
    ("a\\b", {"REX-X104"}),
    ("a\\..\\..\\x", {"REX-X104", "REX-X101"}),
    ("\\\\server\\share", {"REX-X104", "REX-X102"}),
    ("a\x00b", {"REX-X110"}),
    ("a\nb", {"REX-X110"}),
    ("a\x7fb", {"REX-X110"}),
    ("a\x1b[31mb", {"REX-X110"}),
    ("bad\udcffname", {"REX-X110"}),
    ("CON", {"REX-X111"}),
    ("data/con.txt", {"REX-X111"}),
    ("data/Lpt9.tar.gz", {"REX-X111"}),
    ("data/CON .txt", {"REX-X111"}),
    ("data/com\u00b9", {"REX-X111"}),
    ("data/notes.", {"REX-X111"}),
    ("data/notes ", {"REX-X111"}),
    ("", {"REX-X116"}),
    ("a//b", {"REX-X116"}),
    ("a/./b", {"REX-X116"}),
    ("./a", {"REX-X116"}),
    ("a/", {"REX-X116"}),
    ("a/.", {"REX-X116"}),
    ("cafe\u0301", {"REX-X117"}),
    ("x" * 1025, {"REX-X119"}),
    ("é" * 513, {"REX-X119"}),
    ("/".join("a" * 65), {"REX-X119"}),
]


@pytest.mark.parametrize(("name", "codes"), CASES)
def test_path_problems(name: str, codes: set[str]) -> None:
    found = path_problems(name)
    assert {code for code, _ in found} == codes
    assert len(found) == len(codes)  # one finding per code, however often the rule is broken


def test_limits_are_inclusive() -> None:
    assert path_problems("x" * 1024) == []
    assert path_problems("é" * 512) == []
    assert path_problems("/".join("a" * 64)) == []


def test_messages_never_carry_raw_control_characters() -> None:
    for name in ("a\x1b[2Jb", "x\x00y", "bad\udcffname", "a\rb"):
        for _, message in path_problems(name):
            assert all(ord(c) >= 0x20 and c != "\x7f" for c in message)
            assert not any(0xD800 <= ord(c) <= 0xDFFF for c in message)


def test_display_escapes_and_shortens() -> None:
    assert display("a\x1bb") == "a\\x1bb"
    assert display("bad\udcffname") == "bad\\xffname"
    assert display("ok/name.txt") == "ok/name.txt"
    assert len(display("x" * 5000)) == 200


_ALPHABET = st.sampled_from([*"aZ09._-/ \\:~+", "..", "con", "LPT1", "\x00", "\x1f", "é",
                             "e\u0301", "\udcff", "\u00b9"])


@given(st.lists(_ALPHABET, max_size=12).map("".join))
@settings(max_examples=400, deadline=None)
def test_fast_path_agrees_with_full_rules(name: str) -> None:
    assert path_problems(name) == _full_problems(name)


def test_twins_case_and_normalisation() -> None:
    nfc, nfd = "data/caf\u00e9.txt", "data/cafe\u0301.txt"
    found = twins(["code/a.py", "code/A.py", nfc, nfd, "code/a.py", "DATA/CAFÉ.TXT"])
    assert found == [("REX-X108", "code/A.py", "code/a.py"),
                     ("REX-X109", nfd, nfc),
                     ("REX-X108", "DATA/CAFÉ.TXT", nfc)]


def test_twins_fold_beyond_ascii() -> None:
    assert [t[0] for t in twins(["Straße", "STRASSE"])] == ["REX-X108"]
    assert [t[0] for t in twins(["ǅ", "ǆ"])] == ["REX-X108"]
    assert twins(["a", "b", "a"]) == []  # an exact repeat is a duplicate, reported elsewhere


@pytest.mark.timeout(60)  # a hang guard: comparing every pair of 100,000 names takes hours
def test_twins_is_linear() -> None:
    names = [f"data/{i:06d}/file-É-{i}.csv" for i in range(100_000)]
    assert twins(names) == []


def test_manifest_paths_pointers() -> None:
    manifest = {"files": [
        {"path": "code/train.py"},
        {"path": "../escape"},
        {"path": "code/TRAIN.py"},
        "not an object",
        {"path": 7},
        {"path": unicodedata.normalize("NFD", "données.csv")},
        {"path": "données.csv"},
    ]}
    found = [(f.code, f.pointer, f.file) for f in check_manifest_paths(manifest)]
    assert found == [
        ("REX-X101", "/files/1/path", "rex.json"),
        ("REX-X108", "/files/2/path", "rex.json"),
        ("REX-X117", "/files/5/path", "rex.json"),
        ("REX-X109", "/files/6/path", "rex.json"),
    ]


@pytest.mark.parametrize("manifest", [{}, {"files": None}, {"files": {"path": "../x"}},
                                      {"files": [None, [], 3]}])
def test_manifest_paths_ignore_malformed(manifest: dict[str, object]) -> None:
    assert check_manifest_paths(manifest) == []


@given(st.lists(st.lists(_ALPHABET, max_size=8).map("".join), max_size=6))
@settings(max_examples=400, deadline=None)
def test_plain_only_vouches_for_names_the_rules_pass(names: list[str]) -> None:
    if plain(names):
        assert all(path_problems(name) == [] for name in names)


def test_plain_takes_the_common_names_and_refuses_the_rest() -> None:
    common = ["code/train.py", ".github/ci.yml", "data/a-b_c+d@e=f,g~h.tar.gz", "COM10",
              "console.log", "/".join("a" * 64), "x" * 1024]
    assert plain(common) and plain([])
    for bad in ("", "a/", "/a", "a//b", "a/./b", "a/..", "a..b", "x.", "CON", "data/lpt1.txt",
                "a/Aux.tar", "nul", "a b", "a\nb", "é", "x" * 1025, "/".join("a" * 65)):
        assert not plain([*common, bad]), bad


def test_many_plain_paths_are_judged_at_once() -> None:
    manifest = {"files": [{"path": f"data/{i % 100:02d}/f{i:06d}.bin"} for i in range(20_000)]}
    manifest["files"].append({"path": "DATA/00/F000000.BIN"})  # a twin of the first
    found = [(f.code, f.pointer) for f in check_manifest_paths(manifest)]
    assert found == [("REX-X108", "/files/20000/path")]
    manifest["files"].pop()
    assert check_manifest_paths(manifest) == []
