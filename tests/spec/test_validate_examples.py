"""Every example export gives its expected verdict and codes, in every container kind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.archives import pack
from rexport.validation import validate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
INVALID = EXAMPLES / "invalid"


def _valid_examples() -> list[Path]:
    return sorted(p.parent for p in EXAMPLES.glob("*/rex.json") if p.parent != INVALID)


def _expected() -> dict[str, Any]:
    path = INVALID / "expected.json"
    value: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return value


def test_there_are_examples() -> None:
    names = {p.name for p in _valid_examples()}
    assert {"minimal", "full"} <= names
    assert len(_expected()) >= 5


@pytest.mark.parametrize("export", _valid_examples(), ids=lambda p: p.name)
def test_valid_example(export: Path) -> None:
    report = validate(export)
    assert [(f.code, f.file, f.pointer) for f in report.errors] == []
    assert report.valid and report.exit_code == 0
    assert report.files_checked > 0
    strict = validate(export, strict=True)
    assert [f.code for f in strict.findings if f.severity.value != "info"] == []


@pytest.mark.parametrize("name", sorted(_expected()), ids=str)
def test_invalid_example(name: str) -> None:
    case = _expected()[name]
    report = validate(INVALID / name)
    assert report.valid is case["valid"]
    expected = sorted(zip(case["codes"], case["files"], case["pointers"], strict=True))
    assert sorted((f.code, f.file, f.pointer) for f in report.errors) == expected


def _archives(export: Path, tmp: Path) -> list[Path]:
    return [pack(export, tmp / f"{export.name}.tar.gz"), pack(export, tmp / f"{export.name}.zip")]


@pytest.mark.parametrize("name", sorted(_expected()), ids=str)
def test_invalid_example_as_archives(name: str, tmp_path: Path) -> None:
    export = INVALID / name
    expected = [(f.code, f.file, f.pointer) for f in validate(export).findings]
    for archive in _archives(export, tmp_path):
        assert [(f.code, f.file, f.pointer) for f in validate(archive).findings] == expected


def test_bare_manifest_of_every_example() -> None:
    for export in _valid_examples():
        report = validate(export / "rex.json")
        assert [f.code for f in report.findings] == ["REX-C106"]
        assert report.valid
