"""Every JSON example in spec/ is marked, and validates or fails against the schemas as marked."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import rexport
from jsonschema import Draft202012Validator
from rexport.canonical import canonical_bytes, export_digest, immutable_part
from rexport.findings import CATALOGUE
from rexport.schema import validators

SPEC = Path(__file__).resolve().parents[2] / "spec"

# A fence opens with three or more backticks or tildes (CommonMark) and an optional info string.
_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_MARKER = re.compile(
    r"^json (?P<kind>rex-valid|rex-invalid|rex-fragment|rex-fragment-invalid|rex-schema)"
    r"(?::(?P<target>[A-Za-z0-9._-]+\.schema\.json)#(?P<pointer>\S*))?"
    r"(?: finding=(?P<codes>REX-[A-Z][0-9]{3}(?:,REX-[A-Z][0-9]{3})*))?$"
)
_JSON_LANGUAGES = {"json", "jsonc", "json5", "jsonl", "ndjson"}


@dataclass(frozen=True)
class Block:
    """One fenced code block of a spec page."""

    page: Path
    line: int
    info: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(SPEC).as_posix()}:{self.line}"

    @property
    def language(self) -> str:
        return self.info.split()[0].lower() if self.info.split() else ""


def read_blocks(page: Path) -> list[Block]:
    """Every fenced block of ``page``, with the 1-based line of its opening fence."""
    blocks: list[Block] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence = opening["fence"]
        body: list[str] = []
        end = index + 1
        while end < len(lines):
            closing = lines[end].strip()
            if closing.startswith(fence[0] * len(fence)) and not closing.strip(fence[0]):
                break
            body.append(lines[end])
            end += 1
        blocks.append(Block(page, index + 1, opening["info"].strip(), "\n".join(body)))
        index = end + 1
    return blocks


def all_blocks() -> list[Block]:
    return [b for page in sorted(SPEC.rglob("*.md")) for b in read_blocks(page)]


def json_blocks() -> list[Block]:
    return [b for b in all_blocks() if b.language in _JSON_LANGUAGES]


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def parse(block: Block) -> Any:
    """The block's JSON value, read as strictly as a validator reads rex.json (EXP-03)."""
    return json.loads(block.text, object_pairs_hook=_no_duplicates,
                      parse_constant=_refuse_constant)


@cache
def bundle_validator() -> Draft202012Validator:
    path = validators.schema_dir() / validators.BUNDLE_FILE
    bundle = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(bundle)
    return Draft202012Validator(bundle, format_checker=validators.format_checker())


def subschema_validator(target: str, pointer: str) -> Draft202012Validator:
    """A validator for the subschema at ``pointer`` of the schema file ``target``."""
    uri = validators.uri_for(target) + ("#" + pointer if pointer else "")
    registry = validators.registry()
    registry.resolver().lookup(uri)  # fails loudly when the file or the pointer does not exist
    return Draft202012Validator({"$ref": uri}, registry=registry,
                                format_checker=validators.format_checker())


def errors(validator: Draft202012Validator, instance: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(instance)]


def refs(value: Any) -> list[str]:
    """Every `$ref` string anywhere in a schema."""
    if isinstance(value, dict):
        own = [value["$ref"]] if isinstance(value.get("$ref"), str) else []
        return own + [r for item in value.values() for r in refs(item)]
    if isinstance(value, list):
        return [r for item in value for r in refs(item)]
    return []


def marker(block: Block) -> re.Match[str]:
    found = _MARKER.match(block.info)
    assert found is not None, (
        f"{block.where}: JSON block with info string {block.info!r}; mark it as spec/README.md says"
    )
    return found


BLOCKS = json_blocks()


@pytest.mark.parametrize("block", BLOCKS, ids=[b.where for b in BLOCKS])
def test_json_example_is_as_marked(block: Block) -> None:
    found = marker(block)
    kind, target, codes = found["kind"], found["target"], found["codes"]
    for code in (codes or "").split(",") if codes else []:
        assert code in CATALOGUE, f"{block.where}: finding {code} is not in the catalogue"
    value = parse(block)
    if kind == "rex-schema":
        assert target is None and codes is None, f"{block.where}: a schema example takes no target"
        Draft202012Validator.check_schema(value)
        outside = [ref for ref in refs(value) if not ref.startswith("#")]
        assert not outside, f"{block.where}: a carried schema is self-contained (CFG-05)"
        return
    if kind in ("rex-valid", "rex-invalid"):
        assert target is None, f"{block.where}: a complete manifest names no schema"
        problems = errors(bundle_validator(), value)
        registry_problems = errors(subschema_validator("rex", ""), value)
        assert bool(problems) == bool(registry_problems), (problems, registry_problems)
    else:
        assert target is not None, f"{block.where}: a fragment names its schema and pointer"
        problems = errors(subschema_validator(target, found["pointer"]), value)
    if kind in ("rex-valid", "rex-fragment"):
        assert not problems, f"{block.where}: marked valid but fails: {problems}"
        assert not codes or "REX-S101" not in codes, f"{block.where}: valid yet a schema finding"
    else:
        assert problems, f"{block.where}: marked invalid but the schema accepts it"
    if kind == "rex-valid":
        # every complete valid example carries its true export digest, except those that
        # illustrate a wrong one
        right = value["export_digest"] == export_digest(value)
        wrong_on_purpose = "REX-I104" in (codes or "")
        assert right != wrong_on_purpose, (
            f"{block.where}: export_digest is {export_digest(value)}")


def test_spec_has_examples_of_every_kind() -> None:
    kinds = {marker(b)["kind"] for b in BLOCKS}
    assert kinds == {"rex-valid", "rex-invalid", "rex-fragment", "rex-fragment-invalid",
                     "rex-schema"}


def test_unmarked_json_block_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("text\n\n```json\n{}\n```\n\n````json rex-valid\n{}\n````\n", encoding="utf-8")
    found = read_blocks(page)
    assert [(b.line, b.info) for b in found] == [(3, "json"), (7, "json rex-valid")]
    with pytest.raises(AssertionError):
        marker(Block(SPEC / "x.md", 3, found[0].info, found[0].text))


def jcs_pairs() -> list[tuple[Block, Block]]:
    """Each `text rex-jcs` block with the nearest `json rex-valid` block before it on its page."""
    pairs: list[tuple[Block, Block]] = []
    for page in sorted(SPEC.rglob("*.md")):
        last_valid: Block | None = None
        for block in read_blocks(page):
            if block.info.startswith("json rex-valid"):
                last_valid = block
            elif block.info == "text rex-jcs":
                assert last_valid is not None, f"{block.where}: no rex-valid manifest before it"
                pairs.append((last_valid, block))
    return pairs


def test_worked_example_canonical_form_is_right() -> None:
    pairs = jcs_pairs()
    assert pairs, "spec/v1/digests.md must hold the worked example's canonical form"
    for manifest_block, jcs_block in pairs:
        manifest = parse(manifest_block)
        expected = canonical_bytes(immutable_part(manifest)).decode("utf-8")
        assert jcs_block.text == expected, f"{jcs_block.where}: canonical form should be {expected}"
        digest_in_text = export_digest(manifest)
        page_text = manifest_block.page.read_text(encoding="utf-8")
        # the prose states the digest and the length too; they must be the example's own
        assert page_text.count(digest_in_text) >= 2, f"{jcs_block.where}: state {digest_in_text}"
        assert f"{len(expected.encode('utf-8'))} bytes" in page_text


MANIFESTS = [b for b in BLOCKS if b.info.startswith(("json rex-valid", "json rex-invalid"))]


@pytest.mark.parametrize("block", MANIFESTS, ids=[b.where for b in MANIFESTS])
def test_reference_validator_agrees_with_complete_examples(block: Block, tmp_path: Path) -> None:
    found = marker(block)
    claimed = set(found["codes"].split(",")) if found["codes"] else set()
    (tmp_path / "rex.json").write_text(block.text, encoding="utf-8")
    report = rexport.validate(tmp_path / "rex.json")
    # a bare manifest is always told that its files went unchecked (VAL-03)
    reported = {f.code for f in report.findings} - {"REX-C106"}
    if found["kind"] == "rex-valid":
        assert reported == claimed, f"{block.where}: the validator reports {sorted(reported)}"
    else:
        assert not report.valid and claimed <= reported, (
            f"{block.where}: the validator reports {sorted(reported)}")
