"""The compression ratios of a .tar.gz case, measured as EXP-04 counts them, for the readings
that judge them otherwise (readings.py)."""

from __future__ import annotations

import bisect
import functools
import io
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from rexport.conformance.suite import Case

MIB = 1 << 20
STEP = 64 << 10  # output of one inflate call, as the reference counts it


@functools.cache
def inflated(path: str) -> tuple[list[int], list[int], list[tuple[int, int]], bytes]:
    """A .tar.gz read in steps: the output and the input consumed after each step (running
    totals), (output, input) of each gzip member, and the whole output; up to any damage."""
    data = Path(path).read_bytes()
    outs, ins = [0], [0]
    members: list[tuple[int, int]] = []
    parts: list[bytes] = []
    pos = 0
    while data[pos:pos + 2] == b"\x1f\x8b":
        inflater, rest, begin = zlib.decompressobj(31), data[pos:], (outs[-1], ins[-1])
        while not inflater.eof and rest:
            try:
                piece = inflater.decompress(rest, STEP)
            except zlib.error:  # a damaged stream: what came before it is all there is
                return outs, ins, members, b"".join(parts)
            left = inflater.unconsumed_tail or (inflater.unused_data if inflater.eof else b"")
            outs.append(outs[-1] + len(piece))
            ins.append(ins[-1] + len(rest) - len(left))
            parts.append(piece)
            rest = inflater.unconsumed_tail
        members.append((outs[-1] - begin[0], ins[-1] - begin[1]))
        pos = ins[-1]
    return outs, ins, members, b"".join(parts)


def member_ratios(case: Case) -> Iterator[tuple[str, float, float]]:
    """For each tar member of a .tar.gz case larger than 1 MiB: its name, its ratio as a whole,
    and the highest ratio of its prefixes past 1 MiB (measured at the steps of inflated, as
    the reference measures at its pieces)."""
    outs, ins, _, tar = inflated(str(case.input_path))
    try:
        with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
            spans = [(m.name, m.offset_data, m.offset_data + m.size)
                     for m in archive.getmembers() if m.size > MIB]
    except (tarfile.TarError, EOFError):  # a damaged archive: no ratio to judge
        return
    for name, start, end in spans:
        # the steps wholly within the member: those it shares with its neighbours are left out
        first = bisect.bisect_left(outs, start)
        last = bisect.bisect_right(outs, end) - 1
        whole = (outs[last] - outs[first]) / max(ins[last] - ins[first], 1)
        prefixes = [(outs[i] - outs[first]) / max(ins[i] - ins[first], 1)
                    for i in range(first, last + 1) if outs[i] - start > MIB]
        yield name, whole, max(prefixes, default=0.0)


def is_tar_gz(case: Case) -> bool:
    """Whether the case's input is a .tar.gz (or .tgz) file."""
    return case.input_path.name.endswith((".tar.gz", ".tgz")) and case.input_path.is_file()


def stream_over(case: Case) -> bool:
    """Whether the .tar.gz case's stream as a whole is over 1,000:1 (and over 1 MiB)."""
    outs, _, _, _ = inflated(str(case.input_path))
    return outs[-1] > MIB and outs[-1] > 1000 * case.input_path.stat().st_size


def gzip_member_over(case: Case) -> bool:
    """Whether a gzip member of the .tar.gz case is over 1,000:1 (and over 1 MiB)."""
    _, _, members, _ = inflated(str(case.input_path))
    return any(out > MIB and out > 1000 * used for out, used in members)
