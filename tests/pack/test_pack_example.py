"""examples/classifier: a real experiment's export, valid, and reproduced byte for byte."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import rexport


@pytest.fixture(scope="module")
def example(repo_root: Path) -> Path:
    return repo_root / "examples" / "classifier"


@pytest.fixture(scope="module")
def manifest(example: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((example / "rex.json").read_text(encoding="utf-8"))
    return data


def test_the_example_is_valid_and_strict_clean(example: Path) -> None:
    report = rexport.validate(example, strict=True)
    assert report.findings == [], [f.to_json() for f in report.findings]


def test_the_example_records_a_whole_experiment(manifest: dict[str, object]) -> None:
    steps = manifest["lineage"]["steps"]  # type: ignore[index]
    assert [s["id"] for s in steps] == ["clean", "split", "standardize", "train", "evaluate"]
    assert manifest["config"]["seeds"]  # type: ignore[index]
    assert {s["name"] for s in manifest["data"]["splits"]} == {  # type: ignore[index]
        "train", "validation", "test"}
    assert manifest["environment"]["lockfiles"][0]["path"] == "code/requirements.lock"  # type: ignore[index]
    kinds = {a["kind"] for a in manifest["results"]["artifacts"]}  # type: ignore[index]
    assert "model" in kinds
    assert manifest["replay"]["metrics"]  # type: ignore[index]


def _same_machine_kind(manifest: dict[str, object]) -> str | None:
    """Why a rerun cannot give the committed bytes here, or None when it should."""
    env = manifest["environment"]
    if env["python"]["version"] != platform.python_version():  # type: ignore[index]
        return f"Python {platform.python_version()}, example made with {env['python']['version']}"  # type: ignore[index]
    for package in env["packages"]:  # type: ignore[index]
        try:
            installed = metadata.version(package["name"])
        except metadata.PackageNotFoundError:
            return f"{package['name']} is not installed"
        if installed != package["version"]:
            return f"{package['name']} {installed} installed, example pins {package['version']}"
    if manifest["producer"]["version"] != rexport.__version__:  # type: ignore[index]
        return "rexport's version changed: rerun examples/make_classifier.py"
    return None


@pytest.mark.slow
def test_rerunning_the_generator_gives_the_same_export(repo_root: Path, tmp_path: Path,
                                                      example: Path,
                                                      manifest: dict[str, object]) -> None:
    reason = _same_machine_kind(manifest)
    if reason is not None:
        pytest.skip(reason)
    out = tmp_path / "classifier"
    done = subprocess.run([sys.executable, str(repo_root / "examples/make_classifier.py"),
                           str(out)], capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    rebuilt = json.loads((out / "rex.json").read_text(encoding="utf-8"))
    assert rebuilt["export_digest"] == manifest["export_digest"]
    committed = {p.relative_to(example): p.read_bytes() for p in example.rglob("*")
                 if p.is_file()}
    again = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert again == committed
