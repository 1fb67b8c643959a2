"""Every inflater rexport may use (ISA-L's, zlib-ng's, the standard library's) judges a .tar.gz
alike: the same findings on a good archive, a corrupt one, a truncated one and a bomb."""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from helpers.archives import Member, gzip_bytes, tar_bytes
from helpers.exports import build_manifest, manifest_bytes, where
from rexport.sources import gzip_feed, gzip_helper
from rexport.validation import validate

FILES = {"code/train.py": b"print('x')\n" * 50, "data/values.csv": b"a,b\n1,2\n" * 4000}


def _modules() -> list[ModuleType]:
    found = [zlib]
    for name in gzip_helper.INFLATERS:
        try:
            found.append(importlib.import_module(name))
        except ImportError:
            continue
    return found


@pytest.fixture(params=_modules(), ids=lambda m: m.__name__)
def inflater(request: pytest.FixtureRequest) -> Iterator[ModuleType]:
    module: ModuleType = request.param
    gzip_helper.use_inflater(module)
    try:
        yield module
    finally:
        gzip_helper.use_inflater(gzip_feed.INFLATER)


def _archive(files: dict[str, bytes], extra: list[Member] | None = None) -> bytes:
    members = [Member("rex.json", manifest_bytes(build_manifest(files)))]
    members += [Member(name, data) for name, data in files.items()]
    return gzip_bytes(tar_bytes(members + (extra or [])))


def _findings(tmp_path: Path, data: bytes) -> list[tuple[str, str, str]]:
    path = tmp_path / "run.tar.gz"
    path.write_bytes(data)
    return where(validate(path))


def test_the_fastest_installed_inflater_is_used_and_named_to_the_helper() -> None:
    modules = _modules()
    assert gzip_feed.INFLATER is modules[1 if len(modules) > 1 else 0]
    command = gzip_feed._command(7, 100)
    if gzip_feed.INFLATER is not zlib:
        # the helper is told the module and where it lives (it runs without site-packages)
        assert command[-1] == gzip_feed.INFLATER.__name__
        assert Path(command[-2], gzip_feed.INFLATER.__name__.split(".")[0]).is_dir()


def test_a_good_archive_is_valid(inflater: ModuleType, tmp_path: Path) -> None:
    assert _findings(tmp_path, _archive(FILES)) == []


def test_corruption_truncation_and_a_bomb_are_judged_alike(inflater: ModuleType,
                                                          tmp_path: Path) -> None:
    good = bytearray(_archive(FILES))
    good[len(good) // 2] ^= 0xFF  # inside the deflate stream
    assert ("REX-X118", "run.tar.gz", "") in _findings(tmp_path, bytes(good))
    truncated = _archive(FILES)[:-100]
    assert ("REX-X118", "run.tar.gz", "") in _findings(tmp_path, truncated)
    bomb = _archive(FILES, [Member("data/zeros.bin", bytes(3 << 20) * 3)])
    assert ("REX-X115", "data/zeros.bin", "") in _findings(tmp_path, bomb)
