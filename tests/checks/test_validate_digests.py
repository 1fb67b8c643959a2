"""The streaming hasher: every algorithm, chunk boundaries, taps, limits, pipelining, job runner."""

from __future__ import annotations

import hashlib
import io
import threading
from typing import BinaryIO

import pytest
from rexport import digests
from rexport import jobs as runner
from rexport.digests import CHUNK, SUPPORTED, hash_stream, hash_stream_pipelined
from rexport.jobs import Job, run_jobs

SIZES = [0, 1, 4095, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17]


def reference(data: bytes, algorithm: str) -> str:
    if algorithm == "blake2b":
        return hashlib.blake2b(data, digest_size=64).hexdigest()
    return hashlib.new(algorithm, data).hexdigest()


def payload(size: int) -> bytes:
    # not a repeating pattern of the chunk size, so a chunk dropped or repeated shows
    return hashlib.shake_256(str(size).encode()).digest(size) if size else b""


@pytest.mark.parametrize("hasher", [hash_stream, hash_stream_pipelined])
@pytest.mark.parametrize("size", SIZES)
def test_every_algorithm_matches_hashlib(hasher: object, size: int) -> None:
    data = payload(size)
    total, found = hasher(io.BytesIO(data), SUPPORTED)  # type: ignore[operator]
    assert total == size
    assert found == {a: reference(data, a) for a in SUPPORTED}
    assert len(found["blake2b"]) == digests.HEX_LENGTHS["blake2b"]


@pytest.mark.parametrize("hasher", [hash_stream, hash_stream_pipelined])
def test_taps_and_progress_see_every_byte_in_order(hasher: object) -> None:
    data = payload(2 * CHUNK + 333)
    seen: list[bytes] = []
    views: list[object] = []
    ticks: list[int] = []

    def tap(view: memoryview) -> None:
        views.append(type(view))
        seen.append(bytes(view))  # a view is valid during the call only: a tap copies

    total, _ = hasher(io.BytesIO(data), ["sha256"], taps=[tap],  # type: ignore[operator]
                      progress=ticks.append)
    assert b"".join(seen) == data
    assert set(views) == {memoryview}  # no copy made for the taps
    assert sum(ticks) == total == len(data)


def test_repeated_algorithm_hashed_once_and_unknown_refused() -> None:
    _, found = hash_stream(io.BytesIO(b"abc"), ["sha256", "sha256"])
    assert list(found) == ["sha256"]
    with pytest.raises(ValueError):
        hash_stream(io.BytesIO(b"abc"), ["sha3_256"])


@pytest.mark.parametrize("hasher", [hash_stream, hash_stream_pipelined])
def test_limit_stops_a_file_longer_than_declared(hasher: object) -> None:
    data = payload(5 * CHUNK)
    stream = io.BytesIO(data)
    total, _ = hasher(stream, ["sha256"], limit=10)  # type: ignore[operator]
    assert total == 11 and stream.tell() == 11  # spec IDX-05: at most size + 1 bytes read
    stream = io.BytesIO(data)
    total, _ = hasher(stream, ["sha256"], limit=CHUNK)  # type: ignore[operator]
    assert total == CHUNK + 1 and stream.tell() == CHUNK + 1
    total, found = hasher(io.BytesIO(data), ["sha256"], limit=len(data))  # type: ignore[operator]
    assert total == len(data)
    assert found["sha256"] == reference(data, "sha256")


class ReadOnly(io.RawIOBase):
    """A stream with read() but no usable readinto(), like some archive members."""

    def __init__(self, data: bytes) -> None:
        self.inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self.inner.read(size)

    readinto = None  # type: ignore[assignment]


def test_streams_without_readinto_are_read() -> None:
    data = payload(CHUNK + 5)
    total, found = hash_stream(ReadOnly(data), ["sha512"])
    assert (total, found["sha512"]) == (len(data), reference(data, "sha512"))


def test_pipelined_stops_its_threads_when_reading_fails() -> None:
    class Broken(io.RawIOBase):
        calls = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buf: bytearray) -> int:  # type: ignore[override]
            self.calls += 1
            if self.calls > 2:
                raise OSError("disk gone")
            buf[:10] = b"x" * 10
            return 10

    before = threading.active_count()
    with pytest.raises(OSError):
        hash_stream_pipelined(Broken(), ["sha256", "sha512"])
    assert threading.active_count() == before


def opener(data: bytes) -> BinaryIO:
    return io.BytesIO(data)


@pytest.mark.parametrize(("workers", "thread_bytes"), [(1, None), (3, None), (3, 0), (2, 50)])
def test_run_jobs_keeps_order_and_returns_errors(
        workers: int, thread_bytes: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    # thread_bytes 0: every batch goes to the pool; 50: small batches stay in this thread
    # and the others go to the pool, interleaved
    if thread_bytes is not None:
        monkeypatch.setattr(runner, "THREAD_BYTES", thread_bytes)
        monkeypatch.setattr(runner, "BATCH_FILES", 2)
    blobs = [payload(n) for n in (10, 0, CHUNK + 1, 99, 7) * 6]

    def failing() -> BinaryIO:
        raise OSError("permission denied")

    jobs = [Job(open=lambda b=b: opener(b), algorithms=("sha256",), limit=len(b), context=i)
            for i, b in enumerate(blobs)]
    jobs.insert(3, Job(open=failing, algorithms=("sha256",), limit=0, context="bad"))
    results = list(run_jobs(iter(jobs), workers=workers))
    assert [r.job.context for r in results] == [j.context for j in jobs]
    bad = results[3]
    assert isinstance(bad.error, OSError) and bad.digests == {}
    good = [r for r in results if r.error is None]
    assert [r.digests["sha256"] for r in good] == [reference(b, "sha256") for b in blobs]


def test_run_jobs_with_one_worker_finishes_each_job_before_drawing_the_next() -> None:
    # streaming archives: a member may only be read before the next one is reached
    log: list[str] = []

    def jobs():  # type: ignore[no-untyped-def]
        for i in range(3):
            log.append(f"draw {i}")

            def open_(i: int = i) -> BinaryIO:
                log.append(f"read {i}")
                return io.BytesIO(b"x")

            yield Job(open=open_, algorithms=("sha256",))

    for _ in run_jobs(jobs(), workers=1):
        pass
    assert log == ["draw 0", "read 0", "draw 1", "read 1", "draw 2", "read 2"]


def test_unexpected_errors_are_raised_not_hidden() -> None:
    def buggy() -> BinaryIO:
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        list(run_jobs([Job(open=buggy, algorithms=("sha256",))]))


@pytest.mark.parametrize(("algorithm", "value", "ok"), [
    ("sha256", "a" * 64, True),
    ("sha256", "A" * 64, True),
    ("sha256", "a" * 63, False),
    ("sha256", "0x" + "a" * 62, False),
    ("sha256", "g" * 64, False),
    ("sha256", " " + "a" * 63, False),
    ("sha256", 5, False),
    ("md5", "0" * 32, True),
    ("sha1", "0" * 40, True),
    ("blake2b", "f" * 128, True),
    ("crc32", "0" * 8, False),
])
def test_well_formed(algorithm: str, value: object, ok: bool) -> None:
    assert digests.well_formed(algorithm, value) is ok


def test_run_jobs_uses_the_pool_for_large_files_only(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []

    def tracked(data: bytes) -> BinaryIO:
        threads.append(threading.current_thread().name)
        return io.BytesIO(data)

    big, small = payload(2 * CHUNK), payload(100)
    jobs = [Job(open=lambda b=b: tracked(b), algorithms=("sha256",), limit=len(b))
            for b in (small, big, small, big)]
    results = list(run_jobs(jobs, workers=2))
    assert [r.size for r in results] == [len(small), len(big), len(small), len(big)]
    main = threading.current_thread().name
    assert threads.count(main) == 2  # the small ones, without a hop to a thread


def test_small_files_are_read_whole_when_the_job_can() -> None:
    reads: list[int] = []
    data = payload(5000)

    def whole(n: int) -> bytes:
        reads.append(n)
        return data[:n]

    def never() -> BinaryIO:
        raise AssertionError("a small file with a reader is not streamed")

    seen: list[bytes] = []
    job = Job(open=never, read=whole, algorithms=("sha256", "md5", "sha256"),
              taps=[seen.append], limit=len(data))
    (result,) = run_jobs([job])
    assert reads == [len(data) + 1]  # one byte more tells a file grown past its size
    assert result.size == len(data) and seen == [data]
    assert result.digests == {"sha256": reference(data, "sha256"), "md5": reference(data, "md5")}
    grown = Job(open=never, read=lambda n: data[:n], algorithms=("sha256",), limit=100)
    assert next(iter(run_jobs([grown]))).size == 101


def test_large_files_and_failing_reads_with_a_reader() -> None:
    big = payload(runner.WHOLE_MAX + 5)

    def refuse(n: int) -> bytes:
        raise AssertionError("a large file is streamed")

    def denied(n: int) -> bytes:
        raise PermissionError(13, "denied")

    jobs = [Job(open=lambda: opener(big), read=refuse, algorithms=("sha512",), limit=len(big)),
            Job(open=lambda: opener(b""), read=denied, algorithms=("sha256",), limit=3)]
    large, failed = run_jobs(jobs, workers=2)
    assert large.digests == {"sha512": reference(big, "sha512")}
    assert isinstance(failed.error, PermissionError) and failed.digests == {}
