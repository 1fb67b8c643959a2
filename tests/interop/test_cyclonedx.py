"""CycloneDX: the ML-BOM validates with cyclonedx-python-lib (1.6) and holds what the export
records: every artifact's sha256, each dataset, each metric, the packages and the commit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from interop.runners import EXAMPLES, rexport, tree_bytes

EXPORTS = ["full", "classifier"]


def _bom(tmp_path: Path, name: str) -> dict[str, Any]:
    out = tmp_path / f"{name}.bom.json"
    done = rexport("convert", "--to", "cyclonedx", EXAMPLES / name, "-o", out)
    assert done.exit_code == 0, done.output
    document: dict[str, Any] = json.loads(out.read_bytes())
    return document


def _all(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for component in components:
        out.append(component)
        out += _all(component.get("components", []))
    return out


@pytest.mark.parametrize("name", EXPORTS)
def test_the_bom_validates_against_cyclonedx_1_6(tmp_path: Path, name: str) -> None:
    validation = pytest.importorskip("cyclonedx.validation.json")
    from cyclonedx.schema import SchemaVersion

    document = _bom(tmp_path, name)
    validator = validation.JsonStrictValidator(SchemaVersion.V1_6)
    assert validator.validate_str(json.dumps(document)) is None
    broken = dict(document, components=[{"type": "machine-learning-model"}])
    assert validator.validate_str(json.dumps(broken)) is not None


@pytest.mark.parametrize("name", EXPORTS)
def test_the_bom_holds_every_artifact_dataset_and_metric(tmp_path: Path, name: str) -> None:
    document = _bom(tmp_path, name)
    manifest = json.loads((EXAMPLES / name / "rex.json").read_bytes())
    components = _all(document["components"])
    shas = {h["content"] for c in components for h in c.get("hashes", [])
            if h["alg"] == "SHA-256"}
    files = {e["path"]: e for e in manifest["files"]}
    for artifact in manifest["results"]["artifacts"]:
        digests = files[artifact["path"]]["digests"] if "path" in artifact \
            else artifact["digests"]
        assert digests["sha256"] in shas, artifact["name"]
    data = {c["bom-ref"]: c for c in components if c["type"] == "data"}
    assert set(data) == {f"dataset:{d['id']}" for d in manifest["data"]["datasets"]}
    models = [c for c in components if c["type"] == "machine-learning-model"]
    assert [m["name"] for m in models] == [a["name"] for a in manifest["results"]["artifacts"]
                                           if a.get("kind") == "model"]
    for model in models:
        metrics = model["modelCard"]["quantitativeAnalysis"]["performanceMetrics"]
        assert [(m["type"], float(m["value"]), m["slice"]) for m in metrics] == [
            (m["name"], m["value"], m["split"]) for m in manifest["results"]["metrics"]]
        assert {d["ref"] for d in model["modelCard"]["modelParameters"]["datasets"]} == set(data)
    packages = [c for c in components if c["type"] == "library"]
    assert [p["purl"] for p in packages] == [
        f"pkg:pypi/{p['name'].lower()}@{p['version']}"
        for p in manifest["environment"]["packages"]]
    assert document["metadata"]["component"]["hashes"] == [
        {"alg": "SHA-256", "content": manifest["export_digest"][7:]}]


def test_packages_carry_hashes_and_code_its_commit(tmp_path: Path) -> None:
    document = _bom(tmp_path, "full")
    manifest = json.loads((EXAMPLES / "full" / "rex.json").read_bytes())
    by_ref = {c["bom-ref"]: c for c in document["components"]}
    assert by_ref["pkg:pypi/pyyaml@6.0.2"]["hashes"] == [
        {"alg": "SHA-256", "content": manifest["environment"]["packages"][0]["hashes"][0][7:]}]
    commits = by_ref["code"]["pedigree"]["commits"]
    assert commits == [{"uid": manifest["code"]["vcs"]["commit"],
                        "url": manifest["code"]["vcs"]["repository"]}]


def test_the_bom_is_deterministic_and_never_made_of_an_invalid_export(tmp_path: Path) -> None:
    _bom(tmp_path / "a", "classifier")
    _bom(tmp_path / "b", "classifier")
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")
    out = tmp_path / "bad.json"
    done = rexport("convert", "--to", "cyclonedx", EXAMPLES / "invalid" / "lineage-cycle",
                   "-o", out)
    assert done.exit_code == 1 and not out.exists()
