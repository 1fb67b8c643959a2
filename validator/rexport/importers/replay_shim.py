"""Re-run an imported run's recorded command and write what it logged as a REX metrics file.

`rexport import` copies this file into an export as replay/rex_replay.py, with replay/plan.json
beside it: the steps to run (an argument vector, or the shell command a pipeline tool ran) and
where the tracker writes the metrics. It needs the Python standard library only (and, for a W&B
run, replay/wandb_log.py next to it). In arguments, {python} is this interpreter and {scratch} a
folder beside this file for the tracker's output.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def flatten(value: Any, prefix: str = "", out: dict[str, float] | None = None) -> dict[str, float]:
    """Numbers of a nested mapping, by dotted name (``{"a": {"b": 1}}`` gives ``a.b``)."""
    found: dict[str, float] = {} if out is None else out
    if isinstance(value, dict):
        for key, item in value.items():
            flatten(item, f"{prefix}{key}" if not prefix else f"{prefix}.{key}", found)
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and prefix \
            and math.isfinite(value):
        found[prefix] = value
    return found


def from_file(path: Path, kind: str) -> dict[str, float]:
    """The numbers of a JSON or YAML metrics file, flattened."""
    text = path.read_text(encoding="utf-8")
    if kind == "yaml":
        import yaml  # the run's own environment reads YAML; so must its replay

        return flatten(yaml.safe_load(text))
    return flatten(json.loads(text))


def _newest(folders: list[Path]) -> Path | None:
    return max(folders, key=lambda p: p.stat().st_mtime, default=None)


def from_sacred(basedir: Path) -> dict[str, float]:
    """The last value of each metric of the newest FileStorageObserver run, and its result."""
    runs = [p for p in basedir.iterdir() if p.is_dir() and p.name.isdigit()]
    run = max(runs, key=lambda p: int(p.name), default=None)
    if run is None:
        raise SystemExit(f"rex_replay: no Sacred run was written under {basedir}")
    found: dict[str, float] = {}
    metrics_file = run / "metrics.json"
    if metrics_file.is_file():
        for name, series in json.loads(metrics_file.read_text(encoding="utf-8")).items():
            values = series.get("values") or []
            flatten(values[-1] if values else None, name, found)
    result = json.loads((run / "run.json").read_text(encoding="utf-8")).get("result")
    flatten(result, "result", found)
    return found


def from_wandb(folders: list[Path]) -> dict[str, float]:
    """The numeric summary of the newest W&B offline run under the given folders."""
    sys.path.insert(0, str(HERE))
    wandb_log: Any = importlib.import_module("wandb_log")  # copied beside this file

    logs = [log for folder in folders if folder.is_dir()
            for log in folder.glob("wandb/*run-*/run-*.wandb")]
    newest = _newest(logs)
    if newest is None:
        raise SystemExit("rex_replay: the run wrote no W&B log (wandb/*/run-*.wandb)")
    with open(newest, "rb") as handle:
        run = wandb_log.read(handle)
    return flatten({k: v for k, v in run.summary.items() if not k.startswith("_")})


def _expand(text: str, scratch: Path) -> str:
    return text.replace("{python}", sys.executable).replace("{scratch}", str(scratch))


def main() -> int:
    plan = json.loads((HERE / "plan.json").read_text(encoding="utf-8"))
    scratch = HERE / "scratch"
    scratch.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update({k: _expand(v, scratch) for k, v in plan.get("env", {}).items()})
    for step in plan["steps"]:
        cwd = ROOT / step.get("cwd", ".")
        print(f"rex_replay: in {cwd.relative_to(ROOT)}: {step.get('shell') or step['argv']}",
              flush=True)
        if "shell" in step:  # a pipeline tool's command line, run by a shell as the tool did
            done = subprocess.run(step["shell"], shell=True, cwd=cwd, env=env, check=False)
        else:
            argv = [_expand(arg, scratch) for arg in step["argv"]]
            done = subprocess.run(argv, cwd=cwd, env=env, check=False)
        if done.returncode != 0:
            print(f"rex_replay: the step exited with status {done.returncode}", file=sys.stderr)
            return done.returncode or 1
    source = plan["metrics"]
    found: dict[str, float] = {}
    if source["kind"] == "files":
        for item in source["files"]:
            found.update(from_file(ROOT / item["path"], item["format"]))
    elif source["kind"] == "sacred":
        found = from_sacred(scratch / "sacred")
    elif source["kind"] == "wandb":
        found = from_wandb([scratch, ROOT / source.get("cwd", ".")])
    (HERE / "metrics.json").write_text(json.dumps(found, indent=2, sort_keys=True) + "\n",
                                       encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
