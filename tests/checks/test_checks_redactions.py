"""Markers and redactions entries name each other (SEC-04, REX-R113)."""

from __future__ import annotations

from typing import Any

from rexport.checks.redactions import unmatched

MARKER = "[REDACTED]"


def where(manifest: Any) -> list[tuple[str, str]]:
    return sorted((f.code, f.pointer) for f in unmatched(manifest))


def entries(*pointers: Any) -> list[dict[str, Any]]:
    return [{"pointer": p, "reason": "user-request"} for p in pointers]


def test_each_marker_listed_and_each_entry_on_a_marker_is_no_finding() -> None:
    manifest = {"config": {"hyperparameters": {"a/b": MARKER, "c~d": MARKER}},
                "narrative": {"limitations": ["fine", MARKER]},
                "redactions": entries("/config/hyperparameters/a~1b",
                                      "/config/hyperparameters/c~0d",
                                      "/narrative/limitations/1",
                                      "/narrative/limitations/1")}  # listed twice: still one
    assert where(manifest) == []


def test_an_entry_that_names_no_marker_is_r113_at_its_pointer() -> None:
    manifest = {"config": {"hyperparameters": {"lr": 0.1, "none": None}},
                "narrative": {"limitations": ["fine"]},
                "redactions": entries("/config/hyperparameters/lr",  # the value is there
                                      "/config/hyperparameters/none",  # null is a value
                                      "/config/hyperparameters/gone",  # nothing is there
                                      "/narrative/limitations/01",  # not an index
                                      "/narrative/limitations/-")}
    assert where(manifest) == [("REX-R113", f"/redactions/{n}/pointer") for n in range(5)]


def test_an_unlisted_marker_is_r113_at_the_marker() -> None:
    manifest = {"x-lab": {"notes": [MARKER, "a [REDACTED] word"]},
                "governance": {"owner": MARKER},
                "redactions": [{"pointer": "/x-lab/notes/0", "reason": MARKER}]}
    # a string that only contains the marker is no marker; a reason that is one is
    assert where(manifest) == [("REX-R113", "/governance/owner"),
                               ("REX-R113", "/redactions/0/reason")]


def test_an_entry_the_schema_refuses_names_nothing() -> None:
    # its REX-S101 is the schema check's; the marker it was meant for is unlisted
    manifest = {"title": MARKER,
                "redactions": [*entries("title", "", "/title~2", 7), "/title", {"reason": "x"}]}
    assert where(manifest) == [("REX-R113", "/title")]


def test_any_json_value_is_accepted() -> None:
    for value in (None, 0, "x", [], [MARKER], {"redactions": "all"}, {"redactions": [MARKER]}):
        assert isinstance(unmatched(value), list)
