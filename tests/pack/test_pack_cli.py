"""`rexport pack` on the command line: options, exit codes, and what it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rexport
from click.testing import CliRunner, Result
from rexport.cli import cli
from rexport.pack.errors import PackError
from rexport.pack.files import dataset_id
from rexport.pack.specs import data_ref as parse_data_ref

DIGEST = "0123456789abcdef" * 4


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    (root / "code").mkdir(parents=True)
    (root / "code/train.py").write_text("print('hi')\n")
    (root / "data/images").mkdir(parents=True)
    (root / "data/images/a.png").write_bytes(b"\x89PNG a")
    (root / "data/images/b.png").write_bytes(b"\x89PNG b")
    (root / "data/table.csv").write_text("x,y\n1,2\n")
    (root / "config.yaml").write_text("random_state: 11\nlr: 0.3\n")
    (root / "metrics.json").write_text(json.dumps({"metrics": [
        {"name": "accuracy", "value": 0.8, "split": "test", "step": 3}]}))
    (root / "model.pt").write_bytes(b"weights")
    (root / "NOTES.md").write_text("# Notes\nIt worked.\n")
    return root


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["pack", *args])


def test_a_full_pack(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "run.zip"
    result = run("-o", str(out), "--code", str(inputs / "code"),
                 "--data", str(inputs / "data/images"), "--data", str(inputs / "data/table.csv"),
                 "--data-ref", f"s3://bucket/raw/imagenet.tar=sha256:{DIGEST},size=42",
                 "--config", str(inputs / "config.yaml"), "--metrics", str(inputs / "metrics.json"),
                 "--artifact", str(inputs / "model.pt"), "--notes", str(inputs / "NOTES.md"),
                 "--title", "A run", "--digest", "sha512", "--jobs", "2", "--no-git")
    assert result.exit_code == 0, result.output
    assert "sha256:" in result.output
    report = rexport.validate(out)
    assert report.errors == [], [f.to_json() for f in report.errors]
    import zipfile

    manifest = json.loads(zipfile.ZipFile(out).read("rex.json"))
    assert manifest["title"] == "A run"
    datasets = {d["id"]: d for d in manifest["data"]["datasets"]}
    assert datasets["images"]["embedded"]["paths"] == ["data/images/a.png", "data/images/b.png"]
    assert datasets["table.csv"]["embedded"]["paths"] == ["data/table.csv"]
    assert datasets["imagenet.tar"]["reference"] == {
        "uri": "s3://bucket/raw/imagenet.tar", "size": 42, "digests": {"sha256": DIGEST}}
    assert manifest["config"]["seeds"] == {"random_state": 11}
    assert manifest["results"]["metrics"] == [
        {"name": "accuracy", "value": 0.8, "split": "test", "step": 3}]
    artifacts = {a["name"]: a["path"] for a in manifest["results"]["artifacts"]}
    assert artifacts == {"metrics": "results/metrics.json", "model.pt": "results/model.pt"}
    assert manifest["narrative"]["notes"].startswith("# Notes")
    assert all("sha512" in f["digests"] for f in manifest["files"])


def test_seed_option_wins_over_the_config(inputs: Path, tmp_path: Path) -> None:
    result = run("-o", str(tmp_path / "o"), "--code", str(inputs / "code"), "--config",
                 str(inputs / "config.yaml"), "--metrics", str(inputs / "metrics.json"),
                 "--seed", "numpy=1", "--seed", "torch=2", "--no-git", "-q")
    assert result.exit_code == 0, result.output
    assert result.output == ""
    manifest = json.loads((tmp_path / "o/rex.json").read_text())
    assert manifest["config"]["seeds"] == {"numpy": 1, "torch": 2}


@pytest.mark.parametrize("bad", [["--seed", "numpy"], ["--seed", "=3"], ["--jobs", "0"],
                                 ["--format", "rar"]])
def test_usage_errors_exit_2(inputs: Path, tmp_path: Path, bad: list[str]) -> None:
    result = run("-o", str(tmp_path / "o"), "--code", str(inputs / "code"), "--metrics",
                 str(inputs / "metrics.json"), *bad)
    assert result.exit_code == 2
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("extra", [
    ["--data-ref", "s3://b/x=sha256:abc"],
    ["--data-ref", f"s3://b/x=sha256:{DIGEST}"],
    [],  # no metrics and no artifact: no results
])
def test_unusable_inputs_exit_2_with_a_message(inputs: Path, tmp_path: Path,
                                               extra: list[str]) -> None:
    result = run("-o", str(tmp_path / "o"), "--code", str(inputs / "code"), "--no-git", *extra)
    assert result.exit_code == 2
    assert result.output.startswith("error: ")
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_existing_output_needs_force(inputs: Path, tmp_path: Path) -> None:
    args = ["-o", str(tmp_path / "o.tar"), "--code", str(inputs / "code"), "--metrics",
            str(inputs / "metrics.json"), "--no-git"]
    assert run(*args).exit_code == 0
    refused = run(*args)
    assert refused.exit_code == 2 and "--force" in refused.output
    assert run(*args, "--force").exit_code == 0


def test_without_code_a_git_checkout_is_needed(inputs: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("-o", str(tmp_path / "o"), "--metrics", str(inputs / "metrics.json"))
    assert result.exit_code == 2
    assert "code" in result.output


def test_bad_metrics_file(inputs: Path, tmp_path: Path) -> None:
    (inputs / "bad.json").write_text('{"accuracy": "high"}')
    result = run("-o", str(tmp_path / "o"), "--code", str(inputs / "code"), "--metrics",
                 str(inputs / "bad.json"), "--no-git")
    assert result.exit_code == 2 and "accuracy" in result.output


def test_config_the_validator_would_refuse(inputs: Path, tmp_path: Path) -> None:
    (inputs / "anchors.yaml").write_text("a: &x 1\nb: *x\n")
    result = run("-o", str(tmp_path / "o"), "--code", str(inputs / "code"), "--config",
                 str(inputs / "anchors.yaml"), "--metrics", str(inputs / "metrics.json"),
                 "--no-git")
    assert result.exit_code == 2 and "REX-P202" in result.output


def test_parse_data_ref() -> None:
    assert parse_data_ref(f"https://x.org/a=b?c=d=sha256:{DIGEST},size=7") == (
        "https://x.org/a=b?c=d", DIGEST, 7)
    with pytest.raises(PackError):
        parse_data_ref(f"s3://x=sha256:{DIGEST.upper()},size=1")


def test_dataset_ids_are_valid_and_unique() -> None:
    taken: set[str] = set()
    assert dataset_id("train set (v2).csv", taken) == "train-set-v2-.csv"
    assert dataset_id("train set (v2).csv", taken) == "train-set-v2-.csv-2"
    assert dataset_id("\u00e9\u00e9", taken) == "dataset"
