"""The same report whatever the number of jobs: findings and their order, counts, exit codes."""

from __future__ import annotations

import hashlib
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from helpers.archives import pack
from helpers.exports import (
    BASE,
    build_manifest,
    edit_manifest,
    manifest_bytes,
    write_export,
)
from rexport import forked, validation
from rexport.conformance.runner import option_values
from rexport.conformance.suite import load_cases
from rexport.limits import MAX_BYTES, MAX_FILES
from rexport.reporters import render
from rexport.validation import validate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*") if (p / "rex.json").is_file()) + \
    sorted(p for p in (ROOT / "examples" / "invalid").glob("*") if p.is_dir())
# a sample of the suite: every fifth valid, invalid and warning case
CASES = load_cases(ROOT / "conformance-tests")[::5]
JOBS = (1, 2, 8)

pytestmark = pytest.mark.timeout(300)  # a hang guard: worker processes are waited for


class Forks:
    """Counts the processes forked while a test runs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = forked.Forked.start.__func__  # type: ignore[attr-defined]

        def start(cls: type[forked.Forked[Any]], *args: Any, **kwargs: Any) -> Any:
            child = original(cls, *args, **kwargs)
            self.count += child is not None
            return child

        monkeypatch.setattr(forked.Forked, "start", classmethod(start))


@pytest.fixture(params=["as shipped", "forking for everything"])
def forks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Forks:
    """Validation as shipped, and with every directory read ahead by forked processes and
    every other manifest's index checked beside by one, however small: each path the number
    of jobs can take."""
    bars = sys.modules.get("tqdm")
    monitor = getattr(getattr(bars, "tqdm", None), "monitor", None)
    if monitor is not None:  # a thread left by an earlier test's progress bar: no fork then
        monitor.exit()
        bars.tqdm.monitor = None  # type: ignore[union-attr]
    if request.param != "as shipped":
        monkeypatch.setattr(validation, "FORK_MIN", 0)
        monkeypatch.setattr(validation, "ASIDE_MIN", 0)
    return Forks(monkeypatch)


def reports(target: Path, **options: Any) -> list[tuple[int, str]]:
    """(exit code, JSON report) of ``target`` for each number of jobs."""
    out = []
    for jobs in JOBS:
        report = validate(target, jobs=jobs, **options)
        out.append((report.exit_code, render("json", [report])))
    return out


def assert_alike(found: list[tuple[int, str]]) -> None:
    first = found[0]
    for jobs, other in zip(JOBS[1:], found[1:], strict=True):
        assert other == first, f"--jobs {jobs} differs from --jobs 1"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples(example: Path, forks: Forks) -> None:
    assert_alike(reports(example))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_conformance_sample(case: Any, forks: Forks) -> None:
    caps = option_values(case.args)
    assert_alike(reports(case.input_path, strict=case.strict,
                         max_files=caps.get("max_files", MAX_FILES),
                         max_bytes=caps.get("max_bytes", MAX_BYTES)))


def _files(count: int) -> dict[str, bytes]:
    files = {f"data/{i % 40:02d}/part-{i:05d}.bin": hashlib.shake_256(b"%d" % i).digest(
        1024 + (i * 37) % 7000) for i in range(count)}
    files["code/train.py"] = b"print('training')\n"
    files["data/big-0.bin"] = bytes(range(256)) * (5 << 10)  # past 1 MiB: read by threads
    files["data/big-1.bin"] = bytes(range(255, -1, -1)) * (5 << 10)
    return files


# lockfiles are read whole to be checked, though neither scanned nor text by their type
LOCKFILE = "environment/requirements.pins"  # application/octet-stream, by its suffix
CONDA = "environment/conda.pins"


@pytest.fixture(scope="module")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 small files and two large ones, with errors of every kind the payload has."""
    files = _files(2000)
    files[LOCKFILE] = b"numpy==2.0.0\n-r more.txt\n"
    files[CONDA] = b"dependencies:\n  - numpy=1.26.0\n"  # another numpy: R112
    environment = {**BASE["environment"],
                   "lockfiles": [{"path": LOCKFILE, "format": "pip-requirements"},
                                 {"path": CONDA, "format": "conda-environment"}]}
    root = write_export(tmp_path_factory.mktemp("jobs") / "run", files,
                        build_manifest(files, environment=environment))
    names = sorted(files)
    (root / names[10]).write_bytes(b"tampered")  # size and digest
    changed = bytearray(files[names[500]])
    changed[3] ^= 1
    (root / names[500]).write_bytes(bytes(changed))  # digest only
    (root / names[900]).unlink()  # missing
    (root / "data" / "07" / "unlisted.bin").write_bytes(b"extra")
    (root / "data" / "big-1.bin").write_bytes(b"short")
    (root / "code" / "train.py").write_bytes(b"key = 'AKIAABCDEFGHIJKLMNOP'\n")
    edit_manifest(root, lambda m: m["files"][20]["digests"].update(sha512="0" * 128))
    return root


@pytest.mark.parametrize("container", ["dir", "tar", "tar.gz", "zip"])
def test_an_export_of_two_thousand_files_with_errors(
        container: str, big_export: Path, tmp_path: Path, forks: Forks) -> None:
    target = big_export if container == "dir" else pack(big_export, tmp_path / f"run.{container}")
    found = reports(target)
    assert_alike(found)
    assert found[0][0] == 1
    for code in ("REX-I101", "REX-I102", "REX-C102", "REX-C103", "REX-K102", "REX-R111",
                 "REX-R112"):
        assert code in found[0][1], code
    if container == "dir" and forkable_here():
        assert forks.count == 2 + 8  # a worker a job, for 2 and for 8 jobs


@pytest.mark.parametrize("problem", ["none", "a credential", "an unsafe path", "twins",
                                     "a newline in a path", "a size beyond I-JSON"])
def test_a_long_index_checked_beside_in_a_forked_process(
        problem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {f"d/{i:05d}.bin": b"x" for i in range(3000)}
    manifest = build_manifest(files)
    entries = manifest["files"]
    if problem == "a credential":
        entries[7]["path"] = "d/AKIAABCDEFGHIJKLMNOP.bin"
    elif problem == "an unsafe path":
        entries[8]["path"] = "../up.bin"
    elif problem == "twins":
        entries[9]["path"] = entries[10]["path"].upper()
    elif problem == "a newline in a path":
        entries[11]["path"] = "d/a\nb.bin"
    elif problem == "a size beyond I-JSON":  # no canonical form: no export digest
        entries[12]["size"] = 2**60
    (tmp_path / "rex.json").write_bytes(manifest_bytes(manifest))
    alone = reports(tmp_path / "rex.json")
    counted = Forks(monkeypatch)
    monkeypatch.setattr(validation, "ASIDE_MIN", 0)
    returned: list[Any] = []
    result = forked.Forked.result
    monkeypatch.setattr(forked.Forked, "result",
                        lambda child: returned.append(result(child)) or returned[-1])
    beside = reports(tmp_path / "rex.json")
    assert beside == alone
    assert None not in returned  # what the reports hold is the helper's work, not a redo
    expected = {"none": None, "a credential": "REX-K101", "an unsafe path": "REX-X101",
                "twins": "REX-X108", "a newline in a path": "REX-X110",
                "a size beyond I-JSON": "REX-I104"}[problem]
    assert expected is None or expected in alone[0][1]
    if forkable_here():
        assert counted.count == len(JOBS) - 1  # one for each number of jobs above 1


def forkable_here() -> bool:
    return sys.platform.startswith("linux") and threading.active_count() == 1
