"""`rexport seal`: a hand-edited export directory gets its sizes, digests and export digest back,
atomically; what it cannot vouch for is refused and nothing changes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import rexport
from click.testing import CliRunner, Result
from rexport.cli import cli
from rexport.findings import CATALOGUE

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "full"


def seal(*args: str) -> Result:
    return CliRunner().invoke(cli, ["seal", *args])


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return Path(shutil.copytree(EXAMPLE, tmp_path / "full"))


def test_an_edited_file_is_sealed(export: Path) -> None:
    with open(export / "data" / "iris.csv", "a") as fp:
        fp.write("5.0,3.4,1.5,0.2,setosa\n")
    codes = {f.code for f in rexport.validate(export).errors}
    assert codes == {"REX-I101"}
    result = seal(str(export))
    assert result.exit_code == 0, result.output
    assert "changed data/iris.csv" in result.output
    report = rexport.validate(export, strict=True)
    assert report.valid, [f.to_json() for f in report.findings]
    entry = next(e for e in json.loads((export / "rex.json").read_text())["files"]
                 if e["path"] == "data/iris.csv")
    assert set(entry["digests"]) == {"sha256", "sha512", "blake2b", "md5"}
    assert [p.name for p in export.iterdir() if p.name.startswith(".rex.json")] == []


def test_an_edited_manifest_gets_its_export_digest(export: Path) -> None:
    manifest = json.loads((export / "rex.json").read_text())
    manifest["title"] = "Retitled by hand"
    (export / "rex.json").write_text(json.dumps(manifest))
    assert {f.code for f in rexport.validate(export).errors} == {"REX-I104"}
    assert seal(str(export)).exit_code == 0
    assert rexport.validate(export).valid


def test_an_unlisted_file_is_refused_unless_added(export: Path) -> None:
    before = (export / "rex.json").read_bytes()
    (export / "results" / "plot.png").write_bytes(b"\x89PNG")
    refused = seal(str(export))
    assert refused.exit_code == 2 and "--add" in refused.output
    assert (export / "rex.json").read_bytes() == before
    added = seal(str(export), "--add")
    assert added.exit_code == 0, added.output
    entries = json.loads((export / "rex.json").read_text())["files"]
    entry = next(e for e in entries if e["path"] == "results/plot.png")
    assert entry["role"] == "result" and entry["media_type"] == "image/png"
    paths = [e["path"].encode() for e in entries]
    assert paths == sorted(paths)
    assert rexport.validate(export).valid


def test_a_missing_file_is_refused(export: Path) -> None:
    before = (export / "rex.json").read_bytes()
    (export / "narrative" / "model-card.md").unlink()
    result = seal(str(export))
    assert result.exit_code == 2 and "narrative/model-card.md" in result.output
    assert (export / "rex.json").read_bytes() == before


def test_links_are_refused(export: Path) -> None:
    os.symlink("/etc/passwd", export / "code" / "passwd")
    result = seal(str(export), "--add")
    assert result.exit_code == 2 and "links" in result.output


def test_a_broken_manifest_is_refused(export: Path) -> None:
    (export / "rex.json").write_text('{"files": [], "files": []}')
    result = seal(str(export))
    assert result.exit_code == 2 and "REX-P104" in result.output


def test_an_archive_is_not_sealed(tmp_path: Path) -> None:
    archive = tmp_path / "run.zip"
    archive.write_bytes(b"PK")
    assert seal(str(archive)).exit_code == 2


def test_still_invalid_after_sealing_is_exit_1(export: Path) -> None:
    manifest = json.loads((export / "rex.json").read_text())
    del manifest["environment"]["architecture"]
    (export / "rex.json").write_text(json.dumps(manifest))
    result = seal(str(export))
    assert result.exit_code == 1 and "REX-S101" in result.output


@pytest.mark.parametrize("code", ["REX-I101", "REX-I102", "REX-I104"])
def test_the_validator_hint_names_seal(code: str) -> None:
    assert "rexport seal" in CATALOGUE[code].hint
