"""A small replayable export (script, lockfile, recorded metrics) for the replay and diff tests."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helpers.exports import build_manifest, seal, write_export

# The experiment: its "accuracy" follows the recorded seed, so a replay that ignored the seed
# would not reproduce; it writes its metrics where replay.metrics_file says.
TRAIN = """\
import json, os, pathlib
seed = int(os.environ["REX_SEED_PYTHON"])
accuracy = round(0.9 + seed / 1000, 4)
out = pathlib.Path("replay/metrics.json")
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(json.dumps({"metrics": [
    {"name": "accuracy", "split": "test", "value": accuracy},
    {"name": "loss", "split": "test", "value": 0.25}]}))
pathlib.Path("replay/env.json").write_text(json.dumps(dict(os.environ)))
print("trained with seed", seed)
"""

LOCKFILE = "# this experiment needs nothing beyond the standard library\n"

# what differs from the base manifest: a recorded seed, a lockfile, and a replay section
SECTIONS: dict[str, Any] = {
    "title": "Seeded toy experiment",
    "code": {"snapshot": {"root": "code/"},
             "vcs": {"type": "git", "commit": "a" * 40, "branch": "main", "dirty": False},
             "entry_points": [{"name": "train", "path": "code/train.py",
                               "command": ["python", "code/train.py"]}]},
    "environment": {
        "os": {"name": "Linux", "version": "6.1.0"},
        "architecture": "x86_64",
        "python": {"implementation": "CPython", "version": "3.11.7"},
        "packages": [{"name": "numpy", "version": "1.26.4"},
                     {"name": "scikit-learn", "version": "1.5.0"}],
        "lockfiles": [{"path": "environment/requirements.lock", "format": "pip-requirements"}],
    },
    "config": {"hyperparameters": {"C": 1.0, "max_iter": 200},
               "seeds": {"python": 7, "numpy": 7}},
    "results": {"metrics": [{"name": "accuracy", "value": 0.907, "split": "test"},
                            {"name": "loss", "value": 0.25, "split": "test"}]},
    "replay": {
        "command": ["python", "code/train.py"],
        "working_directory": ".",
        "timeout_seconds": 60,
        "metrics_file": "replay/metrics.json",
        "environment": {"OMP_NUM_THREADS": "1"},
        "metrics": [{"name": "accuracy", "split": "test", "tolerance": {"absolute": 0.01}},
                    {"name": "loss", "split": "test", "tolerance": {"relative": 0.1}}],
    },
}


def build_export(dest: Path, *, script: str = TRAIN, lockfile: str = LOCKFILE,
                 edit: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """Write the fixture export as a directory at ``dest``; ``edit`` changes the manifest first."""
    files = {"code/train.py": script.encode(), "environment/requirements.lock": lockfile.encode()}
    manifest = build_manifest(files, **copy.deepcopy(SECTIONS))
    if edit is not None:
        edit(manifest)
    return write_export(dest, files, seal(manifest))
