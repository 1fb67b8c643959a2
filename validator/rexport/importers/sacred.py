"""Import a Sacred run from a FileStorageObserver folder (run.json, config.json, metrics.json)."""

from __future__ import annotations

import hashlib
import os
import re
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from rexport.importers import gitrepo
from rexport.importers.base import (
    Artifact,
    Dataset,
    Recorded,
    final_metrics,
    number,
    packages_from_requirements,
    platform_os,
)
from rexport.importers.replay_plan import ReplayPlan
from rexport.importers.rundir import ImportRefused, RunDir
from rexport.pack.files import dataset_id
from rexport.paths import display

_STORED = re.compile(r"^_(sources|resources)/[^/]+_([0-9a-f]{32})(\.[^./]*)?$")
_MIB = 1 << 20


def _md5(local: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(local, "rb") as handle:
        for chunk in iter(lambda: handle.read(_MIB), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _stored(base: RunDir, stored: Any) -> tuple[Path, str]:
    """A file of _sources/ or _resources/, its md5 (from its name) checked against its bytes."""
    match = _STORED.match(stored) if isinstance(stored, str) else None
    if match is None:
        raise ImportRefused(f"run.json names {display(str(stored))!r} as a stored source or "
                            "resource: Sacred stores them as _sources/NAME_MD5.EXT")
    local = base.regular(stored)
    if _md5(local) != match[2]:
        raise ImportRefused(f"{stored} does not match the md5 in its name: it was changed "
                            "after the run, so it is not the code or data that ran")
    return local, match[2]


def _time(text: Any) -> int | None:
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    if moment.tzinfo is None:  # Sacred writes UTC times without an offset
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


def _base_in_repo(experiment: dict[str, Any], repo: Path | None, url: str) -> str | None:
    """Where the experiment's base_dir is inside the repository, as a relative path."""
    base_dir = str(experiment.get("base_dir") or "")
    tops = [str(repo)] if repo is not None else []
    if url.startswith("git:/"):  # Sacred's stand-in for a repository without a remote
        tops.append(url[len("git:/"):])
    for top in tops:
        try:
            rel = PurePosixPath(base_dir).relative_to(top).as_posix()
        except ValueError:
            continue
        return "" if rel == "." else rel
    return None


def _code(base: RunDir, run: dict[str, Any], rec: Recorded, repo: Path | None,
          run_dir: Path) -> str | None:
    """Fill the code part; return the base_dir's path in the snapshot (None: no snapshot)."""
    experiment = run.get("experiment") or {}
    repos = [r for r in experiment.get("repositories") or [] if isinstance(r, dict)]
    sources = {}
    for item in experiment.get("sources") or []:
        if isinstance(item, list) and len(item) == 2:
            sources[str(item[0])] = _stored(base, item[1])
    url = str(repos[0].get("url") or "") if repos else ""
    if repos and gitrepo.is_commit(repos[0].get("commit")):
        rec.commit, rec.dirty = repos[0]["commit"], bool(repos[0].get("dirty"))
        if url and not url.startswith("git:/"):
            from rexport.pack.git import strip_credentials

            rec.repository = strip_credentials(url)[0]
        local = Path(url[len("git:/"):]) if url.startswith("git:/") else None
        rec.repo = gitrepo.find_repository(rec.commit, [repo, local, Path(str(
            experiment.get("base_dir") or "")), run_dir, Path.cwd()])
    if len(repos) > 1:
        rec.warn(f"the sources come from {len(repos)} repositories",
                 "only the first one's commit is recorded")
    base_rel = _base_in_repo(experiment, rec.repo, url) if rec.repo else None
    if rec.repo is not None and rec.commit is not None and base_rel is not None:
        _overlay(rec, sources, base_rel)
        return base_rel
    if rec.commit:
        what = (f"no local repository holds commit {rec.commit[:12]}" if rec.repo is None else
                f"the experiment's folder {experiment.get('base_dir')} is not in {rec.repo}")
        rec.repo = None
        rec.warn(what, "the snapshot is the sources Sacred stored; import again with "
                       "--repo PATH (the clone the run used) for the whole commit")
    for rel, (local, _) in sources.items():
        if ".." in PurePosixPath(rel).parts or rel.startswith("/"):
            rec.warn(f"source {rel} lies outside the experiment's folder", "it is left out")
            continue
        rec.sources[rel] = local
    return "" if rec.sources else None


def _overlay(rec: Recorded, sources: dict[str, tuple[Path, str]], base_rel: str) -> None:
    """Put the sources that ran over the commit's files; record the difference as the diff."""
    assert rec.repo is not None and rec.commit is not None
    import difflib

    chunks = []
    for rel, (local, md5) in sorted(sources.items()):
        path = os.path.normpath(f"{base_rel}/{rel}" if base_rel else rel).replace(os.sep, "/")
        if path.startswith("../"):
            continue
        before = gitrepo.show(rec.repo, rec.commit, path, 64 * _MIB)
        if before is not None and hashlib.md5(before, usedforsecurity=False).hexdigest() == md5:
            continue
        after = local.read_bytes()
        rec.overlay[path] = after
        old = (before or b"").decode("utf-8", "replace").splitlines(keepends=True)
        new = after.decode("utf-8", "replace").splitlines(keepends=True)
        chunks.append(f"diff --git a/{path} b/{path}\n")
        chunks += difflib.unified_diff(old, new, f"a/{path}" if before is not None
                                       else "/dev/null", f"b/{path}")
    if chunks:
        rec.diff = "".join(chunks).encode("utf-8")
        rec.warn("the run used sources that differ from its commit", "the snapshot holds the "
                 "sources as they ran; the diff covers only the files Sacred stored")
    elif rec.dirty:
        rec.warn("Sacred recorded uncommitted changes in the repository, but the sources it "
                 "stored match the commit", "other files than the experiment's sources may "
                 "have differed from the commit; the export cannot tell which")


def _environment(run: dict[str, Any], rec: Recorded) -> None:
    host = run.get("host") or {}
    system = host.get("os") if isinstance(host.get("os"), list) else []
    env: dict[str, Any] = platform_os(str(system[-1])) if system else {}
    if system:
        env.setdefault("os", {})["name"] = str(system[0])
    if host.get("python_version"):
        env["python"] = {"implementation": "unknown", "version": str(host["python_version"])}
    hardware: dict[str, Any] = {}
    if host.get("cpu"):
        hardware["cpu"] = {"model": str(host["cpu"])}
    gpus = (host.get("gpus") or {}).get("gpus") if isinstance(host.get("gpus"), dict) else None
    if isinstance(gpus, list):
        hardware["gpus"] = [{"model": str(g.get("model")), **({"memory_bytes": int(
            g["total_memory"]) * _MIB} if isinstance(g.get("total_memory"), int) else {})}
                            for g in gpus if isinstance(g, dict) and g.get("model")]
    if hardware:
        env["hardware"] = hardware
    variables = host.get("ENV") if isinstance(host.get("ENV"), dict) else {}
    if variables:
        env["variables"] = [{"name": str(k), "value": str(v)} for k, v in sorted(
            variables.items())]
    rec.environment = env
    deps = [str(d) for d in (run.get("experiment") or {}).get("dependencies") or []]
    packages_from_requirements("\n".join(deps), rec, "run.json's dependencies")
    rec.tool_version = next((p["version"] for p in rec.packages
                             if p["name"].lower() == "sacred"), None)
    if rec.tool_version and rec.tool_version.startswith("0."):
        # Sacred 0.x imports pkg_resources without declaring setuptools, which dropped it in 81
        rec.requirements_extra.append("setuptools<81  # Sacred imports pkg_resources")
    rec.warn("Sacred records the packages the experiment imported, not every package "
             "installed", "the lockfile pins those; their own dependencies are not pinned")


def _results(base: RunDir, rel: str, run: dict[str, Any], rec: Recorded) -> list[str]:
    series: dict[str, list[tuple[int | None, Any]]] = {}
    if base.exists(f"{rel}/metrics.json"):
        document = base.json(f"{rel}/metrics.json")
        for name, entry in sorted((document or {}).items()):
            values = entry.get("values") if isinstance(entry, dict) else None
            steps = entry.get("steps") if isinstance(entry, dict) else None
            stamps = entry.get("timestamps") if isinstance(entry, dict) else None
            if not isinstance(values, list) or not isinstance(steps, list) \
                    or len(steps) != len(values):
                raise ImportRefused(f"metrics.json: metric {display(name)!r} is not "
                                    "{steps, values, timestamps} as Sacred writes it")
            stamps = stamps if isinstance(stamps, list) and len(stamps) == len(values) \
                else [""] * len(values)
            series[name] = [(s if isinstance(s, int) else None, v)
                            for s, v in zip(steps, values, strict=True)]
            rec.history += [(name, s if isinstance(s, int) else None, str(t), str(v))
                            for s, v, t in zip(steps, values, stamps, strict=True)]
    if number(run.get("result")) is not None:
        series.setdefault("result", []).append((None, run["result"]))
    final_metrics(series, rec)
    for name in run.get("artifacts") or []:
        local = base.regular(f"{rel}/{name}")
        rec.artifacts.append(Artifact(str(name), local, f"results/artifacts/{name}"))
    if base.exists(f"{rel}/cout.txt"):
        rec.artifacts.append(Artifact("cout.txt", base.regular(f"{rel}/cout.txt"),
                                      "results/cout.txt", "log"))
    return sorted(series)


def _updates(meta: dict[str, Any]) -> list[str]:
    """The command line's `with` updates: config updates as NAME=PYTHON-LITERAL, dotted."""
    out: list[str] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict) and value:
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        else:
            out.append(f"{prefix}={value!r}")

    walk("", meta.get("config_updates") or {})
    return out


def _replay(run: dict[str, Any], rec: Recorded, base_rel: str, names: list[str]) -> None:
    meta = run.get("meta") or {}
    mainfile = str((run.get("experiment") or {}).get("mainfile") or "")
    seed = rec.seeds.get("seed")
    if not isinstance(meta.get("options"), dict) or not mainfile or seed is None:
        rec.warn("the run was not started from Sacred's command line (or its seed or main "
                 "file is missing)", "the export has no replay section")
        return
    named = [str(n) for n in meta.get("named_configs") or []]
    argv = ["{python}", mainfile, str(meta.get("command") or run.get("command")), "with",
            *named, *[u for u in _updates(meta) if not u.startswith("seed=")],
            f"seed={seed}", "-F", "{scratch}/sacred"]
    cwd = f"code/{base_rel}" if base_rel else "code"
    rec.replay = ReplayPlan([{"argv": argv, "cwd": cwd}], {"kind": "sacred"}, names)
    rec.warn("Sacred does not record the folder the run was started from",
             f"the replay starts it in {cwd} (the experiment's base_dir)")


def read(run_dir: Path, *, repo: Path | None, skip_links: bool,
         warnings: list[str]) -> Recorded:
    """Read a FileStorageObserver run folder; ``repo`` is a clone holding its commit."""
    if not Path(run_dir).is_dir():
        raise ImportRefused(f"Sacred run folder {os.fspath(run_dir)!r} is not a directory")
    local_run = Path(run_dir).resolve()
    base = RunDir(local_run.parent, "Sacred", skip_links=skip_links, warnings=warnings)
    rel = local_run.name
    run = base.json(f"{rel}/run.json")
    if not isinstance(run, dict) or not isinstance(run.get("experiment"), dict):
        raise ImportRefused(f"{local_run / 'run.json'} is not a Sacred run.json")
    name = str(run["experiment"].get("name") or "experiment")
    rec = Recorded("sacred", None, f"Sacred run {rel} of {name}", warnings=warnings)
    if run.get("status") != "COMPLETED":
        rec.warn(f"the run's status is {run.get('status')}, not COMPLETED",
                 "its results may be partial")
    base_rel = _code(base, run, rec, repo, local_run)
    if base_rel is None:
        raise ImportRefused("the run records no git commit and no sources: its code cannot "
                            "be named")
    config = base.json(f"{rel}/config.json") if base.exists(f"{rel}/config.json") else {}
    rec.hyperparameters = config if isinstance(config, dict) else {}
    seed = rec.hyperparameters.get("seed")
    if isinstance(seed, int) and not isinstance(seed, bool):
        rec.seeds = {"seed": seed}
    _environment(run, rec)
    names = _results(base, rel, run, rec)
    taken: set[str] = set()
    for original, stored in run.get("resources") or []:
        local, _ = _stored(base, stored)
        name = PurePosixPath(str(original)).name
        rec.datasets.append(Dataset(dataset_id(name, taken), name, local,
                                    f"data/resources/{local.name}",
                                    f"opened by the run as {original}"))
    _replay(run, rec, base_rel, names)
    rec.epoch = _time(run.get("stop_time")) or _time(run.get("start_time"))
    rec.keep("sacred-run.json", {key: run.get(key) for key in
                                 ("command", "meta", "start_time", "stop_time", "status",
                                  "heartbeat", "fail_trace") if key in run})
    return rec
