"""The declared dependency floors work: a fresh venv of the oldest supported Python holding
exactly the lowest versions that pyproject.toml allows validates the examples and passes the
conformance suite."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: mypy (test extra) brings tomli
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
INVALID = EXAMPLES / "invalid"
_FLOOR = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*>=\s*([0-9][^,;\s]*)")
_INSTALL_TIMEOUT = 900  # downloads and one build of the package
_RUN_TIMEOUT = 300

# Both schema engines must give the same verdict at the floors: jsonschema-rs (the fast path)
# and python-jsonschema with referencing (the reference engine, and the config-schema check).
_ENGINES = """
import json, sys
from rexport.schema import validators
assert validators.rs_validator() is not None, "the fast engine is unusable at its floor"
out = {}
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as fp:
        manifest = json.load(fp)
    out[path] = [[(e.pointer, e.keyword) for e in validators.errors(manifest, engine=engine)]
                 for engine in ("rs", "python")]
print(json.dumps(out))
"""


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def floors() -> dict[str, str]:
    """{distribution: its floor} for every runtime dependency of pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found: dict[str, str] = {}
    for requirement in project["dependencies"]:
        match = _FLOOR.match(requirement)
        assert match is not None, f"{requirement!r} declares no floor (>=)"
        found[_normal(match[1])] = match[2]
    return found


def oldest_python() -> str:
    """An interpreter of the oldest Python that pyproject.toml allows, when this machine has
    one (on PATH or under pyenv), else the running one: floors meet the oldest Python."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = re.fullmatch(r">=\s*(3\.\d+)", project["requires-python"].strip())
    assert wanted is not None, project["requires-python"]
    version = wanted[1]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [*sorted(pyenv.glob(f"{version}.*/bin/python{version}")),
                  *filter(None, [shutil.which(f"python{version}")])]
    for candidate in candidates:
        probe = "import sys; print('%d.%d' % sys.version_info[:2])"
        done = subprocess.run([str(candidate), "-c", probe],
                              capture_output=True, text=True, check=False, timeout=60)
        if done.returncode == 0 and done.stdout.strip() == version:
            return str(candidate)
    return sys.executable


def _clean_env() -> dict[str, str]:
    # the venv alone decides what is imported: no checkout or editable install on the path
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(argv: list[str], *, timeout: float = _RUN_TIMEOUT, cwd: Path | None = None
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=timeout,
                          env=_clean_env(), cwd=cwd)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with exactly the floors from PyPI and this checkout's package (no deps)."""
    root = tmp_path_factory.mktemp("floors") / "venv"
    done = _run([oldest_python(), "-m", "venv", str(root)])
    assert done.returncode == 0, done.stderr
    bin_dir = root / ("Scripts" if sys.platform == "win32" else "bin")
    python = str(bin_dir / "python")
    pins = [f"{name}=={version}" for name, version in sorted(floors().items())]
    done = _run([python, "-m", "pip", "install", "--quiet", *pins], timeout=_INSTALL_TIMEOUT)
    assert done.returncode == 0, done.stdout + done.stderr
    done = _run([python, "-m", "pip", "install", "--quiet", "--no-deps", str(ROOT)],
                timeout=_INSTALL_TIMEOUT, cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    return bin_dir


def _installed(bin_dir: Path) -> dict[str, str]:
    done = _run([str(bin_dir / "python"), "-m", "pip", "list", "--format=json"])
    assert done.returncode == 0, done.stderr
    return {_normal(item["name"]): item["version"] for item in json.loads(done.stdout)}


def _release(version: str) -> tuple[int, ...]:
    parts = [int(p) for p in version.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _validate(bin_dir: Path, export: Path) -> tuple[int, dict[str, Any]]:
    done = _run([str(bin_dir / "rexport"), "validate", "-o", "json", str(export)])
    assert done.stderr == "", done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return done.returncode, report


@pytest.mark.slow
def test_every_dependency_has_a_floor_and_jsonschema_rs_a_cap() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert len(floors()) == len(project["dependencies"]) >= 7
    (rs,) = [r for r in project["dependencies"] if _normal(r).startswith("jsonschema-rs")]
    assert re.search(r"<\s*1(\.0)*\b", rs), f"{rs!r}: cap jsonschema-rs below its next major"


@pytest.mark.slow
def test_the_venv_holds_exactly_the_floors_and_this_checkout(venv: Path) -> None:
    installed = _installed(venv)
    for name, floor in floors().items():
        assert _release(installed[name]) == _release(floor), name
    done = _run([str(venv / "python"), "-c", "import rexport; print(rexport.__file__)"])
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).resolve().is_relative_to(venv.parent.resolve())


@pytest.mark.slow
@pytest.mark.parametrize("name", ["full", "minimal"])
def test_valid_examples_at_the_floors(venv: Path, name: str) -> None:
    code, report = _validate(venv, EXAMPLES / name)
    assert [(f["code"], f["pointer"]) for f in report["findings"]
            if f["severity"] == "error"] == []
    assert code == 0 and report["valid"] is True


@pytest.mark.slow
def test_invalid_examples_at_the_floors(venv: Path) -> None:
    expected = json.loads((INVALID / "expected.json").read_text(encoding="utf-8"))
    assert len(expected) >= 5
    for name, case in sorted(expected.items()):
        code, report = _validate(venv, INVALID / name)
        assert code == 1 and report["valid"] is case["valid"], name
        found = sorted((f["code"], f["file"], f["pointer"]) for f in report["findings"]
                       if f["severity"] == "error")
        assert found == sorted(zip(case["codes"], case["files"], case["pointers"],
                                   strict=True)), name


@pytest.mark.slow
def test_both_schema_engines_agree_at_the_floors(venv: Path) -> None:
    manifests = [str(EXAMPLES / name / "rex.json") for name in ("full", "minimal")]
    manifests += sorted(str(p) for p in INVALID.glob("*/rex.json"))
    done = _run([str(venv / "python"), "-c", _ENGINES, *manifests])
    assert done.returncode == 0, done.stdout + done.stderr
    for path, (fast, reference) in json.loads(done.stdout).items():
        assert fast == reference, path


@pytest.mark.slow
def test_conformance_suite_at_the_floors(venv: Path) -> None:
    done = _run([str(venv / "rexport"), "conformance", "run", "--suite",
                 str(ROOT / "conformance-tests")])
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^\d+ passed, 0 failed$", done.stdout, re.MULTILINE), done.stdout
