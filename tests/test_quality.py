"""The package's house rules: ruff and mypy --strict clean (the conformance generator too), the
import layers of pyproject.toml (lint-imports), no import cycle, small modules and no families
of top-level modules."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "validator" / "rexport"
MAX_LINES = 350


def _this_tree() -> dict[str, str]:
    """The environment of a child that imports the package of this checkout, not an installed
    copy: the checkout's validator/ first on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "validator"), env.get("PYTHONPATH", "")) if p)
    return env


def _run_python(script: str) -> str:
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=_this_tree(),
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff")
    assert ruff is not None, "ruff is part of the test extra"
    done = subprocess.run([ruff, "check", "validator", "tests", "benchmarks",
                                 "conformance-tests"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_mypy_strict_is_clean() -> None:
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_children_import_this_checkout() -> None:
    # what lint-imports and grimp analyse below is this tree's package
    found = _run_python("import rexport; print(rexport.__file__)").strip()
    assert Path(found).resolve() == PACKAGE / "__init__.py"


def test_the_import_layers_hold() -> None:
    lint_imports = shutil.which("lint-imports")
    assert lint_imports is not None, "import-linter is part of the test extra"
    done = subprocess.run([lint_imports, "--no-cache"], cwd=ROOT, env=_this_tree(),
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
    contracts = done.stdout.count("KEPT")
    assert contracts >= 5, done.stdout  # every contract of pyproject.toml was read


# Strongly connected components of the import graph (Tarjan, iterative): each one of more than
# one module is a cycle. grimp's graph holds every import statement, those inside functions and
# under TYPE_CHECKING included.
_CYCLES = """
import json, grimp
graph = grimp.build_graph("rexport", cache_dir=None)  # nothing written to the checkout
edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in sorted(graph.modules)}
index, low, stack, on, found, counter = {}, {}, [], set(), [], 0
for root in edges:
    if root in index:
        continue
    index[root] = low[root] = counter; counter += 1; stack.append(root); on.add(root)
    work = [(root, 0)]
    while work:
        v, i = work[-1]
        if i < len(edges[v]):
            work[-1] = (v, i + 1)
            w = edges[v][i]
            if w not in index:
                index[w] = low[w] = counter; counter += 1; stack.append(w); on.add(w)
                work.append((w, 0))
            elif w in on:
                low[v] = min(low[v], index[w])
            continue
        work.pop()
        if work:
            low[work[-1][0]] = min(low[work[-1][0]], low[v])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop(); on.discard(w); component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in edges[v]:
                found.append(sorted(component))
print(json.dumps({"modules": len(edges), "cycles": found}))
"""


def test_no_import_cycle() -> None:
    result = json.loads(_run_python(_CYCLES))
    assert result["modules"] > 50  # the whole package was read
    assert result["cycles"] == []


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_modules_stay_small(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{lines} lines: split it by meaning"


def test_no_family_of_top_level_modules() -> None:
    # replay_env.py, replay_run.py ... belong in a replay/ package
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert len(modules) > 10 and len(packages) > 5
    names = modules | packages
    families: dict[str, list[str]] = {}
    for stem in modules:
        prefix = stem.split("_")[0]
        kin = sorted(n for n in names - {stem} if n == prefix or n.startswith(prefix + "_"))
        if kin:
            families[stem] = kin
    assert families == {}
