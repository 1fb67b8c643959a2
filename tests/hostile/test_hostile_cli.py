"""A sample of the hostile corpus through `rexport validate -o json` in a child process held
to 256 MiB of address space (test_hostile asserts the time cap, under slow)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from hostile.cases import CASES, Case
from hostile.sandbox import Sandbox, validate_in_child

MEMORY_LIMIT = 256 << 20
HANG_GUARD = 60  # seconds: turns a hang into a failure

# one case per kind of refusal and per container
SAMPLE = ("traversal-tar.gz", "symlink-dir", "fifo-dir", "hardlink-tar", "nfc-twin-zip",
          "data-after-end-zip", "entry-cap-tar.gz", "bomb-zip", "bomb-tar.gz",
          "truncated-tar.gz", "pax-claims-1GB-tar", "yaml-tag-dir", "nan-zip",
          "missing-input-none")


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    return Sandbox(tmp_path, monkeypatch)


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES if c.id in SAMPLE])
def test_cli_refuses_hostile_export(case: Case, sandbox: Sandbox) -> None:
    target = case.make(sandbox.exports)
    sandbox.watch()
    done = validate_in_child(sandbox, target, case.options, memory=MEMORY_LIMIT,
                             seconds=HANG_GUARD)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == case.exit_code, done.stderr
    report = json.loads(done.stdout)
    documents = report if isinstance(report, list) else [report]
    codes = {f["code"] for doc in documents for f in doc["findings"]}
    assert set(case.codes) <= codes, sorted(codes)
    sandbox.assert_untouched()


def test_sample_names_existing_cases() -> None:
    assert set(SAMPLE) <= {c.id for c in CASES}


def test_limit_is_enforced(tmp_path: Path) -> None:
    """The child's address-space cap is real: allocating past it fails."""
    done = subprocess.run([sys.executable, "-c", "b = bytearray(300 << 20)"],
                          capture_output=True, text=True, timeout=HANG_GUARD,
                          preexec_fn=_limit, cwd=tmp_path, check=False)
    assert done.returncode != 0
    assert "MemoryError" in done.stderr
