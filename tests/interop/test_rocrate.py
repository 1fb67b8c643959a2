"""RO-Crate: crate-bearing exports pass rocrate-validator (Process Run Crate 0.5), offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rexport.pack.rocrate import CRATE, PROCESS_RUN, crate

from interop.runners import EXAMPLES, context_cache, needs, rexport, run_tool, tree_bytes

PROFILE = ["-p", "process-run-crate-0.5", "-l", "required"]


def _convert(tmp_path: Path, name: str, suffix: str = "") -> Path:
    out = tmp_path / f"{name}-crate{suffix}"
    done = rexport("convert", "--to", "ro-crate", EXAMPLES / name, out)
    assert done.exit_code == 0, done.output
    return out


def _roc(crate_dir: Path, tmp_path: Path) -> tuple[int, dict[str, Any]]:
    cache = context_cache(tmp_path / "http-cache")
    report = tmp_path / "roc.json"
    done = run_tool("rocrate-validator", "-y", "validate", "--offline", "--cache-path", cache,
                    *PROFILE, "--no-paging", "-f", "json", "-o", report, crate_dir,
                    home=tmp_path)
    assert report.exists(), done.stdout[-2000:] + done.stderr[-2000:]
    return done.returncode, json.loads(report.read_text(encoding="utf-8"))


@pytest.mark.slow
@needs("rocrate-validator")
@pytest.mark.parametrize("name", ["full", "classifier"])
def test_rocrate_validator_accepts_the_crate_offline(tmp_path: Path, name: str) -> None:
    out = _convert(tmp_path, name)
    code, report = _roc(out, tmp_path)
    assert code == 0 and report["passed"] is True, report.get("issues")
    # a file the crate lists is gone: the validator says so
    (out / "results" / "model.json").unlink()
    code, report = _roc(out, tmp_path)
    assert code != 0 and report["passed"] is False


@pytest.mark.slow
@needs("rocrate-validator")
def test_pack_writes_a_crate_the_validator_accepts(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "code").mkdir(parents=True)
    (project / "code" / "train.py").write_text("print('train')\n")
    (project / "metrics.json").write_text('{"accuracy": 0.9}')
    (project / "iris.csv").write_text("a,b\n1,2\n")
    out = tmp_path / "run"
    done = rexport("pack", "-o", out, "--code", project / "code", "--no-git", "--metrics",
                   project / "metrics.json", "--data", project / "iris.csv", "--seed",
                   "python=0", "--title", "T", "--ro-crate", "-q")
    assert done.exit_code == 0, done.output
    assert rexport("validate", out).exit_code == 0
    code, report = _roc(out, tmp_path)
    assert code == 0, report.get("issues")


def test_rex_json_indexes_the_crate_and_the_crate_lists_every_other_file(
        tmp_path: Path) -> None:
    out = _convert(tmp_path, "full")
    manifest = json.loads((out / "rex.json").read_bytes())
    entry = next(e for e in manifest["files"] if e["path"] == CRATE)
    assert entry["media_type"] == "application/ld+json"
    assert rexport("validate", out).exit_code == 0
    document = json.loads((out / CRATE).read_bytes())
    graph = {item["@id"]: item for item in document["@graph"]}
    root = graph["./"]
    assert root["conformsTo"] == {"@id": PROCESS_RUN}
    for key in ("name", "description", "datePublished", "license", "hasPart"):
        assert root[key], key
    listed = {part["@id"] for part in root["hasPart"]}
    original = json.loads((EXAMPLES / "full" / "rex.json").read_bytes())
    assert listed == {"rex.json"} | {e["path"] for e in original["files"]}
    for e in original["files"]:
        item = graph[e["path"]]
        assert (item["sha256"], item["contentSize"], item["encodingFormat"]) == (
            e["digests"]["sha256"], str(e["size"]), e["media_type"])
    run = graph["#run"]
    assert run["@type"] == "CreateAction" and run["instrument"] == {"@id": "#code"}
    assert run["result"] == {"@id": "results/model.json"}
    assert run["startTime"] <= run["endTime"]
    assert graph[run["containerImage"]["@id"]]["sha256"] == (
        original["environment"]["container"]["digest"].removeprefix("sha256:"))
    parameters = {graph[o["@id"]]["name"]: graph[o["@id"]]["value"] for o in run["object"]
                  if graph[o["@id"]]["@type"] == "PropertyValue"}
    assert parameters == {"distance": "euclidean", "standardize": False, "seed:python": 0}
    assert {"#dataset-iris-raw", "#dataset-iris-field-2025"} <= {o["@id"] for o in
                                                               run["object"]}


def test_converting_twice_and_a_crate_bearing_export_give_identical_bytes(
        tmp_path: Path) -> None:
    first = _convert(tmp_path / "a", "classifier")
    second = _convert(tmp_path / "b", "classifier")
    assert tree_bytes(first) == tree_bytes(second)
    again = tmp_path / "again"
    assert rexport("convert", "--to", "ro-crate", first, again).exit_code == 0
    assert tree_bytes(again) == tree_bytes(first)


def test_the_crate_is_written_into_archives_too(tmp_path: Path) -> None:
    out = tmp_path / "full.zip"
    assert rexport("convert", "--to", "ro-crate", EXAMPLES / "full", out).exit_code == 0
    done = rexport("validate", "-o", "json", out)
    assert done.exit_code == 0
    assert json.loads(done.output)["container"] == "zip"


def test_the_crate_depends_on_the_manifest_alone() -> None:
    manifest = json.loads((EXAMPLES / "classifier" / "rex.json").read_bytes())
    changed = dict(manifest, export_digest="sha256:" + "0" * 64)
    assert crate(manifest) == crate(changed)
    assert crate(manifest) != crate(dict(manifest, title="Another title"))
