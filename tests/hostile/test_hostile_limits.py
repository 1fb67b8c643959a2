"""Every hostile case through `rexport validate` in a child process held to 512 MiB of address
space and 10 seconds: exit 1 or 2, no traceback, nothing written outside its folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostile.cases import CASES, Case
from hostile.sandbox import Sandbox, validate_in_child

MEMORY_LIMIT = 512 << 20
TIME_LIMIT = 10.0


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    return Sandbox(tmp_path, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_every_hostile_case_within_limits(case: Case, sandbox: Sandbox) -> None:
    target = case.make(sandbox.exports)
    sandbox.watch()
    done = validate_in_child(sandbox, target, case.options, memory=MEMORY_LIMIT,
                             seconds=TIME_LIMIT)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode in (1, 2), done.stderr
    assert done.returncode == case.exit_code, done.stderr
    sandbox.assert_untouched()
