"""The source interface over every container: same entries, streaming rules, threads, caps."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers.archives import CONTAINERS, Member, gzip_bytes, tar_bytes
from hostile.model import Export, base, write
from rexport.sources import Entry, InputError, Source, open_source
from rexport.sources.tar import TarSource

KIND = {"dir": "directory", "tar": "tar", "tar.gz": "tar.gz", "zip": "zip"}


def sample() -> Export:
    return base().plus(Member("data/iris.csv", b"5.1,3.5,1.4,0.2,setosa\n" * 300),
                       Member("data/empty.txt", b""),
                       Member("data/big.bin", os.urandom(3 << 20)),
                       Member("data/sub", kind="dir"))


def listing(source: Source) -> dict[str, tuple[str, int, str]]:
    """{path: (kind, size, sha256 of the content)} of every entry but directories."""
    out = {}
    for entry in source.entries():
        if entry.kind == "dir":
            continue
        digest = ""
        if entry.kind == "file":
            with entry.open() as fp:
                digest = hashlib.sha256(fp.read()).hexdigest()
        out[entry.path] = (entry.kind, entry.size, digest)
    return out


@pytest.mark.parametrize("container", CONTAINERS)
def test_every_container_gives_the_same_entries(container: str, tmp_path: Path) -> None:
    export = sample()
    reference = {m.name: ("file", len(m.data), hashlib.sha256(m.data).hexdigest())
                 for m in export.members if m.kind == "file"}
    with open_source(write(export, container, tmp_path)) as source:
        assert source.container == KIND[container]
        assert source.random_access is (container != "tar.gz")
        manifest = source.manifest_bytes()
        got = listing(source)
        assert source.findings == []
    assert manifest is not None and manifest.startswith(b"{")
    assert got.pop("rex.json") == ("file", len(manifest), hashlib.sha256(manifest).hexdigest())
    assert got == reference


@pytest.mark.parametrize("container", CONTAINERS)
def test_directories_are_entries_of_kind_dir(container: str, tmp_path: Path) -> None:
    with open_source(write(sample(), container, tmp_path)) as source:
        dirs = {e.path for e in source.entries() if e.kind == "dir"}
    assert "data/sub" in dirs
    assert all(not d.endswith("/") and not d.startswith("./") for d in dirs)


def test_standard_tools_make_valid_containers(tmp_path: Path) -> None:
    """`tar -C run -czf run.tgz .` and `cd run && zip -r ../run.zip .`: "./" and dirs go."""
    run = write(sample(), "dir", tmp_path, "run")
    made = []
    if shutil.which("tar"):
        subprocess.run(["tar", "-C", str(run), "-czf", str(tmp_path / "run.tgz"), "."],
                       check=True)
        subprocess.run(["tar", "-C", str(run), "-cf", str(tmp_path / "run.tar"), "."],
                       check=True)
        made += [tmp_path / "run.tgz", tmp_path / "run.tar"]
    if shutil.which("zip"):
        subprocess.run(["zip", "-qr", "../run.zip", "."], cwd=run, check=True)
        made.append(tmp_path / "run.zip")
    if not made:
        pytest.skip("neither tar nor zip is installed")
    with open_source(run) as source:
        expected = listing(source)
    for archive in made:
        with open_source(archive) as source:
            assert listing(source) == expected, archive.name
            assert source.findings == []


def test_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError) as missing:
        open_source(tmp_path / "nope.zip")
    assert missing.value.code == "REX-U101"
    os.mkfifo(tmp_path / "pipe.tar.gz")
    with pytest.raises(InputError) as fifo:
        open_source(tmp_path / "pipe.tar.gz")  # never opened: it would block
    assert fifo.value.code == "REX-U102"
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError) as unknown:
        open_source(tmp_path / "notes.txt")
    assert unknown.value.code == "REX-U102"


def test_container_sniffed_when_the_name_says_nothing(tmp_path: Path) -> None:
    data = tar_bytes(base())
    for name, content, kind in (("a.bin", gzip_bytes(data), "tar.gz"), ("b.bin", data, "tar"),
                                ("c.bin", b' {"rex_version": "1.0"}', "manifest")):
        (tmp_path / name).write_bytes(content)
        with open_source(tmp_path / name) as source:
            assert source.container == kind


def test_bare_manifest(tmp_path: Path) -> None:
    path = tmp_path / "rex.json"
    path.write_bytes(b'{"rex_version": "1.0"}')
    with open_source(path) as source:
        assert source.container == "manifest"
        assert source.manifest_bytes() == b'{"rex_version": "1.0"}'
        assert list(source.entries()) == []


def test_no_manifest_gives_none(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "data.csv").write_text("x")
    os.symlink("/etc/hostname", folder / "rex.json")  # a link is never the manifest
    with open_source(folder) as source:
        assert source.manifest_bytes() is None


def _count_feeds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = TarSource._feed

    def counting(self: TarSource) -> object:
        calls.append(1)
        return original(self)

    monkeypatch.setattr(TarSource, "_feed", counting)
    return calls


def test_tar_gz_manifest_first_is_read_in_one_pass(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(sample(), "tar.gz", tmp_path)  # the writer puts rex.json first
    calls = _count_feeds(monkeypatch)
    with open_source(path) as source:
        manifest = source.manifest_bytes()
        got = listing(source)
        assert source.manifest_bytes() == manifest
    assert len(calls) == 1
    assert manifest is not None and "rex.json" in got and "data/big.bin" in got


def test_tar_gz_manifest_last_needs_a_second_pass(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    export = sample()
    files = [m for m in export.members if m.kind == "file"]
    path = tmp_path / "late.tgz"
    path.write_bytes(gzip_bytes(tar_bytes([*files, Member("./rex.json", b"{}")])))
    calls = _count_feeds(monkeypatch)
    with open_source(path) as source:
        assert source.manifest_bytes() == b"{}"
        got = listing(source)
    assert len(calls) == 2
    assert set(got) == {str(m.name) for m in export.members if m.kind == "file"} | {"rex.json"}


def test_streaming_entry_is_spent_after_the_next(tmp_path: Path) -> None:
    with open_source(write(sample(), "tar.gz", tmp_path)) as source:
        entries = source.entries()
        first: Entry | None = None
        for entry in entries:
            if entry.path == "data/iris.csv":
                first = entry
                stream = entry.open()
                assert stream.read(4) == b"5.1,"
                break
        assert first is not None
        next(entries)
        assert stream.read() == b""  # never the next member's bytes


@pytest.mark.parametrize("container", ["dir", "tar", "zip"])
def test_random_access_from_threads(container: str, tmp_path: Path) -> None:
    export = base().plus(*(Member(f"data/{i:03d}.bin", os.urandom(20_000 + i))
                           for i in range(64)))
    expected = {m.name: hashlib.sha256(m.data).hexdigest() for m in export.members}
    with open_source(write(export, container, tmp_path)) as source:
        files = [e for e in source.entries() if e.kind == "file" and e.path != "rex.json"]

        def digest(entry: Entry) -> tuple[str, str]:
            with entry.open() as fp:
                h = hashlib.sha256()
                while chunk := fp.read(4096):
                    h.update(chunk)
            return entry.path, h.hexdigest()

        with ThreadPoolExecutor(8) as pool:
            got = dict(pool.map(digest, reversed(files)))
        assert source.findings == []
    assert got == expected


@pytest.mark.parametrize("container", CONTAINERS)
def test_second_walk_repeats_no_finding(container: str, tmp_path: Path) -> None:
    export = base().plus(Member("code/TRAIN.py", b"x"), Member("data/aux.txt", b"y"))
    with open_source(write(export, container, tmp_path)) as source:
        first = [e.path for e in source.entries()]
        count = len(source.findings)
        second = [e.path for e in source.entries()]
    assert first == second
    assert count == 2 and {f.code for f in source.findings} == {"REX-X108", "REX-X111"}


@pytest.mark.parametrize("container", CONTAINERS)
def test_caps_stop_the_walk(container: str, tmp_path: Path) -> None:
    export = base().plus(*(Member(f"data/{i:03d}.txt", b"x" * 100) for i in range(50)))
    path = write(export, container, tmp_path)
    with open_source(path, max_files=10, max_bytes=2**40) as source:
        assert len(list(source.entries())) <= 10
        assert [f.code for f in source.findings] == ["REX-X113"]
    with open_source(path, max_files=1000, max_bytes=1000) as source:
        walked = [e for e in source.entries() if e.kind == "file"]
        assert sum(e.size for e in walked) <= 1000
        assert [f.code for f in source.findings] == ["REX-X114"]


def test_entry_open_refuses_non_files(tmp_path: Path) -> None:
    export = base().plus(Member("data/link", kind="symlink", target="/etc/passwd"))
    for container in CONTAINERS:
        (tmp_path / container).mkdir()
        with open_source(write(export, container, tmp_path / container)) as source:
            link = next(e for e in source.entries() if e.path == "data/link")
            assert link.kind == "symlink"
            with pytest.raises(OSError):
                link.open()


def test_unsafe_names_are_marked(tmp_path: Path) -> None:
    export = base().plus(Member("../evil.txt", b"x"), Member("ok.txt", b"y"))
    with open_source(write(export, "tar", tmp_path)) as source:
        safe = {e.path: e.safe for e in source.entries()}
    assert safe["../evil.txt"] is False and safe["ok.txt"] is True


def test_one_leading_dot_slash_is_stripped(tmp_path: Path) -> None:
    export = base().plus(Member("./data/a.txt", b"x"), Member("././data/b.txt", b"y"))
    with open_source(write(export, "zip", tmp_path)) as source:
        paths = {e.path for e in source.entries()}
        codes = {f.file: f.code for f in source.findings}
    assert {"data/a.txt", "./data/b.txt"} <= paths
    assert codes == {"./data/b.txt": "REX-X116"}


@pytest.mark.slow
def test_directory_listing_is_fast(tmp_path: Path) -> None:
    root = tmp_path / "many"
    for d in range(4):
        folder = root / "data" / f"d{d:02d}"
        folder.mkdir(parents=True)
        for i in range(500):
            fd = os.open(folder / f"f{i:03d}.bin", os.O_WRONLY | os.O_CREAT, 0o644)
            os.close(fd)
    (root / "rex.json").write_text("{}")
    started = time.perf_counter()
    with open_source(root) as source:
        count = sum(1 for _ in source.entries())
    elapsed = time.perf_counter() - started
    assert count == 2_000 + 5 + 1
    assert elapsed < 2.0  # about 0.015 s on an idle machine


class _Trickle:
    """A stream that hands out at most ``step`` bytes a read, and knows no size."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step, self.at = data, step, 0

    def read(self, n: int = -1) -> bytes:
        n = self.step if n < 0 else min(n, self.step)
        chunk = self.data[self.at:self.at + n]
        self.at += len(chunk)
        return chunk


@pytest.mark.parametrize("step", [1, 7, 1 << 20])
@pytest.mark.parametrize("size", [0, 5, 99, 100, 101, 3000])
def test_read_capped_reads_to_the_end_or_one_byte_past_the_cap(step: int, size: int) -> None:
    from rexport.sources.base import read_capped

    data = bytes(range(256)) * 12
    got = read_capped(_Trickle(data[:size], step), cap=101)
    assert got == data[:min(size, 101)]
