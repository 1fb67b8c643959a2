"""The fast paths of the tar.gz reader: a helper process inflating ahead, header decoding."""

from __future__ import annotations

import functools
import gc
import gzip
import os
import random
import select
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from helpers.archives import Member, gzip_bytes, tar_bytes, tar_header
from helpers.sources import read_all
from hostile.cases import CASES, Case
from hostile.model import base, write
from rexport.sources import gzip_child, gzip_feed, gzip_helper, open_source
from rexport.sources.base import TRAILING_SCAN, ContainerError
from rexport.sources.tar_headers import parse_header

GZ_CASES = [pytest.param(c, id=c.id, marks=[pytest.mark.slow] if c.slow else [])
            for c in CASES if c.container == "tar.gz" and c.source_level and c.exit_code != 2]


class Spawned:
    """Every helper process started while the test runs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.processes: list[subprocess.Popen[bytes]] = []
        original = subprocess.Popen
        spawned = self

        class Recording(original):  # type: ignore[valid-type,misc]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                spawned.processes.append(self)

        monkeypatch.setattr(subprocess, "Popen", Recording)


@pytest.fixture(name="helper")
def helper_fixture(monkeypatch: pytest.MonkeyPatch) -> Spawned:
    """Every .tar.gz, however small, is inflated by a helper process."""
    return helper(monkeypatch)


def helper(monkeypatch: pytest.MonkeyPatch) -> Spawned:
    if not gzip_child._child_possible():
        pytest.skip("no helper process here (platform, interpreter or a single core)")
    monkeypatch.setattr(gzip_child, "CHILD_MIN", 0)
    return Spawned(monkeypatch)


@pytest.mark.parametrize("case", GZ_CASES)
def test_helper_finds_what_the_reader_in_process_finds(case: Case, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    target = case.make(tmp_path)
    in_process = read_all(target, **case.options)
    spawned = helper(monkeypatch)
    through_helper = read_all(target, **case.options)
    assert spawned.processes, "the helper was not used"
    assert through_helper == in_process
    assert all(p.returncode is not None for p in spawned.processes)


def _log_text(size: int) -> bytes:
    rng = random.Random(3)
    lines = [f"step {i} loss=0.{rng.randrange(10**6):06d}\n" for i in range(size // 20)]
    return "".join(lines).encode()[:size]


def test_helper_reads_a_large_export_exactly(helper: Spawned, tmp_path: Path) -> None:
    rng = random.Random(5)
    export = base().plus(
        Member("data/random.bin", rng.randbytes(5 << 20)),  # more than a pipe holds
        Member("data/zeros-small.bin", bytes(1 << 20)),  # at the ratio floor: spared
        Member("logs/train.log", _log_text(6 << 20)),  # repetitive, far below the cap
        *(Member(f"data/small/{i:03d}.bin", rng.randbytes(rng.randrange(1, 9000)))
          for i in range(300)))
    files, codes = read_all(write(export, "tar.gz", tmp_path))
    assert codes == []
    expected = {str(m.name): m.data for m in export.members if m.kind == "file"}
    assert files == expected | {"rex.json": files["rex.json"]}
    assert len(helper.processes) == 1


def _batches(reader: gzip_child.LocalReader | gzip_child.ChildReader
             ) -> tuple[list[tuple[bytes, list[int], list[int]]], str, bool]:
    out = []
    error = ""
    try:
        while (batch := reader.next()) is not None:
            data, size, ends, prices = batch
            out.append((bytes(data[:size]), ends, prices))
    except (gzip_helper.InflateError, OSError) as exc:
        error = type(exc).__name__
    finally:
        reader.close()
    return out, error, reader.trailing


@functools.lru_cache(maxsize=1)
def _streams() -> dict[str, bytes]:
    rng = random.Random(9)
    data = rng.randbytes(3 << 20) + bytes(4 << 20) + _log_text(2 << 20)
    whole = gzip.compress(data, compresslevel=1, mtime=0)
    return {
        "members-and-padding": (gzip.compress(data[:1 << 20], compresslevel=1, mtime=0)
                                + gzip.compress(data[1 << 20:], compresslevel=1, mtime=0)
                                + bytes(5000)),
        "trailing-junk": whole + b"junk",
        "truncated": whole[:len(whole) // 2],
        "bad-crc": whole[:-8] + bytes([whole[-8] ^ 1]) + whole[-7:],
        "not-gzip-inside": whole[:20] + b"\xff" * 64 + whole[84:],
    }


@pytest.mark.parametrize("name", sorted(_streams()))
def test_helper_batches_and_prices_equal_the_in_process_ones(name: str, tmp_path: Path,
                                                             helper: Spawned) -> None:
    path = tmp_path / "stream.gz"
    path.write_bytes(_streams()[name])
    with open(path, "rb", buffering=0) as fp:
        local = _batches(gzip_child.LocalReader(fp, TRAILING_SCAN))
    with open(path, "rb", buffering=0) as fp:
        reader = gzip_child.ChildReader(fp, TRAILING_SCAN)
        select.select([helper_pipe(helper)], [], [], 10)  # every batch from the helper
        child = _batches(reader)
    assert child == local
    assert [bool(local[1]), local[2]] == {
        "members-and-padding": [False, False], "trailing-junk": [False, True],
        "truncated": [True, False], "bad-crc": [True, False],
        "not-gzip-inside": [True, False]}[name]
    # every compressed byte of the gzip members is in some piece's price, once
    if name == "members-and-padding":
        assert sum(prices[-1] for _, _, prices in local[0]) == len(_streams()[name]) - 5000


# what a helper may do wrong before it takes over: never start, die half-way through a
# frame, or send batches other than those already served
_BAD_HELPERS = {
    "silent": "pass",
    "cut-short": "import sys; sys.stdout.buffer.write(b'B'); sys.stdout.flush()",
    "disagreeing": ("import struct, sys; sys.stdout.buffer.write(b'B' + struct.pack("
                    "'<II', 1, 10) + struct.pack('<2Q', 10, 3) + bytes(10)); "
                    "sys.stdout.flush()"),
}


@pytest.mark.parametrize("bad", sorted(_BAD_HELPERS))
def test_a_failing_helper_is_replaced_by_the_reader(bad: str, helper: Spawned, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    script = _BAD_HELPERS[bad]
    monkeypatch.setattr(gzip_child, "_command", lambda fd, scan: [sys.executable, "-c", script])
    rng = random.Random(11)
    export = base().plus(*(Member(f"data/{i}.bin", rng.randbytes(200_000)) for i in range(20)))
    path = write(export, "tar.gz", tmp_path)
    with open_source(path) as source:
        assert source.manifest_bytes() is not None
        helper.processes[0].wait()  # it has said all it will say
        files = {e.path: e.open().read() for e in source.entries() if e.kind == "file"}
        assert source.findings == []
    assert files == {str(m.name): m.data for m in export.members if m.kind == "file"} | {
        "rex.json": files["rex.json"]}


def test_a_helper_dying_after_it_took_over_leaves_the_archive_unreadable(
        helper: Spawned, tmp_path: Path) -> None:
    rng = random.Random(13)
    # more output than the pipe and the helper's queue hold: it is still at work
    export = base().plus(*(Member(f"data/{i}.bin", rng.randbytes(1 << 20)) for i in range(24)))
    path = tmp_path / "export.tar.gz"
    path.write_bytes(gzip.compress(tar_bytes(export), compresslevel=1, mtime=0))
    with open_source(path) as source:
        assert source.manifest_bytes() is not None
        entries = source.entries()
        select.select([helper_pipe(helper)], [], [], 10)  # it has output: it takes over
        while next(entries).path != "data/4.bin":
            pass  # a few MiB read: the helper serves them
        helper.processes[0].kill()
        walked = [e.path for e in entries]
        codes = [f.code for f in source.findings]
    assert "REX-U103" in codes and len(walked) < 19


def helper_pipe(spawned: Spawned) -> int:
    stdout = spawned.processes[-1].stdout
    assert stdout is not None
    return stdout.fileno()


def test_closing_early_stops_the_helper(helper: Spawned, tmp_path: Path) -> None:
    # more output than the pipe and the helper's queue hold: the helper is still at work
    export = base().plus(Member("data/zeros.bin", bytes(24 << 20)))
    path = write(export, "tar.gz", tmp_path)
    with open_source(path) as source:
        assert source.manifest_bytes() is not None
    assert len(helper.processes) == 1 and helper.processes[0].returncode is not None
    source = open_source(path)
    assert source.manifest_bytes() is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # the file left open on purpose
        del source
        gc.collect()
    assert len(helper.processes) == 2 and helper.processes[1].returncode is not None


def test_small_archives_are_inflated_in_process(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    spawned = Spawned(monkeypatch)
    files, codes = read_all(write(base(), "tar.gz", tmp_path))
    assert codes == [] and "rex.json" in files
    assert spawned.processes == []


@pytest.mark.parametrize("layout", [b"%06o\0 ", b"%07o\0", b"%06o  ", b"  %05o\0", b"%o\0"])
def test_every_checksum_layout_is_read(layout: bytes) -> None:
    block = bytearray(tar_header(b"data/a.txt", 5))
    block[148:156] = b" " * 8
    block[148:156] = (layout % sum(block)).ljust(8, b"\0")[:8]
    assert parse_header(bytes(block)).name == "data/a.txt"
    block[0] ^= 1  # one bit of the name changed
    with pytest.raises(ContainerError) as caught:
        parse_header(bytes(block))
    assert caught.value.code == "REX-X118"


def test_headers_of_a_real_tar_gz_cost_no_member_reads(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # walking without opening members skips their data in place: nothing is copied out
    export = base().plus(*(Member(f"data/{i:03d}.bin", os.urandom(5000)) for i in range(200)))
    path = tmp_path / "export.tar.gz"
    path.write_bytes(gzip_bytes(tar_bytes(export)))
    copied: list[int] = []
    original = gzip_feed.GzipFeed.read

    def counting(self: gzip_feed.GzipFeed, n: int) -> bytes:
        copied.append(n)
        return original(self, n)

    monkeypatch.setattr(gzip_feed.GzipFeed, "read", counting)
    with open_source(path) as source:
        source.manifest_bytes()
        copied.clear()
        kinds = [e.kind for e in source.entries()]
        assert source.findings == []
    assert kinds.count("file") == 1 + sum(m.kind == "file" for m in export.members)
    # headers, extended headers and the end-of-archive look: never a member's bytes
    assert max(copied) <= max(512, TRAILING_SCAN + 1)
    assert sum(n for n in copied if n != TRAILING_SCAN + 1) < 200 * 3 * 1024
