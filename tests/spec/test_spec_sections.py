"""The spec's section ids are well-formed and unique, and agree with the finding catalogue."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from rexport.findings import CATALOGUE

SPEC = Path(__file__).resolve().parents[2] / "spec"

# Which page defines which family of section ids; every other page defines none.
FAMILIES = {
    "v1/export.md": "EXP", "v1/file-index.md": "IDX", "v1/digests.md": "DIG", "v1/code.md": "COD",
    "v1/data.md": "DAT", "v1/lineage.md": "LIN", "v1/environment.md": "ENV",
    "v1/config.md": "CFG", "v1/results.md": "RES", "v1/replay.md": "RPL",
    "v1/narrative.md": "NAR", "v1/versioning.md": "VER", "v1/packaging.md": "PKG",
    "v1/secrets.md": "SEC", "v1/validator.md": "VAL",
}
_FAMILY = "|".join(sorted(set(FAMILIES.values())))
_MARKER = re.compile(r"\*\*\[([^\]]*)\]\*\*")
# a requirement marker opens a paragraph or a list item, and carries its HTML anchor
_OPENING = re.compile(r"^(?:[-*] |\d+\. )?\*\*\[(?P<id>[A-Z]{3}-[0-9]{2})\]\*\*"
                      r"<a id=\"(?P<anchor>[a-z]{3}-[0-9]{2})\"></a> \S")
_MENTION = re.compile(rf"\b(?:{_FAMILY})-[0-9]{{2}}\b")
_CODE = re.compile(r"\bREX-[A-Z][0-9]{3}\b")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_INLINE_CODE = re.compile(r"`[^`]*`")


@dataclass(frozen=True)
class Line:
    page: str
    number: int
    text: str
    in_code: bool


def pages() -> dict[str, list[Line]]:
    """Every page of spec/, by path relative to spec/, as lines marked inside or outside code."""
    out: dict[str, list[Line]] = {}
    for path in sorted(SPEC.rglob("*.md")):
        name = path.relative_to(SPEC).as_posix()
        fence: str | None = None
        lines: list[Line] = []
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            opened = _FENCE.match(text)
            if fence is None and opened:
                fence = opened.group(1)
                lines.append(Line(name, number, text, True))
                continue
            if fence is not None and text.strip().startswith(fence) and not text.strip(fence[0]):
                fence = None
                lines.append(Line(name, number, text, True))
                continue
            lines.append(Line(name, number, text, fence is not None))
        out[name] = lines
    return out


PAGES = pages()


def definitions() -> list[tuple[str, Line]]:
    """(section id, line) for every requirement marker, in page order."""
    found = []
    for lines in PAGES.values():
        for line in lines:
            if line.in_code:
                continue
            for marker in _MARKER.finditer(_INLINE_CODE.sub("", line.text)):
                found.append((marker.group(1), line))
    return found


DEFINED = definitions()
IDS = {section for section, _ in DEFINED}


def spans() -> dict[str, str]:
    """Each section id's text: from its marker up to the next marker or the end of the page."""
    out: dict[str, str] = {}
    for lines in PAGES.values():
        current: str | None = None
        for line in lines:
            marker = None if line.in_code else _MARKER.search(_INLINE_CODE.sub("", line.text))
            if marker is not None:
                current = marker.group(1)
                out[current] = ""
            if current is not None:
                out[current] += line.text + "\n"
    return out


def test_every_marker_is_well_formed_and_opens_its_paragraph() -> None:
    assert DEFINED, "the spec defines no section id"
    for section, line in DEFINED:
        where = f"{line.page}:{line.number}"
        opening = _OPENING.match(line.text)
        assert opening is not None, f"{where}: {section!r} must open a paragraph, with its anchor"
        assert opening["id"] == section and opening["anchor"] == section.lower(), where
        assert FAMILIES.get(line.page) == section[:3], f"{where}: {section} is not this page's"


def test_ids_are_unique_and_numbered_without_gaps() -> None:
    # ids are never renumbered, so one added later may stand before older ones on its page
    # (SEC-05, the definition of a credential, opens secrets.md)
    by_page: dict[str, list[str]] = {}
    for section, line in DEFINED:
        by_page.setdefault(line.page, []).append(section)
    seen = [section for section, _ in DEFINED]
    assert len(seen) == len(set(seen)), sorted({s for s in seen if seen.count(s) > 1})
    for page, sections in by_page.items():
        expected = [f"{FAMILIES[page]}-{n:02d}" for n in range(1, len(sections) + 1)]
        assert sorted(sections) == expected, f"{page}: ids with gaps"
    assert set(by_page) == set(FAMILIES), "every family has its page, with requirements"


def test_every_catalogue_section_exists_and_explains_its_codes() -> None:
    text = spans()
    for rule in CATALOGUE.values():
        assert rule.section in IDS, f"{rule.code} cites {rule.section}, which the spec lacks"
        # the requirement a code enforces says, in its own text, which code it is reported with
        assert f"`{rule.code}`" in text[rule.section], f"{rule.section} never names {rule.code}"


def test_every_requirement_has_an_example() -> None:
    for section, body in spans().items():
        assert any(_FENCE.match(line) for line in body.splitlines()), f"{section} has no example"


def test_every_mentioned_id_and_code_exists() -> None:
    for lines in PAGES.values():
        for line in lines:
            for mention in _MENTION.findall(line.text):
                assert mention in IDS, f"{line.page}:{line.number}: {mention} is not defined"
            for code in _CODE.findall(line.text):
                assert code in CATALOGUE, f"{line.page}:{line.number}: {code} is no code"


def catalogue_table() -> list[tuple[str, str, str, str, str]]:
    rows = []
    for line in PAGES["v1/validator.md"]:
        cells = [c.strip() for c in line.text.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"`REX-[A-Z][0-9]{3}`", cells[0]):
            code, severity, family, section, title = cells
            rows.append((code.strip("`"), severity, family, section, title))
    return rows


def test_catalogue_table_equals_findings_catalogue() -> None:
    expected = [(r.code, r.severity.value, r.family, r.section, r.title)
                for r in CATALOGUE.values()]
    table = catalogue_table()
    assert [row[0] for row in table] == [row[0] for row in expected], "codes or their order"
    for row, rule in zip(table, expected, strict=True):
        assert row == rule, f"validator.md says {row}, findings.py says {rule}"


def test_every_page_is_linked_from_the_index_and_every_link_resolves() -> None:
    index = "\n".join(line.text for line in PAGES["README.md"])
    linked = {target.split("#")[0] for target in _LINK.findall(index)}
    for page in PAGES:
        if page != "README.md":
            assert page in linked, f"spec/README.md does not link {page}"
    for page, lines in PAGES.items():
        for line in lines:
            if line.in_code:
                continue
            for target in _LINK.findall(line.text):
                if "://" in target or target.startswith("#"):
                    continue
                resolved = (SPEC / page).parent / target.split("#")[0]
                assert resolved.resolve().is_file(), f"{page}:{line.number}: broken link {target}"


def test_index_names_the_latest_version() -> None:
    from rexport import SPEC_VERSION

    index = "\n".join(line.text for line in PAGES["README.md"])
    assert f"**Latest: v{SPEC_VERSION}**" in index
    changelog = "\n".join(line.text for line in PAGES["v1/CHANGELOG.md"])
    assert f"## {SPEC_VERSION}" in changelog


@pytest.mark.parametrize("text", [
    "**[EXP-1]**<a id=\"exp-1\"></a> Too short.",
    "Some words **[EXP-01]**<a id=\"exp-01\"></a> late.",
    "**[EXP-01]** Without its anchor.",
])
def test_malformed_markers_are_refused(text: str) -> None:
    assert _OPENING.match(text) is None
