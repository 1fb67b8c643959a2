"""Every MUST of spec/v1 is tested: by a conformance case that fails an export breaking it, or,
for a rule that binds producers and replay tools only, by the test that checks them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rexport.conformance.suite import load_cases

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "spec" / "v1"

# Rules that no export can break in a way a validator sees: they bind a producer (the packer)
# or a replay tool, and the test named checks that rexport keeps them.
PRODUCER_RULES = {
    "PKG-01": "tests/pack/test_pack_determinism.py::test_no_local_path_is_recorded",
    "PKG-02": "tests/pack/test_pack_determinism.py::test_same_inputs_give_identical_archives",
    "PKG-03": "tests/pack/test_pack_determinism.py::test_canonical_tar_form",
    "PKG-04": "tests/pack/test_pack_determinism.py::test_canonical_tar_form",
    "PKG-05": "tests/pack/test_pack_determinism.py::test_source_date_epoch_sets_every_time",
    "PKG-06": "tests/pack/test_pack_determinism.py::test_canonical_tar_form",
    "PKG-07": "tests/pack/test_pack_determinism.py::test_directory_exports_are_identical",
    "PKG-08": "tests/pack/test_pack_determinism.py::test_canonical_tar_form",
    "PKG-09": "tests/pack/test_pack_determinism.py::test_canonical_tar_form",
    "PKG-10": "tests/pack/test_pack_determinism.py::test_canonical_zip_form",
    "PKG-11": "tests/pack/test_pack_determinism.py::test_same_inputs_give_identical_archives",
    "RPL-04": "tests/replay/test_replay_units.py::test_metrics_file_forms",
    "RPL-06": "tests/replay/test_replay_lockfile.py::"
              "test_continued_requirement_option_never_reaches_pip",
    # an extension no validator owes (so the suite holds no bag): the reference tool's own test
    "VAL-09": "tests/interop/test_bagit.py::test_the_bag_manifests_are_checked_not_trusted",
    # extensions too: exports behind URLs and executors, referenced objects checked on request
    "VAL-12": "tests/executors/test_executors.py::test_a_lost_pool_leaves_no_file_unchecked",
    "VAL-13": "tests/remote/test_verify_remote.py::"
              "test_metadata_uses_checksums_and_never_reads_bodies",
}

_KEYWORD = re.compile(r"\b(?:MUST(?: NOT)?|SHALL(?: NOT)?|REQUIRED)\b")
_MARKER = re.compile(r"^(?:[-*] |\d+\. )?\*\*\[([A-Z]{3}-[0-9]{2})\]\*\*")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"`[^`]*`")
_SENTENCE_END = re.compile(r"(?<=[.:;])\s+(?=[A-Z*`(\[])")


def _blocks(text: str) -> Iterator[tuple[str | None, str]]:
    """(section, text) of each paragraph, list item or table row outside code; the section is
    the marker that opens or precedes it, up to the next heading."""
    section: str | None = None
    fence: str | None = None
    block: list[str] = []
    for line in [*text.splitlines(), ""]:
        if fence is not None:
            if line.strip().startswith(fence) and not line.strip(fence[0]).strip():
                fence = None
            continue
        opened = _FENCE.match(line)
        marker = _MARKER.match(line)
        if opened or marker or not line.strip() or line.startswith(("#", "|", "- ")):
            if block:
                yield section, " ".join(block)
            block = []
        if opened:
            fence = opened.group(1)
        elif marker:
            section = marker.group(1)
        elif line.startswith("#"):
            section = None  # a heading ends the requirement above it
        if line.strip() and not opened and not line.startswith("#"):
            block.append(line.strip())


def requirement_sentences() -> list[tuple[str, str | None, str]]:
    """(page, section id or None, sentence) for every sentence of spec/v1 with MUST, MUST NOT,
    SHALL or REQUIRED outside code."""
    found: list[tuple[str, str | None, str]] = []
    for page in sorted(SPEC.glob("*.md")):
        if page.name == "CHANGELOG.md":
            continue
        for section, block in _blocks(page.read_text(encoding="utf-8")):
            for sentence in _SENTENCE_END.split(block):
                if _KEYWORD.search(_INLINE_CODE.sub("", sentence)):
                    found.append((page.name, section, sentence.strip()))
    return found


SENTENCES = requirement_sentences()
CASES = load_cases(ROOT / "conformance-tests")
# sections an export can break: those of a case that must fail or warn
CITED = {s for c in CASES if c.outcome in ("invalid", "warning") for s in c.sections}


def test_the_spec_has_requirements_to_check() -> None:
    assert len(SENTENCES) > 120
    assert {page for page, _, _ in SENTENCES} >= {"export.md", "secrets.md", "packaging.md"}


def test_every_requirement_sits_in_a_section() -> None:
    loose = [f"{page}: {sentence}" for page, section, sentence in SENTENCES if section is None]
    assert loose == []


def test_every_requirement_is_tested() -> None:
    untested = sorted({f"{section} ({page}): {sentence[:100]}"
                       for page, section, sentence in SENTENCES
                       if section is not None and section not in CITED
                       and section not in PRODUCER_RULES})
    assert untested == []


@pytest.mark.parametrize("section", sorted(PRODUCER_RULES))
def test_a_producer_rule_names_a_test_that_exists(section: str) -> None:
    where = PRODUCER_RULES[section]
    path, _, name = where.partition("::")
    text = (ROOT / path).read_text(encoding="utf-8")
    assert re.search(rf"^def {re.escape(name)}\(", text, re.MULTILINE), where
    # the table names rules with MUSTs, none that a case already covers
    assert any(s == section for _, s, _ in SENTENCES), f"{section} has no MUST"
    assert section not in CITED, f"{section} is tested by a case: drop it from the table"


def test_the_sentences_are_found_where_they_are() -> None:
    # a few sentences the scan must attribute to their sections, across tables and lists
    where = {(section, sentence) for _, section, sentence in SENTENCES}
    assert any(s == "ENV-03" and "MUST NOT include other files" in t for s, t in where)
    assert any(s == "SEC-05" and "MUST detect at least these" in t for s, t in where)
    assert any(s == "VAL-01" and "MUST NOT use the network" in t for s, t in where)
    assert any(s == "PKG-11" and "MUST depend on its inputs alone" in t for s, t in where)
