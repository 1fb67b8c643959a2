"""The docs' job definitions parse and have the expected shape; their commands and examples work."""

from __future__ import annotations

import re
import runpy
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from rexport.cli import cli
from rexport.precommit import main as precommit_main

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks(page: str, language: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return [body for lang, body in FENCE.findall(text) if lang == language]


def _check_command(line: str) -> None:
    """Parse a `rexport ...` line with the real CLI: every subcommand and option must exist."""
    tokens = shlex.split(line)
    assert tokens[0] == "rexport", line
    command: click.Command = cli
    args = tokens[1:]
    while isinstance(command, click.Group):
        found = command.get_command(click.Context(command), args[0])
        assert found is not None, f"no command {args[0]!r} in {line!r}"
        command, args = found, args[1:]
    # a bad value is the reader's (a path that exists on their machine, not here); an unknown
    # option or a missing argument is the page's fault
    try:
        command.make_context(command.name, list(args))
    except click.MissingParameter:
        raise
    except click.BadParameter:
        return


def test_command_check_catches_mistakes() -> None:
    _check_command("rexport badge no/such/export -o badge.svg")
    for wrong in ("rexport validate --no-such-flag run/", "rexport conformance walk",
                  "rexport badge", "rexport conformance run --junit"):
        with pytest.raises((click.UsageError, AssertionError)):
            _check_command(wrong)


def _commands(scripts: list[str]) -> list[str]:
    lines = [line.strip() for script in scripts for line in script.splitlines()]
    return [line for line in lines if line.startswith("rexport ")]


def _github() -> dict[str, Any]:
    docs = [yaml.safe_load(b) for b in _blocks("ci.md", "yaml")]
    (workflow,) = [d for d in docs if isinstance(d, dict) and "jobs" in d]
    return workflow


def _gitlab() -> dict[str, Any]:
    docs = [yaml.safe_load(b) for b in _blocks("ci.md", "yaml")]
    (pipeline,) = [d for d in docs if isinstance(d, dict) and "stages" in d]
    return pipeline


def test_github_actions_workflow() -> None:
    workflow = _github()
    assert workflow.get("on", workflow.get(True)) is not None  # YAML 1.1 reads `on` as true
    jobs = workflow["jobs"]
    assert set(jobs) == {"validate", "conformance", "badge"}
    runs: dict[str, list[str]] = {}
    for name, job in jobs.items():
        assert job["runs-on"] == "ubuntu-latest"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@v\d+", step["uses"]), step["uses"]
        runs[name] = [s["run"] for s in job["steps"] if "run" in s]
    # the validate job runs the rexport action (action.yml) on the exports
    action = [s for s in jobs["validate"]["steps"] if "/rexport@" in s.get("uses", "")]
    assert action and action[0]["with"]["path"]
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif")
               and s["with"]["sarif_file"] == action[0]["with"]["sarif"]
               for s in jobs["validate"]["steps"])
    assert any(c.startswith("rexport conformance run") for c in _commands(runs["conformance"]))
    assert any(c.startswith("rexport badge") for c in _commands(runs["badge"]))
    assert jobs["badge"]["needs"] == "validate"
    assert "actions/deploy-pages@v4" in [s.get("uses") for s in jobs["badge"]["steps"]]
    for command in _commands([r for steps in runs.values() for r in steps]):
        _check_command(command)


def test_gitlab_ci_pipeline() -> None:
    pipeline = _gitlab()
    stages = pipeline["stages"]
    jobs = {k: v for k, v in pipeline.items() if isinstance(v, dict) and "script" in v}
    assert set(jobs) == {"validate", "conformance", "pages"}
    for job in jobs.values():
        assert job["stage"] in stages
        assert all(isinstance(line, str) for line in job["script"])
    assert jobs["validate"]["artifacts"]["reports"]["junit"] == "rex-junit.xml"
    assert jobs["conformance"]["artifacts"]["reports"]["junit"] == "conformance.xml"
    assert jobs["pages"]["artifacts"]["paths"] == ["public"]
    commands = _commands([line for job in jobs.values() for line in job["script"]])
    assert {c.split()[1] for c in commands} == {"validate", "conformance", "badge"}
    for command in commands:
        _check_command(command)


def test_implementers_python_example_runs(monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    (block,) = _blocks("implementers.md", "python")
    script = tmp_path / "example.py"
    script.write_text(block, encoding="utf-8")
    monkeypatch.chdir(ROOT)
    runpy.run_path(str(script))  # its own assert: the full example has no schema error


def test_implementers_commands() -> None:
    shell = [line for block in _blocks("implementers.md", "sh") for line in block.splitlines()]
    check = [line for line in shell if line.startswith("check-jsonschema ")]
    assert check
    executable = shutil.which("check-jsonschema")
    assert executable is not None, "check-jsonschema is part of the test extra"
    tokens = shlex.split(check[0])
    done = subprocess.run([executable, *tokens[1:]], cwd=ROOT, capture_output=True, check=False)
    assert done.returncode == 0, done.stdout
    joined = "\n".join(shell).replace("\\\n", " ")
    for command in _commands([joined]):
        _check_command(command)


def test_pre_commit_page_config() -> None:
    (config,) = [yaml.safe_load(b) for b in _blocks("pre-commit.md", "yaml")]
    shipped = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(
        encoding="utf-8"))}
    for hook in config["repos"][0]["hooks"]:
        assert hook["id"] in shipped
        precommit_main.make_context("rexport-precommit", [*hook.get("args", []), "x.txt"])
