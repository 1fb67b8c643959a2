"""Packer determinism: same inputs, same bytes, whatever the folder, clock, umask or mtimes."""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import re
import tarfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rexport.pack.files import Request, pack

FILES = {
    "code/train.py": b"print('train')\n",
    "code/run.sh": b"#!/bin/sh\npython train.py\n",
    "code/lib/\u00e9t\u00e9.py": b"X = 1\n",
    "code/lib/Zebra.py": b"Z = 2\n",
    "data/iris.csv": b"a,b\n1,2\n" * 500,
    "config.yaml": b"seed: 7\nlr: 0.1\n",
    "metrics.json": b'{"metrics": [{"name": "accuracy", "value": 0.93, "split": "test"}]}',
    "model.bin": bytes(range(256)) * 64,
}


def make_inputs(root: Path, *, order_seed: int, mtime: float) -> Path:
    """Write FILES under root in a shuffled order, with the given mtimes."""
    names = list(FILES)
    random.Random(order_seed).shuffle(names)
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(FILES[name])
        os.utime(path, (mtime, mtime))
    (root / "code/run.sh").chmod(0o755)
    return root


def request(root: Path, out: Path) -> Request:
    return Request(out=out, code=root / "code", data=[root / "data/iris.csv"],
                   config=root / "config.yaml", metrics=root / "metrics.json",
                   artifacts=[root / "model.bin"], git=False)


@pytest.fixture
def umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _pack_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
                ) -> tuple[bytes, bytes, str, str]:
    outputs = []
    real_time = time.time
    for run, (mask, shift, mtime) in enumerate([(0o022, 0, 1e9), (0o077, 3600, 1.7e9)]):
        folder = tmp_path / "first" if run == 0 else tmp_path / "second" / "deeper"
        root = make_inputs(folder, order_seed=run, mtime=mtime)
        os.umask(mask)
        monkeypatch.setattr(time, "time", lambda s=shift: real_time() + s)
        monkeypatch.chdir(root if run else tmp_path)
        written = pack(request(root, tmp_path / f"out{run}{suffix}"))
        outputs.append((written.path.read_bytes(), written.export_digest))
    return outputs[0][0], outputs[1][0], outputs[0][1], outputs[1][1]


@pytest.mark.parametrize("suffix", [".tar.gz", ".zip", ".tar"])
def test_same_inputs_give_identical_archives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             umask: None, suffix: str) -> None:
    first, second, digest1, digest2 = _pack_twice(tmp_path, monkeypatch, suffix)
    assert first == second
    assert digest1 == digest2


def test_directory_exports_are_identical(tmp_path: Path, umask: None) -> None:
    trees = []
    for run in range(2):
        os.umask(0o022 if run else 0o027)
        root = make_inputs(tmp_path / f"in{run}", order_seed=run + 5, mtime=1e9 + run * 999)
        out = pack(request(root, tmp_path / f"out{run}")).path
        trees.append({p.relative_to(out).as_posix(): (p.read_bytes(), p.stat().st_mode & 0o777,
                                                      int(p.stat().st_mtime))
                      for p in sorted(out.rglob("*")) if p.is_file()})
    assert trees[0] == trees[1]
    assert trees[0]["code/run.sh"][1] == 0o755
    assert trees[0]["code/train.py"][1] == 0o644


def test_no_local_path_is_recorded(tmp_path: Path) -> None:
    root = make_inputs(tmp_path / "secret-folder-name", order_seed=1, mtime=1e9)
    out = pack(request(root, tmp_path / "out")).path
    for path in out.rglob("*"):
        if path.is_file():
            assert b"secret-folder-name" not in path.read_bytes(), path
            assert os.fsencode(tmp_path) not in path.read_bytes(), path


def test_source_date_epoch_sets_every_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = make_inputs(tmp_path / "in", order_seed=0, mtime=1e9)
    tgz = pack(request(root, tmp_path / "out.tgz")).path
    with tarfile.open(tgz) as tar:
        members = tar.getmembers()
        manifest = json.loads(tar.extractfile("rex.json").read())  # type: ignore[union-attr]
    assert manifest["created"] == "2023-11-14T22:13:20Z"
    assert {m.mtime for m in members} == {1_700_000_000}
    archive = zipfile.ZipFile(pack(request(root, tmp_path / "out.zip")).path)
    assert {i.date_time for i in archive.infolist()} == {(2023, 11, 14, 22, 13, 20)}


def test_without_any_time_source_the_fixed_epoch_is_used(tmp_path: Path) -> None:
    root = make_inputs(tmp_path / "in", order_seed=0, mtime=1e9)
    out = pack(request(root, tmp_path / "out")).path
    assert json.loads((out / "rex.json").read_bytes())["created"] == "1980-01-01T00:00:00Z"


def test_canonical_tar_form(tmp_path: Path) -> None:
    root = make_inputs(tmp_path / "in", order_seed=3, mtime=1e9)
    data = pack(request(root, tmp_path / "out.tar.gz")).path.read_bytes()
    # gzip header: magic, deflate, no flags (so no file name), mtime 0, XFL 0, OS unknown
    assert data[:10] == bytes.fromhex("1f8b08000000000000ff")
    raw = gzip.decompress(data)
    assert raw[257:265] == b"ustar\x0000"
    assert len(raw) % 10240 == 0 and raw[-1024:] == bytes(1024)
    assert re.findall(rb"\n?[0-9]+ ([a-z.]+)=", raw) == [b"path"]  # one pax record in all
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names[0] == "rex.json"
    assert names[1:] == sorted(names[1:], key=lambda n: n.encode("utf-8"))
    assert "code/lib/\u00e9t\u00e9.py" in names
    for member in members:
        assert member.isfile()
        assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, "", "")
        assert member.mtime == 315_532_800
        # pax records only where ustar cannot hold the name (spec PKG-08)
        assert member.pax_headers == ({"path": member.name} if not member.name.isascii()
                                      else {})
        expected = 0o755 if member.name.endswith(".sh") else 0o644
        assert member.mode == expected, member.name


def test_canonical_zip_form(tmp_path: Path) -> None:
    root = make_inputs(tmp_path / "in", order_seed=4, mtime=1e9)
    with zipfile.ZipFile(pack(request(root, tmp_path / "out.zip")).path) as archive:
        infos = archive.infolist()
        assert archive.comment == b""
    names = [i.filename for i in infos]
    assert names[0] == "rex.json"
    assert names[1:] == sorted(names[1:], key=lambda n: n.encode("utf-8"))
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.extra == b""
        assert info.create_system == 3
        assert info.compress_type == zipfile.ZIP_DEFLATED
        mode = 0o755 if info.filename.endswith(".sh") else 0o644
        assert info.external_attr == (0o100000 | mode) << 16, info.filename


def test_format_follows_the_suffix(tmp_path: Path) -> None:
    root = make_inputs(tmp_path / "in", order_seed=0, mtime=1e9)
    assert pack(request(root, tmp_path / "a.tgz")).format == "tar.gz"
    assert pack(request(root, tmp_path / "a.tar")).format == "tar"
    assert pack(request(root, tmp_path / "a.zip")).format == "zip"
    assert pack(request(root, tmp_path / "a.d")).format == "dir"
    forced = request(root, tmp_path / "b.out")
    forced.format = "zip"
    assert zipfile.is_zipfile(pack(forced).path)


@pytest.mark.parametrize("suffix", ["", ".tar"])
def test_the_number_of_jobs_changes_no_byte(tmp_path: Path, umask: None, suffix: str) -> None:
    root = make_inputs(tmp_path / "in", order_seed=2, mtime=1e9)
    (root / "data/big.bin").write_bytes(random.Random(5).randbytes(3 << 20))
    outputs = []
    for jobs in (1, 2, 8):
        req = replace(request(root, tmp_path / f"out{jobs}{suffix}"), data=[root / "data"],
                      jobs=jobs)
        path = pack(req).path
        outputs.append(_tree(path) if path.is_dir() else path.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    assert "data/data/big.bin" in outputs[0] if not suffix else len(outputs[0]) > 3 << 20


def _tree(out: Path) -> dict[str, tuple[bytes, int, int]]:
    return {p.relative_to(out).as_posix(): (p.read_bytes(), p.stat().st_mode & 0o777,
                                            int(p.stat().st_mtime))
            for p in sorted(out.rglob("*")) if p.is_file()}


def test_cloned_files_give_the_same_directory(tmp_path: Path, umask: None,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # where the file system clones files (a reflink), a local file is cloned and only read
    # to be hashed; the export is the same to the byte
    from rexport.pack import writers

    root = make_inputs(tmp_path / "in", order_seed=3, mtime=1e9)
    written = pack(request(root, tmp_path / "written")).path
    cloned: list[Path] = []

    def fake_clone(source: Path, dst: Any) -> bool:
        dst.write(source.read_bytes())  # what a reflink gives, without the file system's help
        cloned.append(source)
        return True

    monkeypatch.setattr(writers, "clone", fake_clone)
    out = pack(request(root, tmp_path / "cloned")).path
    assert {p.name for p in cloned} >= {"model.bin", "iris.csv", "train.py", "run.sh"}
    assert _tree(out) == _tree(written)


def test_a_file_changed_after_its_clone_is_refused(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from rexport.pack import PackError, writers

    root = make_inputs(tmp_path / "in", order_seed=3, mtime=1e9)

    def racing_clone(source: Path, dst: Any) -> bool:
        dst.write(source.read_bytes())
        if source.name == "model.bin":
            with open(source, "ab") as fp:  # changed between the clone and its hashing
                fp.write(b"late")
        return True

    monkeypatch.setattr(writers, "clone", racing_clone)
    with pytest.raises(PackError, match="changed while it was being packed"):
        pack(request(root, tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_files_are_not_cloned_where_the_file_system_cannot(tmp_path: Path) -> None:
    from rexport.pack import writers

    source = tmp_path / "a.bin"
    source.write_bytes(b"x" * 100)
    with open(tmp_path / "b.bin", "xb") as dst:
        cloned = writers.clone(source, dst)
    # a reflink or nothing: never a partial copy
    assert (tmp_path / "b.bin").read_bytes() == (b"x" * 100 if cloned else b"")


def test_the_self_check_is_compiled_while_the_files_are_hashed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rexport.pack import build, hashing
    from rexport.schema import validators

    validators.rs_validator.cache_clear()
    seen: list[tuple[int, int]] = []
    real = hashing.hash_members

    def hash_members(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        seen.append((len(found), validators.rs_validator.cache_info().currsize))
        return found

    monkeypatch.setattr(build, "hash_members", hash_members)
    root = make_inputs(tmp_path / "in", order_seed=1, mtime=1e9)
    pack(Request(out=tmp_path / "out", code=root / "code", data=(root / "data",),
                 metrics=root / "metrics.json", git=False))
    assert seen[0][0] > 0 and seen[0][1] == 2  # both schema variants, before the check
