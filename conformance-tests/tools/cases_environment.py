"""Cases of environment.md: lockfiles that disagree on a package's version (ENV-09)."""

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
    x.find("REX-R111", "/environment/lockfiles/1/path")
    return _two_lockfiles(CONDA_STALE)


@case("valid", "environment", "lockfiles-agree",
      "numpy=1.26 (conda, any 1.26.x) and numpy==1.26.4.0 agree with numpy==1.26.4",
      ["ENV-09"])
def _agree(x: Expect) -> Export:
    x.never("REX-R111")
    return _two_lockfiles(CONDA_AGREEING)
