"""Every inflater rexport may use (ISA-L's, zlib-ng's, the standard library's) judges a .tar.gz
alike: the same findings on a good archive, a corrupt one, a truncated one and a bomb."""

from __future__ import annotations

import importlib
import io
import json
import platform
import random
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from helpers.archives import Member, gzip_bytes, tar_bytes
from helpers.exports import build_manifest, manifest_bytes, where
from rexport.sources import gzip_child, gzip_feed, gzip_helper
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
    command = gzip_child._command(7, 100)
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


def test_isal_inflates_where_its_wheel_exists() -> None:
    # pyproject makes isal a dependency on these platforms: there it must be the inflater
    if platform.python_implementation() == "CPython" and platform.machine().lower() in (
            "x86_64", "amd64", "aarch64", "arm64"):
        assert gzip_feed.INFLATER.__name__ == "isal.isal_zlib"
        assert gzip_helper._ZLIB is gzip_feed.INFLATER


# In a process where neither isal nor zlib-ng can be imported: the standard library inflates,
# in this process and in the helper (whose command then names no module), and the findings
# are those of the fast inflater. The archive is large enough to be inflated by the helper.
_WITHOUT = """
import json, sys, zlib
sys.modules["isal"] = sys.modules["zlib_ng"] = None
from rexport.sources import gzip_child, gzip_feed, gzip_helper
from rexport.validation import validate
assert gzip_feed.INFLATER is zlib and gzip_helper._ZLIB is zlib
command = gzip_child._command(7, 100)
with open(sys.argv[1], "rb") as fp:
    reader = gzip_child.open_reader(fp, 100)
    reader.close()
print(json.dumps({"command": command[6:], "reader": type(reader).__name__, "findings": [
    [f.code, f.file, f.pointer] for p in sys.argv[1:] for f in validate(p).findings]}))
"""


def test_without_a_fast_inflater_the_standard_library_inflates(tmp_path: Path) -> None:
    rng = random.Random(15)
    noise = rng.randbytes(gzip_child.CHILD_MIN + (1 << 20))  # stored as it is by gzip
    large = tmp_path / "large.tar.gz"
    large.write_bytes(_archive({**FILES, "data/noise.bin": noise}))
    damaged = bytearray(_archive(FILES))
    damaged[len(damaged) // 2] ^= 0xFF
    small = tmp_path / "damaged.tar.gz"
    small.write_bytes(bytes(damaged))
    here = [[f.code, f.file, f.pointer] for p in (large, small) for f in validate(p).findings]
    done = subprocess.run([sys.executable, "-c", _WITHOUT, str(large), str(small)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    there = json.loads(done.stdout)
    assert there["command"] == []  # the helper is told of no module: zlib there too
    # the large one was inflated by the helper, where one runs (two cores or more)
    assert there["reader"] == ("ChildReader" if gzip_child._child_possible() else "LocalReader")
    assert there["findings"] == here
    assert ["REX-X118", "damaged.tar.gz", ""] in here


def _price_at(data: bytes, end: int) -> int | None:
    """The compressed bytes the inflater is charged for the output up to ``end``, when a
    piece ends there."""
    inflater = gzip_helper.Inflater(io.BytesIO(data), 0)
    out = price = 0
    while (got := inflater.pieces()) is not None:
        _, ends, prices = got
        for e, p in zip(ends, prices, strict=True):
            if out + e == end:
                return price + p
        out, price = out + ends[-1], price + prices[-1]
    return None


@pytest.mark.parametrize("pieces", [100, 700])
def test_a_member_ending_on_a_pieces_end_is_not_charged_the_next_ones_input(
        inflater: ModuleType, pieces: int) -> None:
    # zeros, then noise: an inflater that takes in input ahead of the output it may give
    # would charge the noise's bytes to the zeros' last piece, and their ratio would fall
    end = pieces * (1 << 16)
    noise = random.Random(3).randbytes(1 << 20)
    data = gzip_bytes(tar_bytes([Member("data/zeros.bin", bytes(end - 512)),
                                 Member("data/noise.bin", noise)]))
    exact = zlib.decompressobj(31)
    exact.decompress(data, end)  # zlib takes in what the output needs, a few bytes more
    needed = len(data) - len(exact.unconsumed_tail)
    price = _price_at(data, end)
    assert price is not None and needed - 64 <= price <= needed + 1024


def test_a_bomb_ending_on_a_pieces_end_is_refused(tmp_path: Path) -> None:
    # some 64 MiB of zeros deflated at 1,023:1, just over the cap, their data ending on a
    # piece's end, before noise: refused on its 64 MiB prefix and as a whole
    bomb = Member("data/zeros.bin", bytes(1031 * (1 << 16) - 512))
    data = gzip_bytes(tar_bytes([bomb, Member("data/noise.bin", random.Random(3).randbytes(
        1 << 20))]), level=9)
    path = tmp_path / "run.tar.gz"
    path.write_bytes(data)
    assert ("REX-X115", "data/zeros.bin", "") in where(validate(path))
