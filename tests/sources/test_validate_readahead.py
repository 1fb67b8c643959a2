"""The read-ahead child of --jobs above 1: same findings as without it, never trusted blindly."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from helpers.exports import build_manifest, position, where, write_export
from hostile.cases import CASES, Case
from rexport.payload_pass import INLINE_MAX
from rexport.sources import open_source, readahead
from rexport.validation import validate

pytestmark = [pytest.mark.skipif(not sys.platform.startswith("linux"),
                                 reason="the child process is forked on Linux only"),
              pytest.mark.timeout(60)]  # a hang guard: these tests wait on a child process

# binary files: hashed by SHA-256 alone and never scanned, the child's case
BINARY = {f"data/{i:02d}/part-{i:03d}.bin": hashlib.shake_256(str(i).encode()).digest(100 + i)
          for i in range(60)} | {"code/weights.bin": bytes(range(256))}


class Started:
    """Every child started while a test runs (its parent's handle)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.handles: list[readahead.ReadAhead] = []
        original = readahead.ReadAhead.start.__func__  # type: ignore[attr-defined]

        def start(cls: type[readahead.ReadAhead], *args: Any, **kwargs: Any
                  ) -> readahead.ReadAhead | None:
            handle: readahead.ReadAhead | None = original(cls, *args, **kwargs)
            if handle is not None:
                self.handles.append(handle)
            return handle

        monkeypatch.setattr(readahead.ReadAhead, "start", classmethod(start))


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Started:
    return Started(monkeypatch)


@pytest.fixture(autouse=True)
def one_thread() -> None:
    """No child is forked while other threads run, Python's or those a native library
    started (a BLAS pool, an allocator's): a test that leaves one behind makes these skip,
    and the reason names them."""
    if not readahead.forkable():
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


def finished(ahead: readahead.ReadAhead | None) -> None:
    """Wait until the child has walked the whole export and exited (left for close to reap)."""
    assert ahead is not None
    os.waitid(os.P_PID, ahead.pid, os.WEXITED | os.WNOWAIT)


def hashed_entries(root: Path) -> dict[str, tuple[int, str] | None]:
    """{path: Entry.hashed} of every file, once the child has read everything."""
    with open_source(root) as source:
        source.read_ahead(INLINE_MAX)  # type: ignore[attr-defined]
        finished(source.ahead)  # type: ignore[attr-defined]
        return {e.path: e.hashed for e in source.entries() if e.kind == "file"}


def test_entries_carry_the_sha256_of_what_is_on_disk(tmp_path: Path) -> None:
    big = bytes(INLINE_MAX)  # not a small file: left to the validator
    root = write_export(tmp_path / "run", {**BINARY, "data/big.bin": big})
    got = hashed_entries(root)
    for path, data in BINARY.items():
        assert got[path] == (len(data), hashlib.sha256(data).hexdigest())
    assert got["data/big.bin"] is None
    assert got["rex.json"] is not None  # read too, though nothing asks for it


def test_the_child_refuses_what_the_walk_refuses(tmp_path: Path) -> None:
    root = write_export(tmp_path / "run", dict(BINARY))
    (root / "data" / "link.bin").symlink_to(root / "data" / "00" / "part-000.bin")
    os.link(root / "data" / "01" / "part-001.bin", root / "data" / "hard.bin")
    os.mkfifo(root / "data" / "pipe")
    (root / "data" / "CON.bin").write_bytes(b"reserved")
    (root / "data" / "x\x1b.bin").write_bytes(b"control")
    with open_source(root) as source:
        source.read_ahead(INLINE_MAX)  # type: ignore[attr-defined]
        finished(source.ahead)  # type: ignore[attr-defined]
        entries = {e.path: e for e in source.entries()}
    for name in ("data/CON.bin", "data/x\x1b.bin", "data/hard.bin",
                 "data/01/part-001.bin"):  # a second link makes both names hardlinks
        assert entries[name].hashed is None, name
    assert entries["data/link.bin"].kind == "symlink"
    assert entries["data/pipe"].kind == "fifo"
    assert entries["data/hard.bin"].kind == "hardlink"


def test_tampering_is_found_through_the_child(tmp_path: Path, started: Started) -> None:
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
    alone = validate(root, jobs=1)
    ahead = validate(root, jobs=2)
    assert len(started.handles) == 1
    assert where(ahead) == where(alone)
    assert [f.message for f in ahead.findings] == [f.message for f in alone.findings]
    assert set(where(ahead)) == {
        ("REX-I102", "rex.json", f"/files/{position(manifest, changed)}/digests/sha256"),
        ("REX-I101", "rex.json", f"/files/{position(manifest, grown)}/size"),
        ("REX-I101", "rex.json", f"/files/{position(manifest, shrunk)}/size"),
        ("REX-C103", "data/unlisted.bin", ""),
        ("REX-C102", "rex.json", f"/files/{position(manifest, gone)}/path"),
    }
    assert (ahead.files_checked, ahead.bytes_checked) == (alone.files_checked,
                                                          alone.bytes_checked)


def test_the_child_is_gone_when_validation_returns(tmp_path: Path, started: Started) -> None:
    root = write_export(tmp_path / "run", dict(BINARY))
    assert validate(root, jobs=2).valid
    assert [reaped(h.pid) for h in started.handles] == [True]


def test_a_child_that_dies_leaves_the_work_to_the_validator(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_export(tmp_path / "run", dict(BINARY))
    (root / sorted(BINARY)[5]).write_bytes(b"tampered")
    original = readahead.ReadAhead.start.__func__  # type: ignore[attr-defined]

    def killed(cls: type[readahead.ReadAhead], *args: Any, **kwargs: Any) -> Any:
        handle = original(cls, *args, **kwargs)
        assert handle is not None
        os.kill(handle.pid, 9)
        os.waitpid(handle.pid, 0)
        return handle

    monkeypatch.setattr(readahead.ReadAhead, "start", classmethod(killed))
    assert where(validate(root, jobs=2)) == where(validate(root, jobs=1))
    assert "REX-I101" in {f.code for f in validate(root, jobs=2).findings}


def test_no_child_while_other_threads_run(tmp_path: Path, started: Started) -> None:
    root = write_export(tmp_path / "run", dict(BINARY))
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert validate(root, jobs=2).valid
    finally:
        stop.set()
        thread.join()
    assert started.handles == []  # a fork would copy this process with a thread missing


def test_no_child_for_one_job_or_without_digests(tmp_path: Path, started: Started) -> None:
    root = write_export(tmp_path / "run", dict(BINARY))
    assert validate(root, jobs=1).valid
    assert validate(root, jobs=2, ignore=("integrity",)).valid
    assert validate(root / "rex.json", jobs=2).exit_code == 0
    assert started.handles == []


def test_records_name_their_path_with_a_secret_key() -> None:
    one, two = readahead._path_hasher(b"k" * 16), readahead._path_hasher(b"j" * 16)
    assert readahead._path_id(one, "data/a.bin") != readahead._path_id(two, "data/a.bin")
    assert readahead._path_id(one, "data/a.bin") != readahead._path_id(one, "data/b.bin")


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES
                                  if c.container == "dir" and not c.slow])
def test_hostile_directories_give_the_same_findings(case: Case, tmp_path: Path) -> None:
    target = case.make(tmp_path)
    options = dict(case.options)
    alone = validate(target, jobs=1, **options)
    ahead = validate(target, jobs=2, **options)
    assert where(ahead) == where(alone)
    assert ahead.exit_code == alone.exit_code == case.exit_code
