"""A project writes its packing settings once, in rex.yaml or [tool.rexport] of pyproject.toml;
options override them; a hostile file is refused with a clear message, never obeyed."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import rexport
from click.testing import CliRunner, Result
from rexport.cli import cli

DIGEST = "cd" * 32
REX_YAML = f"""\
title: Rows, scaled
license: Apache-2.0
creators: [Ada Lovelace]
config: config.json
metrics: out/metrics.json
artifacts: [out/model.txt]
datasets:
  - id: rows
    path: data/rows.csv
    license: CC-BY-4.0
    access: public
    identifiers: {{doi: 10.24432/C56C76}}
splits:
  - {{name: test, dataset: rows, path: data/test.idx, method: rows 0 and 2}}
entry_points:
  - {{name: train, path: train.py, command: python train.py}}
container: docker.io/library/python:3.11-slim@sha256:{DIGEST}
replay:
  command: [python, train.py]
  timeout: 600
  tolerances: {{accuracy: "abs:0.01", loss: {{relative: 0.1}}}}
"""


def pack(*args: str) -> Result:
    return CliRunner().invoke(cli, ["pack", *args])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "out").mkdir()
    (root / "train.py").write_text("print('train')\n")
    (root / "config.json").write_text(json.dumps({"scale": 0.25, "seed": 5}))
    (root / "data" / "rows.csv").write_text("a\nb\nc\n")
    (root / "data" / "test.idx").write_text("0\n2\n")
    (root / "out" / "metrics.json").write_text(json.dumps({"accuracy": 0.75, "loss": 0.5}))
    (root / "out" / "model.txt").write_text("weights\n")
    monkeypatch.chdir(root)
    return root


def written(out: Path) -> dict[str, Any]:
    return json.loads((out / "rex.json").read_text())  # type: ignore[no-any-return]


def test_rex_yaml_holds_what_the_options_can(project: Path, tmp_path: Path) -> None:
    (project / "rex.yaml").write_text(REX_YAML)
    out = tmp_path / "export"
    result = pack("-o", str(out), "--no-git")
    assert result.exit_code == 0, result.output
    m = written(out)
    assert m["title"] == "Rows, scaled"
    assert m["governance"] == {"license": "Apache-2.0", "creators": [{"name": "Ada Lovelace"}]}
    [rows] = m["data"]["datasets"]
    assert rows["license"] == "CC-BY-4.0" and rows["access"] == "public"
    assert m["data"]["splits"][0]["method"] == "rows 0 and 2"
    assert m["code"]["entry_points"] == [{"name": "train", "path": "code/train.py",
                                          "command": ["python", "train.py"]}]
    assert m["environment"]["container"]["digest"] == f"sha256:{DIGEST}"
    assert m["replay"]["timeout_seconds"] == 600
    assert m["replay"]["metrics"] == [
        {"name": "accuracy", "tolerance": {"absolute": 0.01}},
        {"name": "loss", "tolerance": {"relative": 0.1}}]
    assert m["config"]["seeds"] == {"seed": 5}
    assert rexport.validate(out, strict=True).valid


def test_options_override_the_file(project: Path, tmp_path: Path) -> None:
    (project / "rex.yaml").write_text(REX_YAML)
    out = tmp_path / "export"
    result = pack("-o", str(out), "--no-git", "--title", "Given", "--tolerance",
                  "accuracy=rel:0.5", "--seed", "numpy=9", "--dataset-license", "rows=MIT")
    assert result.exit_code == 0, result.output
    m = written(out)
    assert m["title"] == "Given"
    assert m["replay"]["metrics"][0]["tolerance"] == {"relative": 0.5}
    assert m["replay"]["metrics"][1]["tolerance"] == {"relative": 0.1}  # kept from the file
    assert m["config"]["seeds"] == {"numpy": 9}
    assert m["data"]["datasets"][0]["license"] == "MIT"
    again = tmp_path / "again"
    assert pack("-o", str(again), "--no-git", "--no-project-file", "--code", ".",
                "--metrics", "out/metrics.json").exit_code == 0
    assert "replay" not in written(again) and "title" not in written(again)


def test_pyproject_tool_section(project: Path, tmp_path: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "rows"\n\n[tool.rexport]\ntitle = "From pyproject"\n'
        'metrics = "out/metrics.json"\nlicense = "MIT"\n'
        '[tool.rexport.replay]\ncommand = "python train.py"\n')
    out = tmp_path / "export"
    result = pack("-o", str(out), "--no-git")
    assert result.exit_code == 0, result.output
    m = written(out)
    assert m["title"] == "From pyproject" and m["replay"]["command"] == ["python", "train.py"]


def test_a_pyproject_without_the_section_is_ignored(project: Path, tmp_path: Path) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "rows"\n')
    result = pack("-o", str(tmp_path / "e"), "--no-git", "--code", ".",
                  "--metrics", "out/metrics.json")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("name", "text", "message"), [
    ("rex.yaml", "config: ../../etc/hostname\n", "outside the project folder"),
    ("rex.yaml", "datasets: [/etc/hostname]\n", "outside the project folder"),
    ("rex.yaml", "shell: rm -rf /\n", "Additional properties"),
    ("rex.yaml", "title: &a x\nlicense: *a\n", "REX-P202"),
    ("rex.yaml", "title: !!python/object:os.system x\n", "REX-P203"),
    ("rex.yaml", "title: [unclosed\n", "REX-P201"),
    ("rex.yaml", "replay: {timeout: -1}\n", "/replay/timeout"),
    ("rex.yaml", "replay: {tolerances: {accuracy: 'abs:x'}}\n", "must be a number"),
    ("rex.yaml", "seeds: {numpy: 1.5}\n", "/seeds/numpy"),
    ("rex.yaml", "title: " + "x" * (1 << 20) + "\n", "larger than"),
    ("pyproject.toml", "[tool.rexport]\nallow_secrets = true\n", "Additional properties"),
    ("pyproject.toml", "[tool.rexport\n", "not valid TOML"),
    ("pyproject.toml", "x = " + "[" * 5000 + "\n", "project file"),
])
def test_a_hostile_project_file_is_refused(project: Path, tmp_path: Path, name: str, text: str,
                                           message: str) -> None:
    (project / name).write_text(text)
    result = pack("-o", str(tmp_path / "export"), "--no-git", "--metrics", "out/metrics.json")
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "export").exists()


def test_a_linked_project_file_is_refused(project: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.yaml"
    target.write_text("title: linked\n")
    os.symlink(target, project / "rex.yaml")
    result = pack("-o", str(tmp_path / "export"), "--no-git", "--metrics", "out/metrics.json")
    assert result.exit_code == 2 and "regular file" in result.output


def test_two_project_files_are_refused(project: Path, tmp_path: Path) -> None:
    (project / "rex.yaml").write_text("title: one\n")
    (project / "pyproject.toml").write_text('[tool.rexport]\ntitle = "two"\n')
    result = pack("-o", str(tmp_path / "export"), "--no-git", "--metrics", "out/metrics.json")
    assert result.exit_code == 2 and "keep one" in result.output
