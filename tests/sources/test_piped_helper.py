"""A .tar.gz read from a stream (a URL) is inflated by the helper process through a pipe: the
same batches, prices and findings as in this process, and the stream's own failures."""

from __future__ import annotations

import io
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers.archives import Member
from hostile.model import base, write
from rexport.sources import gzip_child, remote
from rexport.sources.base import TRAILING_SCAN
from rexport.sources.pipe_feed import PipeFeed
from rexport.sources.remote_io import RemoteError
from sources.test_sources_perf import Spawned, _batches, _streams


class Flaky(io.RawIOBase):
    """``data`` as a forward-only stream without a descriptor, in short reads; from
    ``fail_at`` on, every read fails as a lost connection does."""

    def __init__(self, data: bytes, fail_at: int | None = None) -> None:
        super().__init__()
        self._data = data
        self._pos = 0
        self._fail_at = fail_at

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self._fail_at is not None and self._pos >= self._fail_at:
            raise RemoteError("REX-U103", "the connection was reset")
        n = min(size if size is not None and size >= 0 else 1 << 20, 100_000)
        chunk = self._data[self._pos:self._pos + n]
        self._pos += len(chunk)
        return chunk


@pytest.fixture(name="spawned")
def spawned_fixture(monkeypatch: pytest.MonkeyPatch) -> Spawned:
    if not gzip_child._child_possible():
        pytest.skip("no helper process here (platform, interpreter or a single core)")
    return Spawned(monkeypatch)


@pytest.mark.parametrize("name", sorted(_streams()))
def test_piped_batches_and_prices_equal_the_in_process_ones(name: str,
                                                            spawned: Spawned) -> None:
    data = _streams()[name]
    local = _batches(gzip_child.LocalReader(Flaky(data), TRAILING_SCAN))
    stream = Flaky(data)
    piped = _batches(gzip_child.ChildReader(stream, TRAILING_SCAN, PipeFeed(stream)))
    assert piped == local
    assert len(spawned.processes) == 1 and spawned.processes[0].returncode is not None


def _remote_findings(path: Path, fail_at: int | None, monkeypatch: pytest.MonkeyPatch
                     ) -> tuple[dict[str, bytes | str], list[tuple[str, str, str]]]:
    """What a walk over the archive at ``path`` served as a stream reads ({path: content, or
    the code of the error met reading it}) and finds."""
    data = path.read_bytes()
    monkeypatch.setattr(remote, "open_stream", lambda fs, key: Flaky(data, fail_at))
    source = remote.RemoteTarSource("s3://bucket/export.tar.gz", None, "bucket/export.tar.gz",
                                    gz=True, max_files=10_000, max_bytes=1 << 40)
    files: dict[str, bytes | str] = {}
    with source:
        assert source.manifest_bytes() is not None
        for entry in source.entries():
            if entry.kind == "file":
                try:
                    files[entry.path] = entry.open().read()
                except RemoteError as exc:  # as the payload pass reports it, for this member
                    files[entry.path] = exc.code
    return files, [(f.code, f.file, f.message) for f in source.findings]


@pytest.mark.parametrize("fail_at", [None, 1 << 20, 5 << 20], ids=["whole", "early", "late"])
def test_a_stream_reads_alike_through_the_helper_and_here(
        fail_at: int | None, spawned: Spawned, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(17)
    export = base().plus(*(Member(f"data/{i}.bin", rng.randbytes(400_000)) for i in range(20)))
    path = write(export, "tar.gz", tmp_path)
    piped = _remote_findings(path, fail_at, monkeypatch)
    assert len(spawned.processes) == 1  # rex.json first: one pass
    assert all(p.returncode is not None for p in spawned.processes)
    monkeypatch.setattr(gzip_child, "_child_possible", lambda: False)
    here = _remote_findings(path, fail_at, monkeypatch)
    assert len(spawned.processes) == 1
    assert piped == here
    files, findings = piped
    expected = {str(m.name): m.data for m in export.members if m.kind == "file"}
    if fail_at is None:
        assert findings == [] and files == expected | {"rex.json": files["rex.json"]}
    else:
        # the stream's failure (not a corrupt gzip stream, which is all the helper saw) for
        # the member being read, which is then cut short, and no member after it
        failed = [name for name, data in files.items() if data == "REX-U103"]
        assert len(failed) == 1 and list(files)[-1] == failed[0]
        assert findings == [("REX-X118", failed[0], "the archive is truncated inside a member")]
        assert len(files) < len(expected)


def test_a_helper_that_cannot_start_leaves_the_stream_to_this_process(
        spawned: Spawned, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: Any, **kwargs: Any) -> None:
        raise OSError("no more processes")

    monkeypatch.setattr(subprocess, "Popen", refused)
    export = base().plus(Member("data/a.bin", b"a" * 5000))
    path = write(export, "tar.gz", tmp_path)
    files, findings = _remote_findings(path, None, monkeypatch)
    assert findings == [] and files["data/a.bin"] == b"a" * 5000
