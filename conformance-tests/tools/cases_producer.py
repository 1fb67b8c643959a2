"""Cases of what producers record: lockfiles that disagree on a version (ENV-09), a recorded
run with its start and end (PKG-05)."""

from __future__ import annotations

from bases import full
from registry import Expect, case
from rexgen import Export

CONDA_STALE = b"""name: iris
channels: [conda-forge]
dependencies:
  - python=3.11
  - numpy=1.24
"""
CONDA_AGREEING = b"""name: iris
channels: [conda-forge]
dependencies:
  - python=3.11
  - numpy=1.26
  - pip:
      - numpy==1.26.4.0
"""


def _two_lockfiles(conda: bytes) -> Export:
    e = full()
    e.add("environment/environment.yml", conda, "application/yaml", "environment")
    e.m["environment"]["lockfiles"].append({"path": "environment/environment.yml",
                                            "format": "conda-environment"})
    return e.index().seal()


@case("warning", "environment", "lockfiles-disagree",
      "a conda environment pins numpy at another version than the pip lockfile", ["ENV-09"])
def _disagree(x: Expect) -> Export:
    """The full export with a conda environment file added, listed second among the
    lockfiles, pinning numpy=1.24 where the pip lockfile pins numpy==1.26.4; re-sealed."""
    x.find("REX-R112", "/environment/lockfiles/1/path")
    return _two_lockfiles(CONDA_STALE)


@case("valid", "environment", "lockfiles-agree",
      "numpy=1.26 (conda, any 1.26.x) and numpy==1.26.4.0 agree with numpy==1.26.4",
      ["ENV-09"])
def _agree(x: Expect) -> Export:
    """The full export with a conda environment file added, listed second among the
    lockfiles, pinning numpy=1.26 and numpy==1.26.4.0 (both agree with 1.26.4); re-sealed."""
    x.never("REX-R112")
    return _two_lockfiles(CONDA_AGREEING)


@case("valid", "packaging", "recorded-run", "a run recorded as a lineage step with its times",
      ["PKG-05", "LIN-01"])
def _recorded_run(x: Expect) -> Export:
    """The full export with a fourth lineage step, the run, with its start and end times."""
    e = full()
    e.m["lineage"]["steps"].append(
        {"id": "run", "description": "the run recorded by rexport run",
         "inputs": [{"file": "config/config.yaml"}], "outputs": [{"file": "results/model.pkl"}],
         "code": {"path": "code/train.py"}, "started": "2026-01-15T10:03:00Z",
         "ended": "2026-01-15T10:03:04Z"})
    return e.seal()
