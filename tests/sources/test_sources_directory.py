"""The directory source's fast reads: one call for a small file, the same refusals as open."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rexport.sources import directory, open_source


def test_read_regular_reads_up_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"0123456789")
    assert directory.read_regular(str(path), 11) == b"0123456789"
    assert directory.read_regular(str(path), 4) == b"0123"
    assert directory.read_regular(str(path), 0) == b""


def test_read_regular_completes_short_reads(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(bytes(range(200)))
    real = os.read
    calls: list[int] = []

    def trickle(fd: int, n: int) -> bytes:
        calls.append(n)
        return real(fd, min(n, 7))  # a file system that reads in pieces

    monkeypatch.setattr(os, "read", trickle)
    assert directory.read_regular(str(path), 201) == bytes(range(200))
    assert directory.read_regular(str(path), 50) == bytes(range(50))
    assert len(calls) > 2


def test_read_regular_refuses_what_open_regular_refuses(tmp_path: Path) -> None:
    target = tmp_path / "target.bin"
    target.write_bytes(b"x")
    (tmp_path / "link").symlink_to(target)
    os.link(target, tmp_path / "second-name")
    os.mkfifo(tmp_path / "pipe")
    for name in ("link", "second-name", "pipe", "missing"):
        with pytest.raises(OSError):
            directory.read_regular(str(tmp_path / name), 10)  # never blocks on the FIFO
        with pytest.raises(OSError):
            directory.open_regular(str(tmp_path / name))


def test_walk_judges_names_by_listing_and_one_by_one_alike(tmp_path: Path) -> None:
    root = tmp_path / "run"
    (root / "plain").mkdir(parents=True)
    (root / "mixed").mkdir()
    for name in ("a.txt", "b.bin"):
        (root / "plain" / name).write_bytes(b"x")
    for name in ("a.txt", "CON.txt", "trailing.", "x\x1by"):
        (root / "mixed" / name).write_bytes(b"x")
    with open_source(root) as source:
        safe = {e.path: e.safe for e in source.entries()}
        codes = sorted((f.file, f.code) for f in source.findings)
    assert safe == {"plain": True, "plain/a.txt": True, "plain/b.bin": True, "mixed": True,
                    "mixed/a.txt": True, "mixed/CON.txt": False, "mixed/trailing.": False,
                    "mixed/x\x1by": False}
    assert codes == [("mixed/CON.txt", "REX-X111"), ("mixed/trailing.", "REX-X111"),
                     ("mixed/x\\x1by", "REX-X110")]
