"""examples/classifier: a real experiment's export, valid, and reproduced byte for byte."""

from __future__ import annotations

import copy
import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import rexport


@pytest.fixture(scope="module")
def example(repo_root: Path) -> Path:
    return repo_root / "examples" / "classifier"


@pytest.fixture(scope="module")
def manifest(example: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((example / "rex.json").read_text(encoding="utf-8"))
    return data


def test_the_example_is_valid_and_strict_clean(example: Path) -> None:
    report = rexport.validate(example, strict=True)
    assert report.findings == [], [f.to_json() for f in report.findings]


def test_the_example_records_a_whole_experiment(manifest: dict[str, Any]) -> None:
    steps = manifest["lineage"]["steps"]
    assert [s["id"] for s in steps] == ["clean", "split", "standardize", "train", "evaluate"]
    assert manifest["config"]["seeds"]
    assert {s["name"] for s in manifest["data"]["splits"]} == {
        "train", "validation", "test"}
    assert manifest["environment"]["lockfiles"][0]["path"] == "code/requirements.lock"
    kinds = {a["kind"] for a in manifest["results"]["artifacts"]}
    assert "model" in kinds
    assert manifest["replay"]["metrics"]


# What a rerun changes on another Python, with other numeric libraries or another rexport:
# the recorded versions, the files holding fitted floating-point numbers (reproduce.sh names
# the Python), their index entries, the metric values, and so the export digest. The rest of
# the export comes out the same on any machine.
FITTED = frozenset({"results/metrics.json", "results/model.json", "results/scaler.json",
                    "environment/reproduce.sh"})


def _made_with_these_versions(manifest: dict[str, Any]) -> bool:
    """Whether this Python, the installed packages and rexport are those ``manifest``
    records: then a rerun gives the committed bytes."""
    for package in manifest["environment"]["packages"]:
        try:
            if metadata.version(package["name"]) != package["version"]:
                return False
        except metadata.PackageNotFoundError:
            return False
    return (manifest["environment"]["python"]["version"] == platform.python_version()
            and manifest["producer"]["version"] == rexport.__version__)


def _generate(repo_root: Path, out: Path) -> dict[str, bytes]:
    """Run examples/make_classifier.py into ``out``; return {relative path: bytes}."""
    done = subprocess.run([sys.executable, str(repo_root / "examples/make_classifier.py"),
                           str(out)], capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    return _tree(out)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file()}


def _version_free(manifest: dict[str, Any]) -> dict[str, Any]:
    """``manifest`` without the members that FITTED and the versions make machine-dependent."""
    kept = copy.deepcopy(manifest)
    del kept["export_digest"], kept["producer"]["version"]
    del kept["environment"]["python"]["version"]
    kept["files"] = [{k: v for k, v in entry.items()
                      if entry["path"] not in FITTED or k not in ("size", "digests")}
                     for entry in kept["files"]]
    for metric in kept["results"]["metrics"]:
        del metric["value"]
    return kept


def _same_but_for_versions(rebuilt: dict[str, bytes], committed: dict[str, bytes]) -> None:
    """Assert that ``rebuilt`` is the committed export but for the version-dependent parts,
    its metrics within the tolerances the export declares for a replay."""
    assert {p: b for p, b in rebuilt.items() if p not in FITTED | {"rex.json"}} == {
        p: b for p, b in committed.items() if p not in FITTED | {"rex.json"}}
    ours, theirs = json.loads(rebuilt["rex.json"]), json.loads(committed["rex.json"])
    assert _version_free(ours) == _version_free(theirs)
    assert ours["environment"]["python"]["version"] == platform.python_version()
    tolerance = {m["name"]: m["tolerance"] for m in theirs["replay"]["metrics"]}
    for got, want in zip(ours["results"]["metrics"], theirs["results"]["metrics"], strict=True):
        bounds = tolerance[want["name"]]
        assert got["value"] == pytest.approx(want["value"], abs=bounds.get("absolute"),
                                             rel=bounds.get("relative")), want


@pytest.mark.slow
def test_rerunning_the_generator_gives_the_same_export(repo_root: Path, tmp_path: Path,
                                                      example: Path) -> None:
    first = _generate(repo_root, tmp_path / "first")
    # whatever this machine's Python and packages, two runs give the same bytes
    assert _generate(repo_root, tmp_path / "second") == first
    committed = _tree(example)
    _same_but_for_versions(first, committed)
    if _made_with_these_versions(json.loads(committed["rex.json"])):
        # the Python and the packages the example was made with: its very bytes and digest
        assert first == committed


def test_only_version_dependent_parts_may_differ_elsewhere(example: Path) -> None:
    committed = _tree(example)

    def rerun(shift: float, iris: bytes = b"") -> dict[str, bytes]:
        """The example as another Python with other numeric libraries makes it."""
        model = json.loads(committed["results/model.json"])
        model["intercept"][0] += 1e-15  # other last bits in a fitted number
        manifest = json.loads(committed["rex.json"])
        manifest["environment"]["python"]["version"] = platform.python_version()
        manifest["results"]["metrics"][0]["value"] += shift
        manifest["export_digest"] = "sha256:" + "0" * 64
        return {**committed, "results/model.json": json.dumps(model).encode(),
                "rex.json": json.dumps(manifest).encode(),
                "data/iris.csv": committed["data/iris.csv"] + iris}

    _same_but_for_versions(rerun(1e-12), committed)
    with pytest.raises(AssertionError):
        _same_but_for_versions(rerun(0.5), committed)  # beyond the replay tolerance
    with pytest.raises(AssertionError):
        _same_but_for_versions(rerun(1e-12, iris=b"\n"), committed)  # the data never differs
