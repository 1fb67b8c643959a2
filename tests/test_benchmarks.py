"""The quick benchmark as a check: rexport's ratios to reference tools stay near their marks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.timeout(1800)  # a hang guard: fixtures are built on the first run
def test_quick_benchmark_ratios_stay_within_a_quarter_of_their_marks() -> None:
    # ratios measured in the same run, never absolute times; a case fails only when its
    # ratio is more than 25% past its mark (run.py --quick), so a busy machine passes and
    # a regression does not
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert len(rows) >= 13, done.stdout  # every case ran
