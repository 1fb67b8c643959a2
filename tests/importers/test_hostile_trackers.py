"""Hostile tracker folders: each is refused with a clear message, exit 2, no traceback."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from rexport.cli import cli

from importers.support import make_repo, mlflow_store


def refused(*args: str, out: Path) -> str:
    """Run the import; assert exit 2, no traceback and nothing written; return the message."""
    result = CliRunner().invoke(cli, ["import", *args, "-o", str(out)])
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert not out.exists()
    return result.stderr


@pytest.fixture
def store(tmp_path: Path) -> Path:
    commit = make_repo(tmp_path / "repo", {"train.py": "print('hi')\n"})
    return mlflow_store(tmp_path / "repo", commit)


def test_artifact_link_out_of_the_run_is_refused(store: Path, tmp_path: Path) -> None:
    (store / "artifacts" / "passwd").symlink_to("/etc/passwd")
    message = refused("mlflow", str(store), out=tmp_path / "out")
    assert "artifacts/passwd" in message and "symbolic link" in message
    assert "--skip-links" in message


def test_linked_metadata_is_refused_even_with_skip_links(store: Path, tmp_path: Path) -> None:
    (store / "meta.yaml").rename(tmp_path / "elsewhere.yaml")
    (store / "meta.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    message = refused("mlflow", str(store), "--skip-links", out=tmp_path / "out")
    assert "meta.yaml" in message and "symbolic link" in message


def test_link_left_out_with_skip_links(store: Path, tmp_path: Path) -> None:
    (store / "artifacts" / "passwd").symlink_to("/etc/passwd")
    result = CliRunner().invoke(cli, ["import", "mlflow", str(store), "-o", str(tmp_path / "o"),
                                      "--skip-links", "--output-format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert any("passwd" in w and "left out" in w for w in report["warnings"])
    assert not (tmp_path / "o" / "results" / "artifacts" / "passwd").exists()


@pytest.mark.parametrize(("text", "expected"), [
    ("run_id: [unclosed\n", "REX-P201"),
    ("run_id: !!python/object/apply:os.system ['touch PWNED']\n", "REX-P203"),
    ("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b, *b, *b]\n", "REX-P202"),
    ("run_id: 1\nrun_id: 2\n", "REX-P204"),
    ("\xff\xfe garbage", "REX-P10"),
])
def test_garbage_yaml_is_refused(tmp_path: Path, text: str, expected: str) -> None:
    run = mlflow_store(tmp_path, "a" * 40, meta="")
    (run / "meta.yaml").write_bytes(text.encode("latin-1"))
    message = refused("mlflow", str(run), out=tmp_path / "out")
    assert expected in message and "meta.yaml" in message
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()


def test_huge_yaml_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    run = mlflow_store(tmp_path, "a" * 40)
    with open(run / "meta.yaml", "wb") as big:
        big.truncate(64 << 20)  # sparse: 64 MiB of zeros, never read past the cap
    assert "larger than" in refused("mlflow", str(run), out=tmp_path / "out")


def test_malformed_metric_file_is_refused(tmp_path: Path) -> None:
    run = mlflow_store(tmp_path, "a" * 40, metrics={"acc": "not a metric line\n"})
    message = refused("mlflow", str(run), out=tmp_path / "out")
    assert "metrics/acc" in message and "line 1" in message


def test_run_id_cannot_walk_out_of_the_store(tmp_path: Path) -> None:
    mlflow_store(tmp_path, "a" * 40)
    message = refused("mlflow", "../../etc", "--tracking-uri", str(tmp_path / "mlruns"),
                      out=tmp_path / "out")
    assert "neither a run folder nor a run id" in message


def sacred_run(tmp_path: Path, *, code: str = "print(1)\n", md5: str | None = None,
               **run: object) -> Path:
    """A FileStorageObserver run folder made by hand (its source named by ``md5``, by
    default the right one)."""
    folder = tmp_path / "runs" / "1"
    folder.mkdir(parents=True)
    (tmp_path / "runs" / "_sources").mkdir()
    digest = md5 or hashlib.md5(code.encode()).hexdigest()
    source = tmp_path / "runs" / "_sources" / f"exp_{digest}.py"
    source.write_text(code)
    document = {"experiment": {"name": "x", "base_dir": str(tmp_path), "mainfile": "exp.py",
                               "sources": [["exp.py", "_sources/" + source.name]],
                               "dependencies": [], "repositories": []},
                "status": "COMPLETED", "artifacts": [], "result": 0.5, **run}
    (folder / "run.json").write_text(json.dumps(document))
    (folder / "config.json").write_text('{"seed": 1}')
    return folder


def test_sacred_artifact_path_traversal_is_refused(tmp_path: Path) -> None:
    folder = sacred_run(tmp_path, artifacts=["../../../../etc/passwd"])
    message = refused("sacred", str(folder), out=tmp_path / "out")
    assert "points outside" in message and "etc/passwd" in message


def test_sacred_source_changed_after_the_run_is_refused(tmp_path: Path) -> None:
    folder = sacred_run(tmp_path, md5="0" * 32)  # not the md5 of the file's bytes
    message = refused("sacred", str(folder), out=tmp_path / "out")
    assert "does not match the md5" in message


def test_sacred_missing_run_json_is_refused(tmp_path: Path) -> None:
    folder = sacred_run(tmp_path)
    (folder / "run.json").unlink()
    message = refused("sacred", str(folder), out=tmp_path / "out")
    assert "run.json" in message and "missing" in message


def test_sacred_stored_path_outside_its_folders_is_refused(tmp_path: Path) -> None:
    folder = sacred_run(tmp_path)
    document = json.loads((folder / "run.json").read_text())
    document["experiment"]["sources"] = [["exp.py", "../../../etc/passwd"]]
    (folder / "run.json").write_text(json.dumps(document))
    assert "_sources/NAME_MD5" in refused("sacred", str(folder), out=tmp_path / "out")


def chunk(kind: int, data: bytes) -> bytes:
    return struct.pack("<IHB", zlib.crc32(data, zlib.crc32(bytes([kind]))), len(data),
                       kind) + data


def test_wandb_log_garbage_is_refused(tmp_path: Path) -> None:
    (tmp_path / "run-abc.wandb").write_bytes(os.urandom(300))
    assert "not a W&B run log" in refused("wandb", str(tmp_path), out=tmp_path / "out")


def test_wandb_log_damaged_is_refused(tmp_path: Path) -> None:
    from rexport.importers.wandb_log import HEADER

    good = chunk(1, b"\x08\x01")
    (tmp_path / "run-abc.wandb").write_bytes(HEADER + good[:-1] + b"\x09")
    assert "damaged" in refused("wandb", str(tmp_path), out=tmp_path / "out")


def test_dvc_listing_that_walks_out_is_refused(tmp_path: Path) -> None:
    listing = json.dumps([{"md5": "0" * 32, "relpath": "../../../etc/passwd"}]).encode()
    md5 = hashlib.md5(listing).hexdigest() + ".dir"
    project = tmp_path / "p"
    lock = ("schema: '2.0'\nstages:\n  s:\n    cmd: python s.py\n    deps: []\n    outs:\n"
            f"    - path: out\n      md5: {md5}\n")
    make_repo(project, {"dvc.yaml": "stages:\n  s:\n    cmd: python s.py\n    outs: [out]\n",
                        "dvc.lock": lock, "s.py": "\n"})
    cached = project / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
    cached.parent.mkdir(parents=True)
    cached.write_bytes(listing)
    message = refused("dvc", str(project), out=tmp_path / "out")
    assert "points outside" in message


def test_import_never_runs_code_from_the_run(tmp_path: Path) -> None:
    # a Sacred run whose recorded command would write a file if anything ran it
    folder = sacred_run(tmp_path, code="open('RAN', 'w').write('x')\n",
                        meta={"command": "main", "options": {"with": True}})
    result = CliRunner().invoke(cli, ["import", "sacred", str(folder), "-o",
                                      str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "RAN").exists() and not Path("RAN").exists()


def test_interrupt_exits_130_and_leaves_nothing(tmp_path: Path) -> None:
    commit = make_repo(tmp_path / "repo", {"train.py": "print('hi')\n"})
    store = mlflow_store(tmp_path / "repo", commit)
    script = (
        "import sys\n"
        "from rexport.importers import base\n"
        "def stop(*a, **k):\n    raise KeyboardInterrupt\n"
        "base.final_metrics = stop\n"
        "from rexport.importers import mlflow\n"
        "mlflow.final_metrics = stop\n"
        "from rexport.cli import main\n"
        f"main(['import', 'mlflow', {str(store)!r}, '-o', {str(tmp_path / 'out')!r}])\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()
