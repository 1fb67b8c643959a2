"""Each case's `schema_valid` is what plain JSON Schema validators say (jsonschema-rs, ajv), and
what such a validator lacks is what docs/implementers.md says it lacks."""

from __future__ import annotations

import copy
import itertools
import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from helpers.cases import case_manifest
from helpers.exports import read_manifest, seal, write_export, write_manifest
from helpers.npm import npm_install
from rexport.conformance.suite import load_cases
from rexport.validation import validate

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = json.loads((ROOT / "schemas/v1/rex.bundle.schema.json").read_text(encoding="utf-8"))


def marked_manifests() -> dict[str, tuple[bytes, bool]]:
    return {c.id: (case_manifest(c), c.schema_valid)
            for c in load_cases(ROOT / "conformance-tests") if c.schema_valid is not None}


def test_schema_valid_is_what_jsonschema_rs_says() -> None:
    checker = jsonschema_rs.validator_for(BUNDLE, validate_formats=True)
    cases = marked_manifests()
    assert len(cases) > 250
    wrong = {case: expected for case, (data, expected) in cases.items()
             if checker.is_valid(json.loads(data)) is not expected}
    assert wrong == {}


AJV = """
const [modules, schemaFile, listFile] = process.argv.slice(2);
const Ajv2020 = require(modules + "/ajv/dist/2020").default;
const addFormats = require(modules + "/ajv-formats").default;
const fs = require("fs");
const ajv = new Ajv2020({ strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaFile, "utf8")));
const out = {};
for (const f of JSON.parse(fs.readFileSync(listFile, "utf8"))) {
  out[f] = validate(JSON.parse(fs.readFileSync(f, "utf8")));
}
process.stdout.write(JSON.stringify(out));
"""


@pytest.mark.slow
def test_schema_valid_is_what_ajv_with_formats_says(tmp_path_factory: pytest.TempPathFactory
                                                    ) -> None:
    modules = npm_install(tmp_path_factory.mktemp("npm") / "ajv", "ajv@8", "ajv-formats@3")
    work = tmp_path_factory.mktemp("ajv")
    expected: dict[str, bool] = {}
    for case, (data, valid) in marked_manifests().items():
        (work / f"{case}.json").write_bytes(data)
        expected[str(work / f"{case}.json")] = valid
    (work / "list.json").write_text(json.dumps(sorted(expected)))
    (work / "ajv.cjs").write_text(AJV)
    done = subprocess.run(["node", str(work / "ajv.cjs"), str(modules),
                           str(ROOT / "schemas/v1/rex.bundle.schema.json"),
                           str(work / "list.json")],
                          capture_output=True, text=True, timeout=600, check=True)
    said = json.loads(done.stdout)
    assert {Path(f).stem: v for f, v in said.items() if v is not expected[f]} == {}


# --- what docs/implementers.md says a plain validator lacks ------------------------------------

BAD_FORMATS = {
    ("created",): "2026-01-15 10:00:00",  # date-time: a space, no offset
    ("governance", "retention", "until"): "2026-02-30",  # date: no such day
    ("governance", "creators", 0, "email"): "ada at example.org",  # email
    ("code", "vcs", "repository"): "iris.git",  # uri: relative
}


def put(manifest: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    """Set ``value`` at ``path``, making the objects (or a list of one creator) on the way."""
    node: Any = manifest
    for token, following in itertools.pairwise(path):
        if isinstance(node, dict) and token not in node:
            node[token] = [{"name": "Ada"}] if isinstance(following, int) else {}
        node = node[token]
    node[path[-1]] = value


@pytest.mark.parametrize("path", BAD_FORMATS, ids=lambda p: "/".join(map(str, p)))
def test_format_assertion_is_needed_for_each_format(tmp_path: Path, path: tuple[Any, ...]
                                                    ) -> None:
    root = write_export(tmp_path / "e")
    manifest = read_manifest(root)
    manifest.setdefault("code", {}).setdefault("vcs", {"type": "git", "commit": "a" * 40})
    put(manifest, path, BAD_FORMATS[path])
    write_manifest(root, seal(manifest))
    pointer = "/" + "/".join(map(str, path))
    # rexport and a validator asserting formats reject it; one that only annotates accepts it
    assert ("REX-S101", pointer) in {(f.code, f.pointer) for f in validate(root).findings}
    asserting = jsonschema_rs.validator_for(BUNDLE, validate_formats=True)
    assert [list(e.instance_path) for e in asserting.iter_errors(manifest)] == [list(path)]
    assert jsonschema_rs.validator_for(BUNDLE, validate_formats=False).is_valid(manifest)


def test_a_plain_validator_lacks_the_redaction_exemption(tmp_path: Path) -> None:
    root = write_export(tmp_path / "e")
    manifest = read_manifest(root)
    manifest["code"]["vcs"] = {"type": "git", "repository": "[REDACTED]", "commit": "a" * 40}
    manifest["redactions"] = [{"pointer": "/code/vcs/repository", "reason": "url-credentials"}]
    write_manifest(root, seal(manifest))
    assert validate(root, strict=True).valid
    asserting = jsonschema_rs.validator_for(BUNDLE, validate_formats=True)
    assert [list(e.instance_path) for e in asserting.iter_errors(manifest)] == [
        ["code", "vcs", "repository"]]
    # without its redactions entry the marker is no exemption, for rexport either
    bare = copy.deepcopy(manifest)
    del bare["redactions"]
    write_manifest(root, seal(bare))
    assert "REX-S101" in {f.code for f in validate(root).findings}
