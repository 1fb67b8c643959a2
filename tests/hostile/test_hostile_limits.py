"""Every hostile case through `rexport validate` in a child process held to 512 MiB of address
space and 10 seconds: exit 1 or 2, no traceback, nothing written outside its folder."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from hostile.cases import CASES, Case
from hostile.sandbox import Sandbox

MEMORY_LIMIT = 512 << 20
TIME_LIMIT = 10.0


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _options(case: Case) -> list[str]:
    out: list[str] = []
    for key, value in case.options.items():
        out += ["--" + key.replace("_", "-"), str(value)]
    return out


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    return Sandbox(tmp_path, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_every_hostile_case_within_limits(case: Case, sandbox: Sandbox) -> None:
    target = case.make(sandbox.exports)
    sandbox.watch()
    env = {**os.environ, "TMPDIR": str(sandbox.tmp), "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "rexport", "validate", "-o", "json", *_options(case),
         str(target)],
        cwd=sandbox.cwd, env=env, capture_output=True, text=True, timeout=TIME_LIMIT,
        preexec_fn=_limit, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode in (1, 2), done.stderr
    assert done.returncode == case.exit_code, done.stderr
    sandbox.assert_untouched()
