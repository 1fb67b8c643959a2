"""The importers' parts without the trackers: mapping rules, the W&B log reader, the replay shim."""

from __future__ import annotations

import hashlib
import json
import struct
import sys
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from click.testing import CliRunner
from rexport.cli import cli
from rexport.importers import replay_shim, wandb_log
from rexport.importers.base import Recorded, final_metrics, number, platform_os
from rexport.importers.mlflow import needs_client

from importers.support import (
    RUN_ID,
    artifacts_match,
    make_repo,
    manifest,
    mlflow_store,
    run_import,
    strictly_valid,
)


def test_handmade_file_store_imports_and_validates(tmp_path: Path) -> None:
    commit = make_repo(tmp_path / "repo", {"train.py": "print('hi')\n"})
    run = mlflow_store(tmp_path / "repo", commit)
    code, report, _ = run_import("mlflow", RUN_ID, "--tracking-uri",
                                 str(tmp_path / "repo" / "mlruns"), "-o", str(tmp_path / "out"))
    assert code == 0, report
    export = tmp_path / "out"
    strictly_valid(export)
    rex = manifest(export)
    assert rex["code"]["vcs"]["commit"] == commit
    assert rex["code"]["entry_points"] == [{"name": "main", "path": "code/train.py"}]
    assert rex["config"] == {"hyperparameters": {"lr": "0.1", "seed": "42"},
                             "seeds": {"seed": 42}}
    assert rex["results"]["metrics"] == [{"name": "acc", "step": 0, "value": 0.5},
                                         {"name": "acc", "step": 1, "value": 0.75}]
    assert rex["created"] == "2026-01-15T10:01:00Z"  # the run's end, not the import's time
    artifacts_match(export, {"results/artifacts/model.bin": run / "artifacts" / "model.bin"})
    assert report["producer"] == {"name": "rexport import mlflow", "version": "0.1.0",
                                  "x-source": {"name": "mlflow", "version": "unknown"}}
    # importing again gives the same bytes
    code, _, _ = run_import("mlflow", str(run), "-o", str(tmp_path / "again"))
    assert code == 0
    assert (tmp_path / "again" / "rex.json").read_bytes() == (export / "rex.json").read_bytes()


def test_no_repository_at_hand_names_the_commit_only(tmp_path: Path) -> None:
    run = mlflow_store(tmp_path, "c" * 40)
    code, report, _ = run_import("mlflow", str(run), "-o", str(tmp_path / "out"))
    assert code == 0, report
    rex = manifest(tmp_path / "out")
    assert rex["code"] == {"vcs": {"type": "git", "commit": "c" * 40, "dirty": False}}
    assert any("no local repository holds commit" in w and "--repo" in w
               for w in report["warnings"])


def test_run_without_a_commit_is_refused(tmp_path: Path) -> None:
    run = mlflow_store(tmp_path, None)
    code, report, _ = run_import("mlflow", str(run), "-o", str(tmp_path / "out"))
    assert code == 2 and "no git commit" in report["error"]


def test_mlflow_dataset_digest_is_never_a_content_digest(tmp_path: Path) -> None:
    run = mlflow_store(tmp_path, "c" * 40)
    digest = "d41d8c"
    (run / "inputs" / "i1").mkdir(parents=True)
    (run / "inputs" / "i1" / "meta.yaml").write_text(
        "source_id: ds1\nsource_type: DATASET\ndestination_type: RUN\n"
        "tags:\n  mlflow.data.context: training\n")
    (run.parent / "datasets" / "ds1").mkdir(parents=True)
    (run.parent / "datasets" / "ds1" / "meta.yaml").write_text(
        f"digest: {digest}\nname: iris\nsource: '{{\"uri\": \"iris.csv\"}}'\n"
        "source_type: local\n")
    code, report, _ = run_import("mlflow", str(run), "-o", str(tmp_path / "out"))
    assert code == 0, report
    rex = manifest(tmp_path / "out")
    assert "data" not in rex and digest not in json.dumps(rex)
    assert any("'iris'" in w and "not pinned" in w for w in report["warnings"])
    kept = json.loads((tmp_path / "out" / "tracker" / "mlflow-run.json").read_text())
    assert kept["datasets"][0]["mlflow_digest"] == digest


def test_non_finite_metric_values_stay_in_the_history(tmp_path: Path) -> None:
    run = mlflow_store(tmp_path, "c" * 40, metrics={
        "loss": "1768471200000 nan 0\n1768471201000 0.5 1\n1768471202000 inf 2\n"})
    code, report, _ = run_import("mlflow", str(run), "-o", str(tmp_path / "out"))
    assert code == 0, report
    assert manifest(tmp_path / "out")["results"]["metrics"] == [
        {"name": "loss", "step": 1, "value": 0.5}]
    history = (tmp_path / "out" / "results" / "metrics-history.csv").read_text()
    assert "loss,0,1768471200000,nan" in history and "loss,2,1768471202000,inf" in history
    assert any("not finite numbers" in w for w in report["warnings"])


def test_missing_client_names_the_extra(monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)
    result = CliRunner().invoke(cli, ["import", "mlflow", RUN_ID, "--tracking-uri",
                                      "http://127.0.0.1:5000", "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "pip install 'rexport[mlflow]'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("uri", "client"), [
    (None, False), ("mlruns", False), ("file:///tmp/mlruns", False),
    ("http://127.0.0.1:5000", True), ("sqlite:///mlflow.db", True)])
def test_which_stores_need_the_client(uri: str | None, client: bool) -> None:
    assert needs_client(uri) is client


def test_final_metrics_keeps_the_last_value_per_step_and_caps_steps() -> None:
    rec = Recorded("x", None, "t")
    final_metrics({"a": [(0, 1.0), (0, 2.0), (1, "3"), (-4, 9)],
                   "b": [(i, i) for i in range(5)]}, rec, max_steps=3)
    assert rec.metrics == [{"name": "a", "value": 9}, {"name": "a", "step": 0, "value": 2.0},
                           {"name": "a", "step": 1, "value": 3},
                           {"name": "b", "step": 4, "value": 4}]
    assert any("'b' was logged at 5 steps" in w for w in rec.warnings)


@pytest.mark.parametrize(("value", "expected"), [
    ("3", 3), ("0.5", 0.5), ("1e3", 1000.0), ("nan", None), ("inf", None), (True, None),
    ("x", None), (float("nan"), None), (7, 7)])
def test_number(value: object, expected: object) -> None:
    assert number(value) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Linux-6.1.0-18-amd64-x86_64-with-glibc2.36",
     {"os": {"name": "Linux", "version": "6.1.0-18"}, "architecture": "amd64"}),
    ("macOS-14.2-arm64-arm-64bit",
     {"os": {"name": "Darwin", "version": "14.2"}, "architecture": "arm64"}),
    ("Windows-10-10.0.19041-SP0", {}), ("", {})])
def test_platform_os(text: str, expected: dict[str, object]) -> None:
    assert platform_os(text) == expected


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        out.append((value & 0x7F) | (0x80 if value > 0x7F else 0))
        value >>= 7
        if not value:
            return bytes(out)


def field(number: int, payload: bytes | int) -> bytes:
    if isinstance(payload, int):
        return varint(number << 3) + varint(payload)
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def item(key: str, value: object) -> bytes:
    return field(1, key.encode()) + field(16, json.dumps(value).encode())


def log(records: list[bytes], block: int = wandb_log.BLOCK) -> bytes:
    """A run log as wandb writes it: records cut into chunks that never cross a block."""
    out = bytearray(wandb_log.HEADER)
    for record in records:
        rest, first = record, True
        while True:
            room = block - len(out) % block
            if room < wandb_log.CHUNK_HEADER:
                out += b"\0" * room
                continue
            piece, rest = rest[:room - wandb_log.CHUNK_HEADER], \
                rest[room - wandb_log.CHUNK_HEADER:]
            kind = (wandb_log.FULL if first and not rest else wandb_log.FIRST if first
                    else wandb_log.LAST if not rest else wandb_log.MIDDLE)
            out += struct.pack("<IHB", zlib.crc32(piece, zlib.crc32(bytes([kind]))),
                               len(piece), kind) + piece
            first = False
            if not rest:
                break
    return bytes(out)


RUN = field(17, field(1, b"r1") + field(3, b"proj") + field(4, field(1, item("lr", 0.1)))
            + field(21, field(2, b"a" * 40)))
HISTORY = [field(2, field(1, item("loss", 1.0 / (n + 1))) + field(1, item("_step", n)))
           for n in range(3)]
SUMMARY = field(3, field(1, item("loss", 1 / 3)) + field(1, field(2, b"_wandb")
                                                          + field(2, b"runtime")
                                                          + field(16, b"4")))
EXIT = field(18, field(1, 0))


def test_wandb_log_reader_reads_what_was_logged() -> None:
    big = field(5, field(1, item("notes", "x" * 100_000)))  # spans blocks: FIRST..LAST
    run = wandb_log.read(BytesIO(log([RUN, *HISTORY, SUMMARY, big, EXIT])))
    assert (run.run_id, run.project, run.git_commit) == ("r1", "proj", "a" * 40)
    assert run.config == {"lr": 0.1, "notes": "x" * 100_000}
    assert [row["loss"] for row in run.history] == [1.0, 0.5, 1 / 3]
    assert run.summary == {"loss": 1 / 3, "_wandb": {"runtime": 4}}
    assert run.exit_code == 0 and not run.truncated


def test_wandb_log_cut_short_is_marked_truncated() -> None:
    data = log([RUN, *HISTORY, EXIT])
    run = wandb_log.read(BytesIO(data[:-5]))
    assert run.truncated and run.exit_code is None and len(run.history) == 3


@pytest.mark.parametrize("damage", ["crc", "order"])
def test_wandb_log_damage_is_an_error(damage: str) -> None:
    data = bytearray(log([RUN, *HISTORY]))
    if damage == "crc":
        data[-1] ^= 0xFF
    else:  # a LAST chunk with no FIRST before it
        piece = b"\x08\x01"
        data += struct.pack("<IHB", zlib.crc32(piece, zlib.crc32(b"\x04")), 2, 4) + piece
    with pytest.raises(wandb_log.LogError):
        wandb_log.read(BytesIO(bytes(data)))


def test_replay_shim_flattens_numbers_only() -> None:
    assert replay_shim.flatten({"a": 1, "b": {"c": 2.5, "d": "x", "e": True,
                                              "f": float("nan")}}) == {"a": 1, "b.c": 2.5}


def test_replay_shim_reads_sacred_runs(tmp_path: Path) -> None:
    for run, last in (("1", 0.1), ("2", 0.9)):
        (tmp_path / run).mkdir()
        (tmp_path / run / "metrics.json").write_text(json.dumps(
            {"acc": {"steps": [0, 1], "values": [0.0, last], "timestamps": ["", ""]}}))
        (tmp_path / run / "run.json").write_text(json.dumps({"result": last * 2}))
    assert replay_shim.from_sacred(tmp_path) == {"acc": 0.9, "result": 1.8}


METRICS = '{"auc": 0.75}'


def handmade_dvc(root: Path, train: str, *, locked_train: str) -> str:
    """A DVC project as a commit: dvc.yaml, a dvc.lock recording ``locked_train``'s md5, a
    git-tracked metrics file and a cached output that was never pulled."""
    md5 = hashlib.md5(locked_train.encode()).hexdigest()
    lock = ("schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    deps:\n"
            f"    - path: train.py\n      md5: {md5}\n      size: 1\n    params:\n"
            "      params.yaml:\n        seed: 9\n    outs:\n    - path: model.bin\n"
            f"      md5: {'e' * 32}\n      size: 3\n    - path: metrics.json\n"
            f"      md5: {hashlib.md5(METRICS.encode()).hexdigest()}\n      size: 13\n")
    return make_repo(root, {
        "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    deps: [train.py]\n"
                    "    params: [seed]\n    outs: [model.bin]\n    metrics:\n"
                    "    - metrics.json:\n        cache: false\n",
        "dvc.lock": lock, "train.py": train, "params.yaml": "seed: 9\n",
        "metrics.json": METRICS, "requirements.txt": "pyyaml==6.0.2\n"})


def test_handmade_dvc_pipeline_without_cache(tmp_path: Path) -> None:
    commit = handmade_dvc(tmp_path / "p", "print(1)\n", locked_train="print(1)\n")
    code, report, _ = run_import("dvc", str(tmp_path / "p"), "-o", str(tmp_path / "out"))
    assert code == 0, report
    strictly_valid(tmp_path / "out")
    rex = manifest(tmp_path / "out")
    assert rex["code"]["vcs"]["commit"] == commit
    assert rex["results"]["metrics"] == [{"name": "auc", "value": 0.75}]
    assert rex["config"]["seeds"] == {"seed": 9}
    (step,) = rex["lineage"]["steps"]
    assert step["inputs"] == [{"file": "code/train.py"}]
    assert step["outputs"] == [{"file": "code/metrics.json"}]  # model.bin was never pulled
    assert rex["environment"]["lockfiles"] == [{"path": "code/requirements.txt",
                                                "format": "pip-requirements"}]
    assert any("model.bin" in w and "dvc pull" in w for w in report["warnings"])
    assert not any("stale" in w for w in report["warnings"])


def test_handmade_dvc_stale_lock_is_flagged(tmp_path: Path) -> None:
    handmade_dvc(tmp_path / "p", "print(2)\n", locked_train="print(1)\n")
    code, report, _ = run_import("dvc", str(tmp_path / "p"), "-o", str(tmp_path / "out"))
    assert code == 0, report
    assert any(w.startswith("stale dvc.lock: train.py") for w in report["warnings"])


def test_dvc_refuses_repo_option(tmp_path: Path) -> None:
    handmade_dvc(tmp_path / "p", "print(1)\n", locked_train="print(1)\n")
    result = CliRunner().invoke(cli, ["import", "dvc", str(tmp_path / "p"), "--repo",
                                      str(tmp_path / "p"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "--repo does not apply" in result.output
