"""`rexport pack` says everything the spec can: a replay recipe, datasets with their licence,
access, identifiers and split files, entry points, a container by digest, governance."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import rexport
from click.testing import CliRunner, Result
from helpers.exports import read_manifest
from helpers.projects import stdlib_project
from rexport.cli import cli
from rexport.pack.specs import DEFAULT_TOLERANCE

DIGEST = "ab" * 32


def pack(*args: str) -> Result:
    return CliRunner().invoke(cli, ["pack", *args])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = stdlib_project(tmp_path / "project")
    (root / "data" / "test.idx").write_text("0\n2\n")
    subprocess.run(["python", "train.py"], cwd=root, check=True)
    return root


def test_pack_with_replay_options_replays(project: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "export"
    result = pack("-o", str(out), "--code", ".", "--config", "config.json",
                  "--metrics", "out/metrics.json", "--artifact", "out/model.txt",
                  "--data", "rows=data/rows.csv", "--replay-command", "python train.py",
                  "--tolerance", "accuracy=abs:0.01")
    assert result.exit_code == 0, result.output
    manifest = read_manifest(out)
    assert manifest["replay"] == {
        "command": ["python", "train.py"], "working_directory": "code",
        "metrics_file": "out/metrics.json",
        "metrics": [{"name": "accuracy", "tolerance": {"absolute": 0.01}},
                    {"name": "loss", "tolerance": DEFAULT_TOLERANCE}]}
    # the untracked input is where the command reads it, in the code snapshot
    assert manifest["data"]["datasets"][0]["embedded"]["paths"] == ["code/data/rows.csv"]
    assert manifest["config"]["seeds"] == {"random_state": 3}
    assert rexport.validate(out, strict=True).valid
    replayed = CliRunner().invoke(cli, ["replay", "--yes", "-o", "json", str(out)])
    report = json.loads(replayed.stdout)
    assert replayed.exit_code == 0 and report["status"] == "reproduced", report


def test_datasets_splits_entry_points_container_governance(project: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    monkeypatch.chdir(project)
    out = tmp_path / "export"
    image = f"docker.io/library/python:3.11-slim@sha256:{DIGEST}"
    result = pack("-o", str(out), "--code", ".", "--metrics", "out/metrics.json",
                  "--data", "rows=data/rows.csv",
                  "--data-ref", f"s3://lab/raw.csv=sha256:{DIGEST},size=9",
                  "--dataset-license", "rows=CC-BY-4.0", "--dataset-access", "rows=public",
                  "--dataset-identifier", "rows=doi:10.24432/C56C76",
                  "--dataset-license", "raw.csv=LicenseRef-Lab-Only",
                  "--split", "test=rows:data/test.idx", "--entry-point", "train=train.py:main",
                  "--container", image, "--license", "Apache-2.0", "--creator", "Ada")
    assert result.exit_code == 0, result.output
    manifest = read_manifest(out)
    rows, raw = manifest["data"]["datasets"]
    assert (rows["id"], rows["license"], rows["access"]) == ("rows", "CC-BY-4.0", "public")
    assert rows["identifiers"] == [{"type": "doi", "value": "10.24432/C56C76"}]
    assert (raw["id"], raw["license"], raw["access"]) == ("raw.csv", "LicenseRef-Lab-Only",
                                                          "internal")
    [split] = manifest["data"]["splits"]
    assert split["name"] == "test" and split["dataset"] == "rows"
    assert split["path"] == "data/test.idx" and "sha256" in split["digests"]
    assert manifest["code"]["entry_points"] == [
        {"name": "train", "path": "code/train.py", "symbol": "main"}]
    assert manifest["environment"]["container"] == {
        "image": "docker.io/library/python:3.11-slim", "digest": f"sha256:{DIGEST}"}
    assert manifest["governance"] == {"license": "Apache-2.0", "creators": [{"name": "Ada"}]}
    assert rexport.validate(out, strict=True).valid


def test_what_a_reviewer_misses_names_the_option(project: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    result = pack("-o", str(tmp_path / "export"), "--code", ".",
                  "--metrics", "out/metrics.json", "--data", "data/rows.csv")
    assert result.exit_code == 0, result.output
    for option in ("--dataset-license rows.csv=SPDX", "--seed NAME=INT", "--replay-command",
                   "--license SPDX", "git remote add"):
        assert option in result.output, option
    quiet = pack("-o", str(tmp_path / "quiet"), "--code", ".", "-q",
                 "--metrics", "out/metrics.json", "--data", "data/rows.csv")
    assert quiet.exit_code == 0 and "--license" not in quiet.output


@pytest.mark.parametrize(("args", "message"), [
    (["--tolerance", "nope=abs:0.1"], "no metric of that name"),
    (["--tolerance", "accuracy=abs:-1"], "must be a number >= 0"),
    (["--tolerance", "accuracy=within:1"], "expected abs:X"),
    (["--replay-metrics-file", "../elsewhere.json"], "not inside the replay's working"),
    (["--container", "python:3.11@sha256:abc"], "expected IMAGE"),
    (["--dataset-access", "rows=open"], "access must be one of"),
    (["--dataset-license", "other=MIT"], "no dataset has the id 'other'"),
    (["--split", "test=rows"], "expected NAME=DATASET:PATH"),
    (["--replay-command", "python 'unclosed"], "No closing quotation"),
])
def test_bad_options_are_refused(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 args: list[str], message: str) -> None:
    monkeypatch.chdir(project)
    base = ["-o", str(tmp_path / "export"), "--code", ".", "--metrics", "out/metrics.json",
            "--data", "rows=data/rows.csv"]
    if "--replay-command" not in args:
        base += ["--replay-command", "python train.py"]
    result = pack(*base, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "export").exists()


def test_pack_with_a_replay_is_byte_identical(project: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    args = ["--code", ".", "--metrics", "out/metrics.json", "--config", "config.json",
            "--data", "rows=data/rows.csv", "--replay-command", "python train.py",
            "--split", "test=rows:data/test.idx", "-q"]
    assert pack("-o", str(tmp_path / "a.tar.gz"), *args).exit_code == 0
    assert pack("-o", str(tmp_path / "b.tar.gz"), *args).exit_code == 0
    assert (tmp_path / "a.tar.gz").read_bytes() == (tmp_path / "b.tar.gz").read_bytes()
