"""check-jsonschema with the bundled schema agrees with the suite: schema-valid cases pass it."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest
from rexport.conformance.suite import Case, load_cases

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "schemas" / "v1" / "rex.bundle.schema.json"
CHECK = shutil.which("check-jsonschema")

pytestmark = pytest.mark.slow


def _manifest(case: Case) -> bytes:
    """The bytes of the case's rex.json, read from whatever container holds it."""
    path = case.input_path
    if path.is_dir():
        return (path / "rex.json").read_bytes()
    name = path.name.lower()
    if name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            info = next(i for i in archive.infolist()
                        if i.filename.removeprefix("./") == "rex.json")
            info.flag_bits &= ~1  # a case flags every member as encrypted; rex.json is not
            with archive.open(info) as stream:
                return stream.read()
    if name.endswith((".tar", ".tar.gz", ".tgz")):
        data = path.read_bytes()
        if not name.endswith(".tar"):
            data = _gunzip(data)
        # streaming: rex.json comes first, before the damage some cases carry
        with tarfile.open(fileobj=io.BytesIO(data), mode="r|") as archive:
            for member in archive:
                if member.name.removeprefix("./") == "rex.json":
                    stream = archive.extractfile(member)
                    assert stream is not None
                    return stream.read()
        raise AssertionError(f"{path}: no rex.json")
    return path.read_bytes()


def _gunzip(data: bytes) -> bytes:
    """Every gzip member's content, as far as the stream goes (some cases cut it short)."""
    out = b""
    while data[:2] == b"\x1f\x8b":
        stream = zlib.decompressobj(wbits=31)
        try:
            out += stream.decompress(data)
        except zlib.error:  # a damaged trailer: the deflate data itself is still readable
            return out + zlib.decompressobj(wbits=-15).decompress(data[10:])
        data = stream.unused_data
    return out


def _check(files: list[Path]) -> tuple[int, set[str]]:
    """Run check-jsonschema once over ``files``; its exit code and the files it failed."""
    assert CHECK is not None, "check-jsonschema is part of the test extra"
    done = subprocess.run([CHECK, "--schemafile", str(BUNDLE), "-o", "JSON",
                           *map(str, files)], capture_output=True, check=False)
    report = json.loads(done.stdout)
    failed = {e["filename"] for e in report["errors"]} | {
        e["filename"] for e in report.get("parse_errors", [])}
    return done.returncode, failed


def test_valid_examples_pass() -> None:
    examples = sorted(p for p in (ROOT / "examples").glob("*/rex.json"))
    assert examples, "no example exports"
    code, failed = _check(examples)
    assert (code, failed) == (0, set())


def test_case_manifests_agree_with_schema_valid(tmp_path: Path) -> None:
    marked = [c for c in load_cases(ROOT / "conformance-tests") if c.schema_valid is not None]
    assert len(marked) > 200
    files: dict[Path, Case] = {}
    for case in marked:
        target = tmp_path / f"{case.id}.json"
        target.write_bytes(_manifest(case))
        files[target] = case
    good = [p for p, c in files.items() if c.schema_valid]
    bad = [p for p, c in files.items() if not c.schema_valid]
    assert len(bad) > 30
    code, failed = _check(good)
    assert (code, sorted(failed)) == (0, [])
    code, failed = _check(bad)
    assert code == 1
    assert sorted(str(p) for p in bad if str(p) not in failed) == []
