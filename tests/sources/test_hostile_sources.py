"""The hostile corpus read by the sources and the manifest path check alone (no validator)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from hostile.cases import CASES, Case
from rexport.checks.safety import check_manifest_paths
from rexport.sources import InputError, open_source

SOURCE_CASES = [pytest.param(c, id=c.id, marks=[pytest.mark.slow] if c.slow else [])
                for c in CASES if c.source_level]


def read_all(target: Path, options: dict[str, Any]) -> tuple[set[str], int]:
    """Walk every entry, reading every file to its end; return (codes found, files read)."""
    with open_source(target, **options) as source:
        data = source.manifest_bytes()
        files = 0
        for entry in source.entries():
            if entry.kind == "file":
                with entry.open() as fp:
                    while fp.read(1 << 20):
                        pass
                files += 1
        codes = {f.code for f in source.findings}
    if data is not None:
        try:
            doc = json.loads(data)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            codes |= {f.code for f in check_manifest_paths(doc)}
    return codes, files


@pytest.mark.parametrize("case", SOURCE_CASES)
def test_sources_refuse(case: Case, tmp_path: Path) -> None:
    target = case.make(tmp_path)
    options = {"max_files": 200_000, "max_bytes": 2**40, **case.options}
    started = time.perf_counter()
    if case.exit_code == 2:
        with pytest.raises(InputError) as caught:
            open_source(target, **options)
        assert caught.value.code in case.codes
        return
    codes, _ = read_all(target, options)
    assert set(case.codes) <= codes
    assert time.perf_counter() - started < 10
