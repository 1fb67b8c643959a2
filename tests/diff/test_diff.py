"""`rexport diff`: only what differs in code, data, environment, config and results is reported."""

from __future__ import annotations

import json
import platform
import shutil
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers.archives import pack
from helpers.exports import edit_manifest, file_entry
from helpers.replay_export import build_export
from rexport.cli import cli
from rexport.diff.compare import diff_manifests

CLASSIFIER = Path(__file__).resolve().parents[2] / "examples" / "classifier"


def run_diff(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["diff", *args, "-o", "json"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def whats(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(d["section"], d["what"], d["change"]) for d in report["differences"]}


def bump_seed_and_package(manifest: dict[str, Any]) -> None:
    """Change one seed and one package's version (the first of each recorded)."""
    seeds = manifest["config"]["seeds"]
    first = sorted(seeds)[0]
    seeds[first] += 1
    manifest["environment"]["packages"][0]["version"] += ".post1"


def manifest_only_copy(src: Path, dest: Path) -> Path:
    """An export folder holding just src's rex.json: diff reads nothing else."""
    dest.mkdir(parents=True)
    shutil.copyfile(src / "rex.json", dest / "rex.json")
    return dest


def exports_differing_in_seed_and_package(tmp_path: Path, source: str) -> tuple[Path, Path]:
    if source == "classifier":
        a = manifest_only_copy(CLASSIFIER, tmp_path / "a")
        b = manifest_only_copy(CLASSIFIER, tmp_path / "b")
    else:
        a, b = build_export(tmp_path / "a"), build_export(tmp_path / "b")
    edit_manifest(b, bump_seed_and_package)
    return a, b


@pytest.mark.parametrize("source", ["fixture", "classifier"])
def test_one_seed_and_one_package_version_are_exactly_the_differences(
        tmp_path: Path, source: str) -> None:
    a, b = exports_differing_in_seed_and_package(tmp_path, source)
    manifest = json.loads((a / "rex.json").read_text())
    seed = sorted(manifest["config"]["seeds"])[0]
    package = manifest["environment"]["packages"][0]
    code, report = run_diff(str(a), str(b))
    assert code == 1
    assert len(report["differences"]) == 2
    by_section = {d["section"]: d for d in report["differences"]}
    config, env = by_section["config"], by_section["environment"]
    assert config["pointer_a"] == f"/config/seeds/{seed}"
    assert config["b"] - config["a"] == 1
    assert env["what"].startswith("package ")
    assert (env["a"], env["b"]) == (package["version"], package["version"] + ".post1")
    assert report["sections"] == {"code": 0, "data": 0, "environment": 1, "config": 1,
                                  "results": 0}


def test_identical_exports_and_unreported_fields_give_exit_0(tmp_path: Path) -> None:
    a = build_export(tmp_path / "a")
    b = build_export(tmp_path / "b")

    def cosmetic(m: dict[str, Any]) -> None:
        m["created"] = "2030-01-01T00:00:00Z"
        m["producer"] = {"name": "other", "version": "9"}
        m["title"] = "renamed"
        m["annotations"] = {"tags": ["x"]}

    edit_manifest(b, cosmetic)
    result = CliRunner().invoke(cli, ["diff", str(a), str(b)])
    assert result.exit_code == 0
    assert result.stdout.strip() == "no differences"


def test_archives_give_the_same_differences_as_folders(tmp_path: Path) -> None:
    a, b = exports_differing_in_seed_and_package(tmp_path, "fixture")
    tar_a = pack(a, tmp_path / "a.tar")
    zip_b = pack(b, tmp_path / "b.zip")
    assert whats(run_diff(str(tar_a), str(zip_b))[1]) == whats(run_diff(str(a), str(b))[1])


def test_bare_manifests_can_be_compared(tmp_path: Path) -> None:
    a, b = exports_differing_in_seed_and_package(tmp_path, "fixture")
    code, report = run_diff(str(a / "rex.json"), str(b / "rex.json"))
    assert code == 1 and len(report["differences"]) == 2


def test_each_section_reports_its_own_changes(tmp_path: Path) -> None:
    a = build_export(tmp_path / "a")
    b = build_export(tmp_path / "b", script="print('changed')\n")

    def change(m: dict[str, Any]) -> None:
        m["code"]["vcs"]["commit"] = "b" * 40
        m["code"]["vcs"]["dirty"] = True
        m["environment"]["python"]["version"] = "3.12.1"
        m["environment"]["packages"].append({"name": "Torch", "version": "2.3.0"})
        m["environment"]["packages"] = [p for p in m["environment"]["packages"]
                                        if p["name"] != "numpy"]
        m["config"]["hyperparameters"]["C"] = 0.5
        m["results"]["metrics"][0]["value"] = 0.95
        m["data"] = {"datasets": [{"id": "iris", "name": "Iris", "license": "CC-BY-4.0",
                                   "access": "public",
                                   "reference": {"uri": "https://example.org/iris.csv",
                                                 "size": 10, "digests": {"sha256": "0" * 64}}}]}

    edit_manifest(b, change)
    code, report = run_diff(str(a), str(b))
    assert code == 1
    assert whats(report) == {
        ("code", "vcs.commit", "changed"), ("code", "vcs.dirty", "changed"),
        ("code", "file code/train.py", "changed"),
        ("data", "dataset iris", "added"),
        ("environment", "python.version", "changed"),
        ("environment", "package numpy", "removed"), ("environment", "package torch", "added"),
        ("config", "/config/hyperparameters/C", "changed"),
        ("results", "metric accuracy (test)", "changed"),
    }
    metric = next(d for d in report["differences"] if d["section"] == "results")
    assert metric["delta"] == pytest.approx(0.95 - 0.907)
    assert metric["pointer_a"] == "/results/metrics/0"


def test_dataset_digest_change_is_reported() -> None:
    dataset = {"id": "iris", "name": "Iris", "license": "CC-BY-4.0", "access": "public",
               "embedded": {"paths": ["data/iris.csv"]}}
    old, new = file_entry("data/iris.csv", b"1"), file_entry("data/iris.csv", b"2")
    a = {"data": {"datasets": [dataset]}, "files": [old]}
    b = {"data": {"datasets": [dataset]}, "files": [new]}
    found = diff_manifests(a, b)
    assert [(d.section, d.what, d.a, d.b) for d in found] == [
        ("data", "dataset iris file data/iris.csv", old["digests"]["sha256"],
         new["digests"]["sha256"])]


def test_lockfile_digest_only_when_packages_agree(tmp_path: Path) -> None:
    a = build_export(tmp_path / "a")
    b = build_export(tmp_path / "b", lockfile="numpy==1.26.4\n")
    _, report = run_diff(str(a), str(b))
    assert whats(report) == {("environment", "lockfile environment/requirements.lock",
                              "changed")}
    edit_manifest(b, bump_seed_and_package)
    _, report = run_diff(str(a), str(b))
    assert ("environment", "lockfile environment/requirements.lock", "changed") not in whats(
        report)


def test_files_under_the_snapshot_are_reported_once(tmp_path: Path) -> None:
    # the lockfile and config file sit under the code snapshot, as a packer may put them
    def move(m: dict[str, Any]) -> None:
        m["code"]["snapshot"]["root"] = "environment/"
        m["config"]["path"] = "environment/requirements.lock"

    a = build_export(tmp_path / "a", edit=move)
    b = build_export(tmp_path / "b", lockfile="numpy==1.26.4\n", edit=move)
    _, report = run_diff(str(a), str(b))
    assert whats(report) == {("environment", "lockfile environment/requirements.lock",
                              "changed"),
                             ("config", "path file", "changed")}


def test_env_compares_with_this_machine(tmp_path: Path) -> None:
    def record(m: dict[str, Any]) -> None:
        env = m["environment"]
        env["os"] = {"name": platform.system()}
        env["architecture"] = platform.machine()
        env["python"]["version"] = "2.7.18"
        env["packages"] = [{"name": "Click", "version": version("click")},
                           {"name": "rexport-absent-here", "version": "1.0"}]

    a = build_export(tmp_path / "a", edit=record)
    code, report = run_diff(str(a), "--env")
    assert code == 1
    # only what the export records is compared: the same OS, Python and click are not listed
    assert whats(report) == {("environment", "python.version", "changed"),
                             ("environment", "package rexport-absent-here", "removed")}
    python = next(d for d in report["differences"] if d["what"] == "python.version")
    assert (python["a"], python["b"]) == ("2.7.18", platform.python_version())


@pytest.mark.parametrize("args", [["missing-export"], ["not-json"], ["no-manifest"]])
def test_unreadable_input_gives_exit_2(tmp_path: Path, args: list[str]) -> None:
    good = build_export(tmp_path / "good")
    (tmp_path / "not-json").mkdir()
    (tmp_path / "not-json" / "rex.json").write_text("{not json")
    (tmp_path / "no-manifest").mkdir()
    result = CliRunner().invoke(cli, ["diff", str(good), str(tmp_path / args[0])])
    assert result.exit_code == 2


@pytest.mark.parametrize("args", [[], ["--env", "B"]])
def test_b_or_env_is_required(tmp_path: Path, args: list[str]) -> None:
    good = build_export(tmp_path / "good")
    argv = [str(good), *[str(good) if a == "B" else a for a in args]]
    assert CliRunner().invoke(cli, ["diff", *argv]).exit_code == 2
