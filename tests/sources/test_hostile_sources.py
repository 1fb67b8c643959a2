"""The hostile corpus read by the sources and the manifest path check alone (no validator)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.sources import read_all
from hostile.cases import CASES, Case
from rexport.checks.safety import check_manifest_paths
from rexport.sources import InputError, open_source

SOURCE_CASES = [pytest.param(c, id=c.id, marks=[pytest.mark.slow] if c.slow else [])
                for c in CASES if c.source_level]


def found(target: Path, options: dict[str, Any]) -> set[str]:
    """The codes of the source's findings, every entry read, and of the manifest path check."""
    with open_source(target, **options) as source:
        data = source.manifest_bytes()
    codes = set(read_all(target, **options)[1])
    try:
        doc = json.loads(data) if data is not None else None
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        codes |= {f.code for f in check_manifest_paths(doc)}
    return codes


@pytest.mark.timeout(60)  # a hang guard; the time cap itself is test_hostile's, under slow
@pytest.mark.parametrize("case", SOURCE_CASES)
def test_sources_refuse(case: Case, tmp_path: Path) -> None:
    target = case.make(tmp_path)
    if case.exit_code == 2:
        with pytest.raises(InputError) as caught:
            open_source(target, **case.options)
        assert caught.value.code in case.codes
        return
    assert set(case.codes) <= found(target, case.options)
