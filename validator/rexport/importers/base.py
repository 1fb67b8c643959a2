"""What an importer read from a tracker, in REX's terms, and how it becomes an export."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rexport import __version__
from rexport.importers import gitrepo
from rexport.importers.replay_plan import ReplayPlan
from rexport.pack.build import Written
from rexport.pack.capture import Capture
from rexport.pack.clock import reference_epoch
from rexport.pack.environment import (
    Captured,
    EnvironmentOptions,
    find_lockfiles,
    pinned_packages,
)
from rexport.pack.git import GitInfo
from rexport.pack.reproduce import requirements

NOT_RECORDED = "unknown"
HISTORY_PATH = "results/metrics-history.csv"
_SEED_KEYS = ("seed", "random_seed", "random_state")
_MACHINE = re.compile(r"-(x86_64|amd64|AMD64|aarch64|arm64|i[3-6]86|ppc64le|s390x|armv7l)(?:-|$)")
# Every part of this machine's environment is off: an import records the run's, not ours.
_NOTHING_HERE = EnvironmentOptions(os=False, os_release=False, python=False, packages="none",
                                   lockfiles=False, hardware=False, gpus=False, compiler=False,
                                   variables=(), reproduce=True)


@dataclass
class Artifact:
    """A file the run made, as the tracker kept it, and where it goes in the export."""

    name: str
    local: Path
    dest: str
    kind: str | None = None


@dataclass
class Dataset:
    """A dataset the run read, embedded from ``local`` (stored at ``dest``, or in the code
    snapshot when ``local`` is a file of it)."""

    id: str
    name: str
    local: Path
    dest: str | None = None
    description: str | None = None


@dataclass
class Recorded:
    """A run as the tracker recorded it, mapped onto the parts of a REX export.

    Code: the commit (and the repository at hand, whose tree at that commit is the snapshot),
    else ``sources`` (files the tracker kept, by snapshot path). ``overlay`` replaces files of
    the commit's tree with what the tracker says actually ran (the diff is then recorded).
    """

    tool: str
    tool_version: str | None
    title: str
    commit: str | None = None
    branch: str | None = None
    repository: str | None = None
    dirty: bool | None = None
    repo: Path | None = None
    diff: bytes = b""
    sources: dict[str, Path] = field(default_factory=dict)
    overlay: dict[str, bytes | Path] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    packages: list[dict[str, Any]] = field(default_factory=list)
    lockfiles: list[tuple[str, str]] = field(default_factory=list)  # (snapshot path, format)
    lockfile_dir: str | None = None  # a snapshot folder whose lockfiles are the environment
    # requirement lines added to the lockfile written from ``packages`` (with a why comment)
    requirements_extra: list[str] = field(default_factory=list)
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    seeds: dict[str, int] = field(default_factory=dict)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    history: list[tuple[str, int | None, str, str]] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # export path -> bytes (role other)
    datasets: list[Dataset] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    entry_points: list[dict[str, Any]] = field(default_factory=list)
    replay: ReplayPlan | None = None
    notes: str = ""
    epoch: int | None = None
    warnings: list[str] = field(default_factory=list)

    def warn(self, what: str, todo: str) -> None:
        """Note what a reviewer will miss, and what to do about it."""
        self.warnings.append(f"{what}; {todo}")

    def keep(self, name: str, document: Any) -> None:
        """Keep what the tracker recorded that REX has no place for, as tracker/NAME (JSON)."""
        text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, default=str)
        self.files[f"tracker/{name}"] = (text + "\n").encode("utf-8")


def number(value: Any) -> float | int | None:
    """A finite JSON number from a tracker's value (a number or its text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value) if any(c in value.lower() for c in ".en") else int(value)
        except ValueError:
            return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return value
    return None


def platform_os(text: str) -> dict[str, Any]:
    """``os`` and ``architecture`` from Python's platform.platform() text, as trackers record it
    (``Linux-6.1.0-18-amd64-x86_64-with-glibc2.36``); {} when it cannot be read."""
    machine = _MACHINE.search(text)
    system = text.partition("-")[0]
    if not system or machine is None:
        return {}
    # platform.platform() says macOS where platform.system(), whose name REX records, says Darwin
    name = "Darwin" if system == "macOS" else system
    found: dict[str, Any] = {"os": {"name": name}, "architecture": machine[1]}
    release = text[:machine.start()].partition("-")[2]
    if release:
        found["os"]["version"] = release
    return found


def seeds_from(hyperparameters: dict[str, Any]) -> dict[str, int]:
    """Seeds found by name (seed, random_seed, random_state) among the parameters."""
    found = {}
    for key in _SEED_KEYS:
        value = number(hyperparameters.get(key))
        if isinstance(value, int):
            found[key] = value
    return found


def packages_from_requirements(text: str, rec: Recorded, where: str) -> None:
    """Fill ``rec.packages`` from a pip requirements text; other lines are noted once."""
    rec.packages = pinned_packages(text)
    lines = [line.strip() for line in text.splitlines()
             if line.strip() and not line.lstrip().startswith(("#", "--"))]
    unpinned = [line for line in lines if "==" not in line]
    if unpinned:
        rec.warn(f"{where} names {len(unpinned)} requirement(s) not pinned to a version "
                 f"({', '.join(unpinned[:3])})", "they are left out of the export's lockfile; "
                 "add them to environment/requirements.txt by hand if a replay needs them")


def final_metrics(series: dict[str, list[tuple[int | None, Any]]], rec: Recorded,
                  max_steps: int = 1000) -> None:
    """Record each metric's last value per step (at most ``max_steps`` steps, else the final
    value only); values that are not finite numbers stay in the history file alone."""
    for name in sorted(series):
        by_step: dict[int | None, float | int] = {}
        dropped = 0
        for step, raw in series[name]:
            value = number(raw)
            if value is None:
                dropped += 1
                continue
            by_step[step if step is None or step >= 0 else None] = value
        if dropped:
            rec.warn(f"metric {name!r} has {dropped} value(s) that are not finite numbers",
                     f"REX cannot record them as metrics; they are in {HISTORY_PATH}")
        steps = sorted(by_step, key=lambda s: -1 if s is None else s)
        if len(steps) > max_steps:
            rec.warn(f"metric {name!r} was logged at {len(steps)} steps",
                     f"only its final value is in rex.json; every value is in {HISTORY_PATH}")
            steps = steps[-1:]
        for step in steps:
            entry: dict[str, Any] = {"name": name, "value": by_step[step]}
            if step is not None:
                entry["step"] = step
            rec.metrics.append(entry)


def history_csv(rows: list[tuple[str, int | None, str, str]]) -> bytes:
    """The full metric history as CSV: metric, step, timestamp, value (as the tracker wrote)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["metric", "step", "timestamp", "value"])
    for name, step, stamp, value in rows:
        writer.writerow([name, "" if step is None else step, stamp, value])
    return out.getvalue().encode("utf-8")


def producer(rec: Recorded) -> dict[str, Any]:
    """``producer``: this importer, and the tracker (with its version, as it recorded it)."""
    return {"name": f"rexport import {rec.tool}", "version": __version__,
            "x-source": {"name": rec.tool, "version": rec.tool_version or NOT_RECORDED}}


def _environment(rec: Recorded, code_dir: Path | None, tmp: Path) -> Captured:
    section = {"os": {"name": NOT_RECORDED}, "architecture": NOT_RECORDED, **rec.environment}
    if rec.packages:
        section["packages"] = rec.packages
    locks = [(code_dir / path, kind) for path, kind in rec.lockfiles if code_dir is not None]
    if rec.lockfile_dir is not None and code_dir is not None:
        locks += find_lockfiles(code_dir / rec.lockfile_dir)
        pins = [lock for lock, kind in locks if kind == "pip-requirements"]
        if pins and not rec.packages:
            section["packages"] = pinned_packages(pins[0].read_text("utf-8", "replace"))
    if rec.requirements_extra and not any(kind == "pip-requirements" for _, kind in locks):
        lockfile = tmp / "lock" / "requirements.txt"
        lockfile.parent.mkdir()
        lockfile.write_bytes(requirements(rec.packages)
                             + "".join(f"{line}\n" for line in rec.requirements_extra).encode())
        locks.append((lockfile, "pip-requirements"))
    return Captured(section, locks)


def _git_info(rec: Recorded, time: int, repository: str | None, had: bool) -> GitInfo | None:
    if rec.commit is None:
        return None
    return GitInfo(commit=rec.commit, commit_time=time, branch=rec.branch, tag=None,
                   repository=repository, url_had_credentials=had,
                   dirty=bool(rec.dirty or rec.diff), diff=rec.diff)


def _code_tree(rec: Recorded, tmp: Path) -> Path | None:
    code = tmp / "code"
    if rec.repo is not None and rec.commit is not None:
        skipped = gitrepo.extract(rec.repo, rec.commit, code)
        if skipped:
            rec.warn(f"links and submodules of commit {rec.commit[:12]} are not in the "
                     f"snapshot ({', '.join(skipped[:5])})", "REX stores regular files only")
        for rel, data in rec.overlay.items():
            (code / rel).parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, Path):
                shutil.copyfile(data, code / rel)
            else:
                (code / rel).write_bytes(data)
        return code
    if rec.sources:
        for rel, local in rec.sources.items():
            (code / rel).parent.mkdir(parents=True, exist_ok=True)
            (code / rel).write_bytes(local.read_bytes())
        return code
    return None


def write(rec: Recorded, out: Path, *, fmt: str | None = None, overwrite: bool = False,
          allow_secrets: bool = False) -> Written:
    """Write ``rec`` as a REX export at ``out`` through the packer (atomic, deterministic).

    Returns what the packer wrote, with the importer's warnings first.
    """
    from rexport.importers import replay_plan

    with tempfile.TemporaryDirectory(prefix="rexport-import-") as scratch:
        tmp = Path(scratch)
        code_dir = _code_tree(rec, tmp)
        info = (gitrepo.describe(rec.repo, rec.commit) if rec.repo and rec.commit
                else gitrepo.CommitInfo(0, None, False))
        # the run's own time (else its commit's) is the export's, unless SOURCE_DATE_EPOCH says
        epoch = reference_epoch(rec.epoch or info.commit_time or None)
        cap = Capture(code_dir or tmp, code=code_dir is not None, git=False,
                      title=rec.title, environment=_NOTHING_HERE, epoch=epoch)
        cap.git = _git_info(rec, info.commit_time, rec.repository or info.repository,
                            info.url_had_credentials)
        cap.environment = _environment(rec, code_dir, tmp)
        cap.producer = producer(rec)
        cap.warnings[:0] = rec.warnings
        cap.config(hyperparameters=rec.hyperparameters)
        if rec.seeds:
            cap.seeds(rec.seeds)
        for dataset in rec.datasets:
            local = dataset.local if dataset.local.is_absolute() or code_dir is None \
                else code_dir / dataset.local
            cap.dataset(dataset.id, local, name=dataset.name, dest=dataset.dest,
                        description=dataset.description)
        cap.metrics.extend(rec.metrics)
        if rec.history:
            path = cap.add_bytes(HISTORY_PATH, history_csv(rec.history), role="result")
            cap.artifacts.append({"name": "metrics-history", "kind": "table", "path": path})
        for artifact in rec.artifacts:
            cap.artifact(artifact.name, artifact.local, kind=artifact.kind, dest=artifact.dest)
        for path, data in sorted(rec.files.items()):
            cap.add_bytes(path, data, role="other")
        cap.entry_points.extend(rec.entry_points)
        if rec.notes:
            cap.note(rec.notes)
        cap.steps.extend(rec.steps)
        if rec.replay is not None:
            replay_plan.attach(rec.replay, cap)
        return cap.write(out, format=fmt, overwrite=overwrite, allow_secrets=allow_secrets,
                         progress=False)
