"""The packer's search of every byte for a private key, and its threads' share of the GIL."""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import pytest
from rexport import bytesearch
from rexport.pack import hashing
from rexport.pack.hashing import KeyTap, hash_members, holds_key
from rexport.pack.members import Member

KEY = b"-----BEGIN OPENSSH PRIVATE KEY-----"
CERTIFICATE = b"-----BEGIN CERTIFICATE-----"  # starts like a key, is none
PATTERN = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ ){0,4}PRIVATE KEY(?: BLOCK)?-----")


def test_a_false_start_does_not_hide_a_key_after_it() -> None:
    buffer = bytearray(4096)
    buffer[10:10 + len(CERTIFICATE)] = CERTIFICATE
    assert not holds_key(memoryview(buffer))
    buffer[3000:3000 + len(KEY)] = KEY
    assert holds_key(memoryview(buffer))


def test_a_view_is_searched_alone_not_the_buffer_behind_it() -> None:
    buffer = bytearray(4096)
    buffer[100:100 + len(KEY)] = KEY
    view = memoryview(buffer)
    assert not holds_key(view[200:]) and not holds_key(view[:110])
    assert holds_key(view[:200]) and holds_key(view[50:])
    assert holds_key(memoryview(bytes(buffer)))


@pytest.mark.parametrize("seed", range(20))
def test_the_search_finds_what_the_pattern_finds(seed: int) -> None:
    rng = random.Random(seed)
    data = bytearray(rng.randbytes(3 << 16))
    for _ in range(rng.randint(0, 3)):  # keys, near misses and false starts, anywhere
        piece = rng.choice([KEY, CERTIFICATE, b"-----BEGIN RSA PRIVATE KEY-----",
                            b"-----BEGIN A B C D E PRIVATE KEY-----", KEY[:-1], b"-----BEGIN "])
        at = rng.randrange(len(data) - len(piece))
        data[at:at + len(piece)] = piece
    expected = PATTERN.search(data) is not None
    assert holds_key(memoryview(data)) is expected
    # fed in chunks, as reading gives them: each the whole of a buffer, or a part of one
    size = rng.choice([1 << 10, 4099, 1 << 16])
    tap = KeyTap()
    for start in range(0, len(data), size):
        chunk = bytearray(data[start:start + size])
        tap(memoryview(chunk) if rng.random() < 0.5 else memoryview(chunk + b"--")[:len(chunk)])
    assert tap.found is expected


def buffers(rng: random.Random) -> list[bytes | bytearray | memoryview]:
    """A random buffer with some key starts in it, as bytes, bytearray and views of each."""
    data = bytearray(rng.choice(b"-BEGIN x") for _ in range(rng.randrange(0, 300)))
    start = rng.randrange(0, len(data) + 1)
    end = rng.randrange(start, len(data) + 1)
    return [bytes(data), data, memoryview(data)[start:end], memoryview(bytes(data))[start:end]]


@pytest.mark.parametrize("library", [True, False], ids=["memmem", "find"])
def test_bytesearch_finds_what_find_finds(library: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not library:
        monkeypatch.setattr(bytesearch, "_libc_memmem", lambda: None)
    rng = random.Random(7)
    for _ in range(500):
        for data in buffers(rng):
            for needle in (b"-----BEGIN ", b"-B", b"x", b""):
                assert bytesearch.find(data, needle) == bytes(data).find(needle), (data, needle)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the C library of Linux")
def test_bytesearch_searches_with_the_c_library_on_linux() -> None:
    # memmem runs without the GIL: the hashing threads' searches do not queue behind each other
    assert bytesearch._libc_memmem() is not None


def found_in(*chunks: bytes) -> bool:
    """Whether a KeyTap fed ``chunks`` one after the other, as reads give them, finds a key."""
    tap = KeyTap()
    for chunk in chunks:
        tap(memoryview(bytearray(chunk)))
    return tap.found


def cut(key: bytes, at: int) -> tuple[bytes, bytes]:
    """``key`` amid zeros, cut ``at`` bytes into it."""
    stream = bytes(1000) + key + bytes(1000)
    return stream[:1000 + at], stream[1000 + at:]


@pytest.mark.parametrize("at", range(1, len(KEY)))
def test_a_key_cut_between_two_chunks_is_found(at: int) -> None:
    assert found_in(*cut(KEY, at))


LONG_KEY = b"-----BEGIN " + b"X" * 300 + b" PRIVATE KEY-----"  # the pattern's words are unbounded


@pytest.mark.parametrize("at", [1, 11, 150, 305, len(LONG_KEY) - 1])
def test_a_long_header_cut_between_two_chunks_is_found(at: int) -> None:
    assert found_in(*cut(LONG_KEY, at))


def test_a_header_cut_over_three_chunks_is_found() -> None:
    assert found_in(bytes(500) + LONG_KEY[:100], LONG_KEY[100:200], LONG_KEY[200:] + bytes(9))


def test_a_false_start_at_a_chunks_end_finds_nothing() -> None:
    assert not found_in(bytes(100) + b"-----BEGIN CERT", b"IFICATE-----" + bytes(100))


def test_the_work_beside_the_workers_gets_brief_turns(tmp_path: Path) -> None:
    # the main thread's work while the workers hash holds the GIL between bytecodes: at
    # Python's default interval the workers would wait 5 ms for each step of their loop
    (tmp_path / "a.bin").write_bytes(bytes(1 << 16))
    seen: list[float] = []
    before = sys.getswitchinterval()
    found = hash_members([Member("data/a.bin", "data", tmp_path / "a.bin")], ["sha256"],
                         jobs=2, meanwhile=lambda: seen.append(sys.getswitchinterval()))
    assert found["data/a.bin"].size == 1 << 16
    assert seen == [pytest.approx(hashing._TURN)] and before > hashing._TURN
    assert sys.getswitchinterval() == before


def test_packs_in_several_threads_restore_the_interval_once_the_last_is_done() -> None:
    before = sys.getswitchinterval()
    with hashing._brief_turns():
        with hashing._brief_turns():
            assert sys.getswitchinterval() == pytest.approx(hashing._TURN)
        assert sys.getswitchinterval() == pytest.approx(hashing._TURN)  # one still runs
    assert sys.getswitchinterval() == before


def test_a_file_system_that_cannot_clone_is_asked_once(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from rexport.pack import reflink

    if not sys.platform.startswith("linux"):
        pytest.skip("reflinks are asked for on Linux")
    monkeypatch.setattr(reflink, "_no_clone", set())
    source = tmp_path / "a.bin"
    source.write_bytes(b"x" * 100)
    opened: list[object] = []
    real_open = reflink.os.open
    monkeypatch.setattr(reflink.os, "open", lambda *a, **k: opened.append(a) or real_open(*a, **k))

    def attempt(name: str) -> bool:
        with open(tmp_path / name, "xb") as dst:
            return reflink.clone(source, dst)

    if attempt("b.bin"):
        pytest.skip("this file system clones files")
    assert reflink._no_clone and len(opened) == 1
    assert not attempt("c.bin") and len(opened) == 1  # not asked again


def test_a_link_is_not_cloned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rexport.pack import reflink

    monkeypatch.setattr(reflink, "_no_clone", set())
    (tmp_path / "a.bin").write_bytes(b"x")
    (tmp_path / "link").symlink_to(tmp_path / "a.bin")
    with open(tmp_path / "b.bin", "xb") as dst:
        assert not reflink.clone(tmp_path / "link", dst)
    assert (tmp_path / "b.bin").stat().st_size == 0


@pytest.mark.parametrize("seed", range(30))
def test_text_of_header_letters_cut_anywhere_is_searched_as_a_whole(seed: int) -> None:
    # text made of the bytes a header is made of: the tap cannot tell from a chunk's last
    # bytes where a header might begin, and looks further back
    rng = random.Random(seed)
    pieces = [b"AB ", b"-", b"-----BEGIN ", b"RSA ", b"PRIVATE KEY", b"-----", b"\n", b"X1 "]
    data = b"".join(rng.choice(pieces) for _ in range(rng.randrange(50, 400)))
    expected = PATTERN.search(data) is not None
    for _ in range(5):
        cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randrange(1, 40))))
        bounds = zip([0, *cuts], [*cuts, len(data)], strict=True)
        assert found_in(*(data[a:b] for a, b in bounds)) is expected, (data, cuts)
