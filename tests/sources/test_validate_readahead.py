"""A directory read ahead in bulk, by worker processes or in process: the same findings as
the member-by-member walk, workers never trusted blindly and never left behind."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers.exports import build_manifest, edit_manifest, position, where, write_export
from hostile.cases import CASES, Case
from rexport import forked, validation
from rexport.jobs import WHOLE_MAX
from rexport.report import Report
from rexport.sources import open_source, readahead
from rexport.sources.directory import DirectorySource
from rexport.validation import validate

pytestmark = [pytest.mark.skipif(not sys.platform.startswith("linux"),
                                 reason="workers are forked on Linux only"),
              pytest.mark.timeout(60)]  # a hang guard: these tests wait on worker processes

# binary files: hashed by SHA-256 alone and never scanned, the workers' case
BINARY = {f"data/{i:02d}/part-{i:03d}.bin": hashlib.shake_256(str(i).encode()).digest(100 + i)
          for i in range(60)} | {"code/weights.bin": bytes(range(256))}


class Started:
    """Every read-ahead started while a test runs, with the pids of its workers."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.handles: list[readahead.ReadAhead] = []
        self.pids: list[int] = []
        original = readahead.ReadAhead.start.__func__  # type: ignore[attr-defined]

        def start(cls: type[readahead.ReadAhead], *args: Any, **kwargs: Any
                  ) -> readahead.ReadAhead:
            handle: readahead.ReadAhead = original(cls, *args, **kwargs)
            self.handles.append(handle)
            self.pids += [worker.pid for worker in handle.workers]
            return handle

        monkeypatch.setattr(readahead.ReadAhead, "start", classmethod(start))
        # every export forks its workers here, however small
        monkeypatch.setattr(validation, "FORK_MIN", 0)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Started:
    return Started(monkeypatch)


@pytest.fixture(autouse=True)
def one_thread() -> None:
    """No child is forked while other threads run, Python's or those a native library
    started (a BLAS pool, an allocator's): a test that leaves one behind makes these skip,
    and the reason names them."""
    if not forked.forkable():
        pytest.skip(f"other threads run: {[t.name for t in threading.enumerate()]}, "
                    f"tasks {_task_names()}")


def _task_names() -> list[str]:
    names = []
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError):  # it ended meanwhile
            names.append((task / "comm").read_text().strip())
    return sorted(names)


def reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def walked(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Report]:
    """validate() with nothing read ahead: the member-by-member walk, the reference."""

    def run(target: Path, **options: Any) -> Report:
        with monkeypatch.context() as patch:
            patch.setattr(DirectorySource, "read_ahead", lambda self, *a, **k: None)
            return validate(target, **options)

    return run


def same(reports: list[Report]) -> None:
    """Reports alike in every way a user sees: findings (order, wording), counts, digest."""
    first = reports[0]
    for other in reports[1:]:
        assert where(other) == where(first)
        assert [f.message for f in other.findings] == [f.message for f in first.findings]
        assert (other.files_checked, other.bytes_checked, other.exit_code,
                other.export_digest) == (first.files_checked, first.bytes_checked,
                                         first.exit_code, first.export_digest)


def hashed_entries(root: Path, workers: int) -> dict[str, tuple[int, str] | None]:
    """{path: Entry.hashed} of every file of the member-by-member walk, read ahead."""
    with open_source(root) as source:
        assert isinstance(source, DirectorySource)
        source.read_ahead(WHOLE_MAX, workers=workers)
        return {e.path: e.hashed for e in source.entries() if e.kind == "file"}


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_entries_carry_the_sha256_of_what_is_on_disk(tmp_path: Path, workers: int) -> None:
    big = bytes(WHOLE_MAX)  # not a small file: left to the validator
    root = write_export(tmp_path / "run", {**BINARY, "data/big.bin": big})
    got = hashed_entries(root, workers)
    for path, data in BINARY.items():
        assert got[path] == (len(data), hashlib.sha256(data).hexdigest())
    assert got["data/big.bin"] is None
    assert got["rex.json"] is None  # the source reads the manifest itself


@pytest.mark.parametrize("workers", [1, 2])
def test_the_workers_never_open_what_the_walk_refuses(tmp_path: Path, workers: int) -> None:
    root = write_export(tmp_path / "run", dict(BINARY))
    (root / "data" / "link.bin").symlink_to(root / "data" / "00" / "part-000.bin")
    os.link(root / "data" / "01" / "part-001.bin", root / "data" / "hard.bin")
    os.mkfifo(root / "data" / "pipe")
    (root / "data" / "CON.bin").write_bytes(b"reserved")
    (root / "data" / "x\x1b.bin").write_bytes(b"control")
    with open_source(root) as source:
        assert isinstance(source, DirectorySource)
        source.read_ahead(WHOLE_MAX, workers=workers)
        assert source.scanned() is None  # the walk has findings of its own to give
        entries = {e.path: e for e in source.entries()}
    for name in ("data/CON.bin", "data/x\x1b.bin", "data/hard.bin",
                 "data/01/part-001.bin"):  # a second link makes both names hardlinks
        assert entries[name].hashed is None, name
    assert entries["data/link.bin"].kind == "symlink"
    assert entries["data/pipe"].kind == "fifo"
    assert entries["data/hard.bin"].kind == "hardlink"


def test_tampering_is_found_through_the_workers(tmp_path: Path, started: Started,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = build_manifest(BINARY)
    root = write_export(tmp_path / "run", dict(BINARY), manifest)
    names = sorted(p for p in BINARY if p.startswith("data/"))
    changed, grown, shrunk, gone = names[3], names[10], names[20], names[30]
    data = bytearray(BINARY[changed])
    data[7] ^= 1
    (root / changed).write_bytes(bytes(data))
    (root / grown).write_bytes(BINARY[grown] + b"x")
    (root / shrunk).write_bytes(BINARY[shrunk][:-1])
    (root / "data" / "unlisted.bin").write_bytes(b"extra")
    (root / gone).unlink()
    reference = walked(monkeypatch)(root)
    reports = [validate(root, jobs=jobs) for jobs in (1, 2, 8)]
    assert len(started.pids) == 2 + 8
    same([reference, *reports])
    assert set(where(reference)) == {
        ("REX-I102", "rex.json", f"/files/{position(manifest, changed)}/digests/sha256"),
        ("REX-I101", "rex.json", f"/files/{position(manifest, grown)}/size"),
        ("REX-I101", "rex.json", f"/files/{position(manifest, shrunk)}/size"),
        ("REX-C103", "data/unlisted.bin", ""),
        ("REX-C102", "rex.json", f"/files/{position(manifest, gone)}/path"),
    }


def _config_and_text(root: Path) -> None:
    (root / "config.yaml").write_bytes(b"lr: [1\n")  # parsed: a syntax error
    (root / "code" / "train.py").write_bytes(b"key = 'AKIAABCDEFGHIJKLMNOP'\n")
    (root / "data" / "notes.txt").write_bytes(b"plain text\n")


def _index_variants(manifest: dict[str, Any]) -> None:
    files = manifest["files"]
    files[0]["digests"]["sha256"] = files[0]["digests"]["sha256"].upper()
    files[1]["digests"]["sha512"] = "0" * 128  # a second digest: hashed member by member
    files[2]["size"] = files[2]["size"] + 1
    files.append(dict(files[3]))  # listed twice
    files.append({**files[4], "path": "rex.json"})  # the manifest listing itself
    files[5]["digests"] = {"md5": "0" * 32}  # weak only
    files[6]["media_type"] = "text/plain"  # scanned for credentials, whatever its name


VARIANTS: dict[str, Callable[[Path], Any]] = {
    "valid": lambda root: None,
    "config and text files": _config_and_text,
    "index variants": lambda root: edit_manifest(root, _index_variants),
    "an empty file": lambda root: (root / "data" / "00" / "part-000.bin").write_bytes(b""),
    "a large file": lambda root: (root / "data" / "big.bin").write_bytes(bytes(WHOLE_MAX + 9)),
    "an empty folder": lambda root: (root / "data" / "empty").mkdir(),
    "names like the records": lambda root: [
        (root / "data" / name).write_bytes(b"x") for name in ("0", "-1", "123", "1-2")],
    # the walk has findings of its own: nothing judged in bulk
    "names the walk refuses": lambda root: [
        (root / "data" / name).write_bytes(b"x") for name in ("a\nb", "%s", "CON")],
    "twins": lambda root: (root / "DATA").mkdir(),
}
UNCLEAN = {"names the walk refuses", "twins"}


@pytest.mark.parametrize("variant", VARIANTS)
def test_read_ahead_in_bulk_finds_what_the_walk_finds(
        variant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: Started) -> None:
    files = {**BINARY, "code/train.py": b"print('hi')\n", "config.yaml": b"lr: 1\n",
             "data/notes.txt": b"notes\n"}
    root = write_export(tmp_path / "run", files, build_manifest(
        files, config={"path": "config.yaml", "seeds": {"python": 0}}))
    VARIANTS[variant](root)
    with open_source(root) as source:
        assert isinstance(source, DirectorySource)
        source.read_ahead(WHOLE_MAX)
        assert (source.scanned() is None) == (variant in UNCLEAN)
    reference = walked(monkeypatch)(root)
    same([reference, *(validate(root, jobs=jobs) for jobs in (1, 2, 3))])
    same([walked(monkeypatch)(root, strict=True, ignore=("secrets",)),
          validate(root, jobs=2, strict=True, ignore=("secrets",))])


def test_a_clean_tree_is_judged_in_bulk(tmp_path: Path) -> None:
    root = write_export(tmp_path / "run", dict(BINARY))
    with open_source(root) as source:
        assert isinstance(source, DirectorySource)
        source.read_ahead(WHOLE_MAX, workers=1)
        scanned = source.scanned()
    assert scanned is not None and scanned.rest == []
    assert sorted(key.split("/", 2)[2] for key in scanned.keys) == sorted(BINARY)
    assert scanned.total == sum(map(len, BINARY.values()))


def test_the_workers_are_gone_when_validation_returns(tmp_path: Path, started: Started) -> None:
    root = write_export(tmp_path / "run", dict(BINARY))
    assert validate(root, jobs=2).valid
    assert len(started.pids) == 2
    assert [reaped(pid) for pid in started.pids] == [True, True]


def test_a_worker_that_dies_leaves_its_files_to_the_validator(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_export(tmp_path / "run", dict(BINARY))
    (root / sorted(BINARY)[5]).write_bytes(b"tampered")
    monkeypatch.setattr(validation, "FORK_MIN", 0)
    original = readahead.ReadAhead.start.__func__  # type: ignore[attr-defined]

    def killed(cls: type[readahead.ReadAhead], *args: Any, **kwargs: Any) -> Any:
        handle = original(cls, *args, **kwargs)
        pid = handle.workers[1].pid
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        return handle

    reference = walked(monkeypatch)(root)
    monkeypatch.setattr(readahead.ReadAhead, "start", classmethod(killed))
    report = validate(root, jobs=2)
    same([reference, report])
    assert "REX-I101" in {f.code for f in report.findings}


def test_no_worker_while_other_threads_run(tmp_path: Path, started: Started) -> None:
    root = write_export(tmp_path / "run", dict(BINARY))
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert validate(root, jobs=2).valid
    finally:
        stop.set()
        thread.join()
    assert started.pids == []  # a fork would copy this process with a thread missing
    assert len(started.handles) == 1  # read in this process instead


def test_no_worker_for_one_job_nor_a_small_export(tmp_path: Path, started: Started,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_export(tmp_path / "run", dict(BINARY))
    assert validate(root, jobs=1).valid
    monkeypatch.setattr(validation, "FORK_MIN", 1 << 30)
    assert validate(root, jobs=2).valid
    assert started.pids == []


def test_nothing_read_ahead_without_digests_or_payload(tmp_path: Path, started: Started) -> None:
    root = write_export(tmp_path / "run", dict(BINARY))
    assert validate(root, jobs=2, ignore=("integrity",)).valid
    assert validate(root / "rex.json", jobs=2).exit_code == 0
    assert started.handles == []


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES
                                  if c.container == "dir" and not c.slow])
def test_hostile_directories_give_the_same_findings(case: Case, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    started: Started) -> None:
    target = case.make(tmp_path)
    options = dict(case.options)
    reference = walked(monkeypatch)(target, **options)
    reports = [validate(target, jobs=jobs, **options) for jobs in (1, 2)]
    same([reference, *reports])
    assert reference.exit_code == case.exit_code


def test_workers_that_listed_different_trees_leave_it_to_the_walk(tmp_path: Path) -> None:
    # a tree changed between two workers' listings: a file may be nobody's share
    root = write_export(tmp_path / "run", dict(BINARY))
    with open_source(root) as source:
        assert isinstance(source, DirectorySource)
        source.read_ahead(WHOLE_MAX, workers=1)
        assert source.ahead is not None
        (part,) = source.ahead.result() or []
        assert source.scanned() is not None
        source.ahead.parts = [part._replace(keys=part.keys[::2]),
                              part._replace(keys=part.keys[1::2], listing="0" * 64)]
        assert source.scanned() is None


def test_no_read_ahead_where_folders_cannot_be_walked_by_descriptor(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: Started) -> None:
    root = write_export(tmp_path / "run", dict(BINARY))
    (root / sorted(BINARY)[2]).write_bytes(b"changed")
    reference = validate(root, jobs=2)
    monkeypatch.setattr(readahead.ReadAhead, "possible", staticmethod(lambda: False))
    started.handles.clear()
    same([reference, validate(root, jobs=2), validate(root, jobs=1)])
    assert started.handles == []  # the member-by-member walk alone, as on Windows
