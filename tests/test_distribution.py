"""What the distribution carries for tools: py.typed, the licence, project URLs, the schema
catalog entry, and the $schema an editor finds in a packed rex.json."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from rexport.pack.manifest import MANIFEST_SCHEMA
from rexport.schema import validators

ROOT = Path(__file__).resolve().parents[1]


def test_the_catalog_entry_names_the_bundle_for_rex_json() -> None:
    catalog = json.loads((ROOT / "schemastore-catalog.json").read_text(encoding="utf-8"))
    (entry,) = catalog["schemas"]
    assert entry["fileMatch"] == ["rex.json"]
    bundle = json.loads((ROOT / "schemas/v1" / validators.BUNDLE_FILE).read_text())
    assert entry["url"] == bundle["$id"] == MANIFEST_SCHEMA
    assert set(entry) <= {"name", "description", "fileMatch", "url", "versions"}


def test_a_packed_manifest_names_its_schema_and_stays_valid(tmp_path: Path) -> None:
    from rexport.pack import Capture
    from rexport.validation import validate

    project = tmp_path / "project"
    project.mkdir()
    (project / "train.py").write_text("print('hi')\n")
    cap = Capture(project, git=False)
    cap.metric("accuracy", 0.5)
    written = cap.write(tmp_path / "run")
    manifest = json.loads((written.path / "rex.json").read_text(encoding="utf-8"))
    assert manifest["$schema"] == MANIFEST_SCHEMA
    assert next(iter(manifest)) == "$schema"  # first, where editors look
    report = validate(written.path, strict=True)
    assert report.valid, [(f.code, f.pointer) for f in report.findings]


def test_the_licence_is_apache_2() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


@pytest.mark.slow
def test_the_wheel_is_typed_licensed_and_links_the_spec(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("rexport-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "rexport/py.typed" in names
        licences = [n for n in names if ".dist-info/licenses/" in n]
        assert [Path(n).name for n in licences] == ["LICENSE"]
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        text = archive.read(metadata).decode()
    assert "License-Expression: Apache-2.0" in text
    from rexport.reporters.sarif import SPEC_URL

    assert f"Project-URL: Specification, {SPEC_URL}" in text
