"""Damaged archives never make a source raise, hang or report anything but safety findings."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from helpers.archives import Member, gzip_bytes, tar_bytes, zip_bytes
from helpers.sources import read_all
from hostile.model import base
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXPORT = base().plus(Member("data/iris.csv", b"5.1,3.5,1.4,0.2,setosa\n" * 200),
                     Member("data/link", kind="symlink", target="/etc/passwd"))
PRISTINE = {"tar": tar_bytes(EXPORT), "tar.gz": gzip_bytes(tar_bytes(EXPORT)),
            "zip": zip_bytes(EXPORT)}


@st.composite
def damaged(draw: st.DrawFn) -> tuple[str, bytes]:
    container = draw(st.sampled_from(sorted(PRISTINE)))
    data = bytearray(PRISTINE[container])
    for _ in range(draw(st.integers(0, 8))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    data += draw(st.binary(max_size=64))
    return container, bytes(data)


@pytest.mark.timeout(300)  # a hang guard over all the examples, about a second in all here
@given(damaged())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_damage_is_reported_never_raised(case: tuple[str, bytes]) -> None:
    container, data = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("fuzz." + container)
        path.write_bytes(data)
        _, codes = read_all(path, max_files=1000, max_bytes=1 << 30)
    assert all(code.startswith("REX-X") for code in codes), codes
