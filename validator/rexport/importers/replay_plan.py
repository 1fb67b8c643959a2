"""The replay section of an import: the recorded command, run by a small script in the export."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rexport.pack.capture import Capture

SHIM_PATH = "replay/rex_replay.py"
PLAN_PATH = "replay/plan.json"
METRICS_FILE = "replay/metrics.json"
# A rerun of the same code, data and seeds should give the same numbers; this allows for the
# last bits of floating-point arithmetic done in another order (other BLAS threads, say).
TOLERANCE = {"absolute": 1e-9, "relative": 1e-6}
_HERE = Path(__file__).resolve().parent


@dataclass
class ReplayPlan:
    """What the shim runs and where it reads the metrics.

    ``steps``: ``{"argv": [...]}`` or ``{"shell": "..."}``, each with ``cwd`` (a folder of the
    export); ``metrics``: ``{"kind": "files", "files": [{"path", "format"}]}``, ``{"kind":
    "sacred"}`` or ``{"kind": "wandb", "cwd": ...}``; ``names``: the metrics to compare.
    """

    steps: list[dict[str, Any]]
    metrics: dict[str, Any]
    names: list[str]
    env: dict[str, str] = field(default_factory=dict)


def plan_bytes(plan: ReplayPlan) -> bytes:
    document = {"steps": plan.steps, "metrics": plan.metrics, "env": plan.env}
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")


def attach(plan: ReplayPlan, cap: Capture) -> None:
    """Add the shim, its plan and the replay section to ``cap``; metrics the run did not
    record are not compared."""
    recorded = {m["name"] for m in cap.metrics}
    names = sorted(n for n in set(plan.names) if n in recorded)
    if not names:
        cap.warnings.append("the replay section is left out: none of the metrics the replay "
                            "can read back was recorded by the run")
        return
    cap.add_bytes(SHIM_PATH, (_HERE / "replay_shim.py").read_bytes(), role="code")
    if plan.metrics["kind"] == "wandb":
        cap.add_bytes("replay/wandb_log.py", (_HERE / "wandb_log.py").read_bytes(), role="code")
    cap.add_bytes(PLAN_PATH, plan_bytes(plan), role="config")
    cap.replay(["python", SHIM_PATH], metrics=[{"name": n, "tolerance": dict(TOLERANCE)}
                                               for n in names],
               metrics_file=METRICS_FILE)
