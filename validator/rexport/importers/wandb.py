"""Import a W&B offline run folder: its run log (config, summary, history, metadata) and files/."""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path
from typing import Any

from rexport.importers import gitrepo
from rexport.importers.base import (
    Artifact,
    Recorded,
    final_metrics,
    number,
    packages_from_requirements,
    platform_os,
    seeds_from,
)
from rexport.importers.replay_plan import ReplayPlan
from rexport.importers.rundir import ImportRefused, RunDir
from rexport.importers.wandb_log import LogError, WandbRun
from rexport.importers.wandb_log import read as read_log

MAX_LOG_BYTES = 8 << 30
# files wandb writes itself into files/: read for what they say, not kept as results
_OWN = {"requirements.txt", "wandb-metadata.json", "wandb-summary.json", "config.yaml",
        "diff.patch", "conda-environment.yaml"}
_PYTHON = re.compile(r"^(\w+) (\d+\.\d+\.\d+\S*)$")


def _log(folder: RunDir) -> WandbRun:
    logs = [name for name in folder.listdir() if re.fullmatch(r"run-[\w-]+\.wandb", name)]
    if len(logs) != 1:
        raise ImportRefused(f"{folder.root} holds {len(logs)} run logs (run-ID.wandb), not one: "
                            "give a W&B run folder, wandb/offline-run-DATE-ID")
    local = folder.regular(logs[0])
    if local.stat().st_size > MAX_LOG_BYTES:
        raise ImportRefused(f"{logs[0]} is larger than {MAX_LOG_BYTES} bytes")
    try:
        with open(local, "rb") as handle:
            return read_log(handle)
    except LogError as exc:
        raise ImportRefused(f"{logs[0]} cannot be read: {exc}") from None


def _code(run: WandbRun, rec: Recorded, folder: RunDir, repo: Path | None) -> str | None:
    """Fill the code part; return where the run started, relative to the repository top."""
    env = run.environment
    if not gitrepo.is_commit(run.git_commit):
        raise ImportRefused("the run records no git commit, so its code cannot be named; run "
                            "it from a git checkout (W&B records the commit then)")
    rec.commit = run.git_commit
    if run.git_remote:
        from rexport.pack.git import strip_credentials

        rec.repository = strip_credentials(run.git_remote)[0]
    program, code_path = str(env.get("program") or ""), str(env.get("code_path") or "")
    top = program[:-len(code_path)].rstrip("/") if code_path and program.endswith(
        "/" + code_path) else None
    root = str(env.get("root") or "")
    candidates = [repo, Path(top) if top else None, Path(root) if root else None,
                  folder.root.parent.parent, Path.cwd()]
    rec.repo = gitrepo.find_repository(rec.commit, candidates)
    if rec.repo is None:
        rec.warn(f"no local repository holds commit {rec.commit[:12]}", "the export names "
                 "the commit but carries no code; import again with --repo PATH")
    if folder.exists("files/diff.patch"):
        rec.diff = folder.read_bytes("files/diff.patch", 256 << 20)
        rec.dirty = bool(rec.diff.strip())
        if rec.dirty:
            rec.warn("the run had uncommitted changes (files/diff.patch, kept as the diff)",
                     "the snapshot is the commit without them, and so is what a replay runs")
    else:
        rec.warn("W&B did not record whether the work tree had uncommitted changes",
                 "the snapshot is the commit as committed; check the run was made from a "
                 "clean checkout")
    if top is None or not root:
        return None
    start = posixpath.relpath(root, top)
    if start.startswith(".."):
        return None
    if rec.repo is not None and gitrepo.in_commit(rec.repo, rec.commit, code_path):
        rec.entry_points.append({"name": "main", "path": f"code/{code_path}"})
    return "" if start == "." else start


def _environment(run: WandbRun, rec: Recorded, folder: RunDir) -> None:
    env = run.environment
    section: dict[str, Any] = platform_os(str(env.get("os") or ""))
    python = _PYTHON.match(str(env.get("python") or ""))
    if python:
        section["python"] = {"implementation": python[1], "version": python[2]}
    hardware: dict[str, Any] = {}
    cpu = {k: v for k, v in (("model", env.get("cpu_model")),
                             ("count", env.get("cpu_count_logical") or env.get("cpu_count")))
           if v}
    if cpu:
        hardware["cpu"] = cpu
    if isinstance(env.get("memory_total"), int):
        hardware["memory_bytes"] = env["memory_total"]
    gpus = [{"model": g["name"], **({"memory_bytes": g["memory_total"]}
                                    if isinstance(g.get("memory_total"), int) else {}),
             **({"cuda": env["cuda_version"]} if env.get("cuda_version") else {})}
            for g in env.get("gpus", []) if g.get("name")]
    if gpus:
        hardware["gpus"] = gpus
    if hardware:
        section["hardware"] = hardware
    rec.environment = section
    if folder.exists("files/requirements.txt"):
        packages_from_requirements(folder.text("files/requirements.txt"), rec,
                                   "files/requirements.txt")
    else:
        rec.warn("the run recorded no requirements.txt", "the export lists no packages")


def _results(run: WandbRun, rec: Recorded, folder: RunDir) -> list[str]:
    series: dict[str, list[tuple[int | None, Any]]] = {}
    for row in run.history:
        step = row.get("_step") if isinstance(row.get("_step"), int) else None
        for key, value in sorted(row.items()):
            if key.startswith("_") or isinstance(value, (dict, list)):
                continue
            series.setdefault(key, []).append((step, value))
            rec.history.append((key, step, str(row.get("_timestamp", "")), str(value)))
    for key, value in sorted(run.summary.items()):
        if key.startswith("_") or number(value) is None:
            continue
        if key not in series:
            series[key] = [(None, value)]
        elif number(series[key][-1][1]) != number(value):
            rec.warn(f"the summary of {key!r} ({value}) is not its last logged value",
                     "the export records the logged values; the summary is in "
                     "tracker/wandb-run.json")
    final_metrics(series, rec)
    for rel, local in folder.files("files"):
        if rel in _OWN:
            continue
        kind = "log" if rel == "output.log" else None
        rec.artifacts.append(Artifact(rel, local, f"results/files/{rel}", kind))
    for artifact in run.artifacts:
        rec.warn(f"W&B artifact {artifact.get('name')!r} ({artifact.get('type')}, "
                 f"{len(artifact['entries'])} file(s)) is kept outside the run folder",
                 "its manifest with digests is in tracker/wandb-run.json; add the files "
                 "themselves to the export if a reviewer needs them")
    return sorted(series)


def _replay(run: WandbRun, rec: Recorded, start: str | None, names: list[str]) -> None:
    env = run.environment
    program, root = str(env.get("program") or ""), str(env.get("root") or "")
    if rec.repo is None or start is None or not program.endswith(".py"):
        rec.warn("the command cannot be rebuilt (no repository at hand, or no script file "
                 "recorded)", "the export has no replay section")
        return
    script = posixpath.relpath(program, root)
    cwd = f"code/{start}" if start else "code"
    argv = ["{python}", script, *[str(a) for a in env.get("args", [])]]
    rec.replay = ReplayPlan([{"argv": argv, "cwd": cwd}], {"kind": "wandb", "cwd": cwd}, names,
                            env={"WANDB_MODE": "offline", "WANDB_DIR": "{scratch}",
                                 "WANDB_SILENT": "true"})


def read(run_dir: Path, *, repo: Path | None, skip_links: bool,
         warnings: list[str]) -> Recorded:
    """Read a W&B offline run folder; ``repo`` is a clone holding its commit."""
    folder = RunDir(run_dir, "W&B run", skip_links=skip_links, warnings=warnings)
    run = _log(folder)
    rec = Recorded("wandb", run.version or None, f"W&B run {run.display_name or run.run_id} "
                   f"(project {run.project})", warnings=warnings)
    if run.truncated or run.exit_code is None:
        rec.warn("the run log ends before the run finished", "its results may be partial")
    elif run.exit_code != 0:
        rec.warn(f"the run exited with status {run.exit_code}", "its results may be partial")
    start = _code(run, rec, folder, repo)
    rec.hyperparameters = {k: v for k, v in run.config.items() if k != "_wandb"}
    rec.seeds = seeds_from(rec.hyperparameters)
    _environment(run, rec, folder)
    names = _results(run, rec, folder)
    _replay(run, rec, start, names)
    rec.notes = run.notes
    rec.epoch = int(run.start_time) if run.start_time else None
    env = run.environment
    rec.keep("wandb-run.json", {
        "run_id": run.run_id, "project": run.project, "entity": run.entity,
        "display_name": run.display_name, "tags": run.tags, "exit_code": run.exit_code,
        "start_time": run.start_time, "summary": run.summary, "files": run.files,
        "artifacts": run.artifacts, "program": env.get("program"), "args": env.get("args"),
        "docker": env.get("docker"), "host": env.get("host"),
        "executable": os.path.basename(str(env.get("executable") or "")) or None})
    return rec
