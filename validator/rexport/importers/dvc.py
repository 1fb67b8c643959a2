"""Import a DVC pipeline run: dvc.yaml and dvc.lock of a commit (or an experiment) as lineage."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from rexport.importers import gitrepo
from rexport.importers.base import Artifact, Dataset, Recorded
from rexport.importers.replay_plan import ReplayPlan
from rexport.importers.rundir import MAX_METADATA_BYTES, ImportRefused, RunDir, inside, parsed
from rexport.pack.clock import rfc3339
from rexport.pack.files import dataset_id
from rexport.paths import display

_MD5 = re.compile(r"^[0-9a-f]{32}(\.dir)?$")
_CODE = (".py", ".r", ".R", ".jl", ".sh", ".ipynb", ".m", ".scala", ".java", ".js", ".ts")


@dataclass
class Pipeline:
    """The pipeline files of one commit, read through a reader of that commit's tree."""

    repo: Path
    commit: str
    root: str  # the DVC project's folder inside the repository ("" at the top)
    cache: RunDir | None  # None: the project has no local cache (nothing pulled yet)
    tracked: set[str] = field(default_factory=set)  # git-tracked paths, from the DVC root

    def read(self, rel: str, limit: int = MAX_METADATA_BYTES) -> bytes | None:
        return gitrepo.show(self.repo, self.commit, _join(self.root, rel), limit)

    def document(self, rel: str) -> Any:
        from rexport.parsing import load_json, load_yaml

        data = self.read(rel)
        if data is None:
            return None
        loader = load_json if rel.endswith(".json") else load_yaml
        return parsed(loader(data, file=rel), f"{rel} of commit {self.commit[:12]}")


def _join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p.strip("/"))


def _cache_object(pipe: Pipeline, md5: str) -> str:
    """The cache path of an object (DVC 3 layout first, then DVC 2's)."""
    for layout in (f"files/md5/{md5[:2]}/{md5[2:]}", f"{md5[:2]}/{md5[2:]}"):
        if pipe.cache is not None and pipe.cache.exists(layout):
            return layout
    return ""


def _md5_file(local: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(local, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _object_files(pipe: Pipeline, path: str, md5: str, rec: Recorded) -> list[tuple[str, Path]]:
    """(path, cached local file) of an output or dependency, md5-checked; [] if not cached."""
    layout = _cache_object(pipe, md5)
    if not layout or pipe.cache is None:
        rec.warn(f"{path} (md5 {md5}) is not in the local DVC cache", "it is left out of the "
                 "export; run `dvc pull` (or `dvc fetch`) and import again")
        return []
    if not md5.endswith(".dir"):
        local = pipe.cache.regular(layout)
        if _md5_file(local) != md5:
            raise ImportRefused(f"the cache object of {path} does not match its md5: the "
                                "cache is damaged (`dvc cache` / `dvc fetch` can repair it)")
        return [(path, local)]
    listing = pipe.cache.json(layout)
    if not isinstance(listing, list):
        raise ImportRefused(f"the cache's listing of {display(path)!r} is not a list")
    found = []
    for entry in listing:
        if not isinstance(entry, dict) or not _MD5.match(str(entry.get("md5"))):
            raise ImportRefused(f"the cache's listing of {display(path)!r} is malformed")
        rel = inside(str(entry.get("relpath", "")), f"the listing of {path}").as_posix()
        found += _object_files(pipe, f"{path}/{rel}", str(entry["md5"]), rec)
    return found


def _entries(stage: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = stage.get(key) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(
            i.get("path"), str) for i in items):
        raise ImportRefused(f"dvc.lock: '{key}' of a stage is not a list of paths")
    return items


def _order(stages: dict[str, Any]) -> list[str]:
    """Stage names so that each comes after the stages whose outputs it reads."""
    makers = {o["path"]: name for name, s in stages.items() for o in _entries(s, "outs")}
    done: list[str] = []

    def visit(name: str, seen: tuple[str, ...]) -> None:
        if name in done:
            return
        if name in seen:
            raise ImportRefused(f"dvc.lock's stages form a cycle through {name!r}")
        for dep in _entries(stages[name], "deps"):
            maker = makers.get(dep["path"])
            if maker and maker != name:
                visit(maker, (*seen, name))
        done.append(name)

    for name in sorted(stages):
        visit(name, ())
    return done


class _Places:
    """Where each dependency and output is in the export, and what lineage calls it."""

    def __init__(self, pipe: Pipeline, rec: Recorded, outs: set[str]) -> None:
        self.pipe, self.rec, self.outs = pipe, rec, outs
        self.refs: dict[str, list[dict[str, str]]] = {}
        self.taken: set[str] = set()

    def ref(self, entry: dict[str, Any], stage: str, output: bool) -> list[dict[str, str]]:
        path = inside(entry["path"], "dvc.lock").as_posix()
        if path in self.refs:
            return self.refs[path]
        md5 = str(entry.get("md5") or "")
        snapshot = f"code/{_join(self.pipe.root, path)}"
        if path in self.pipe.tracked:  # in git: part of the code snapshot
            data = self.pipe.read(path, 1 << 40) or b""
            if md5 and hashlib.md5(data, usedforsecurity=False).hexdigest() != md5:
                what = "an output" if output else "a dependency"
                self.rec.warn(f"stale dvc.lock: {path} ({what} of {stage}) no longer matches "
                              "its md5 in dvc.lock", "the results may not come from these "
                              "bytes; run `dvc repro` and commit, then import again")
            self.refs[path] = [{"file": snapshot}]
        elif not _MD5.match(md5):
            self.rec.warn(f"{path} has no md5 in dvc.lock", "it is left out of the lineage")
            self.refs[path] = []
        else:
            files = _object_files(self.pipe, path, md5, self.rec)
            if output or path in self.outs:
                self.refs[path] = [{"file": f"results/{rel}"} for rel, _ in files]
                self.rec.artifacts += [Artifact(rel, local, f"results/{rel}")
                                       for rel, local in files]
            else:  # pipeline input tracked by DVC: put where the commands read it
                for rel, local in files:
                    self.rec.overlay[_join(self.pipe.root, rel)] = local
                ident = dataset_id(path, self.taken)
                self.rec.datasets.append(Dataset(ident, path, Path(_join(self.pipe.root,
                                                                          path))))
                self.refs[path] = [{"dataset": ident}] if files else []
        return self.refs[path]


def _stale_inputs(pipe: Pipeline, stages: dict[str, Any], rec: Recorded) -> None:
    """A dependency whose md5 differs from what its producer (stage or .dvc file) now has."""
    current = {o["path"]: o.get("md5") for s in stages.values() for o in _entries(s, "outs")}
    for name, stage in sorted(stages.items()):
        for dep in _entries(stage, "deps"):
            now = current.get(dep["path"])
            if now is None and dep["path"] not in pipe.tracked:
                tracked = pipe.document(f"{dep['path']}.dvc")
                outs = tracked.get("outs") if isinstance(tracked, dict) else None
                now = outs[0].get("md5") if isinstance(outs, list) and outs and isinstance(
                    outs[0], dict) else None
            if now is not None and dep.get("md5") and now != dep.get("md5"):
                rec.warn(f"stale dvc.lock: {dep['path']} ({name}) has changed since the "
                         "stage ran", "run `dvc repro` and commit, then import again")


def _metrics(pipe: Pipeline, dvc_yaml: dict[str, Any], places: _Places,
             rec: Recorded) -> list[dict[str, str]]:
    from rexport.importers.replay_shim import flatten

    paths = [p for p in dvc_yaml.get("metrics") or [] if isinstance(p, str)]
    for stage in (dvc_yaml.get("stages") or {}).values():
        for item in (stage or {}).get("metrics") or []:
            paths += [item] if isinstance(item, str) else list(item) if isinstance(
                item, dict) else []
    found = []
    for path in sorted(set(paths)):
        kind = "json" if path.endswith(".json") else "yaml" if path.endswith(
            (".yaml", ".yml")) else None
        refs = places.refs.get(path, [])
        if kind is None or not refs:
            rec.warn(f"metrics file {path} cannot be read (JSON and YAML only, and it must be "
                     "in git or the cache)", "its values are not in the export")
            continue
        document = pipe.document(path) if path in pipe.tracked else None
        if document is None:
            local = next(a.local for a in rec.artifacts if a.dest == refs[0]["file"])
            from rexport.parsing import load_json, load_yaml

            loader = load_json if kind == "json" else load_yaml
            document = parsed(loader(local.read_bytes(), file=path), path)
        for name, value in sorted(flatten(document).items()):
            rec.metrics.append({"name": name, "value": value})
        found.append({"path": f"code/{_join(pipe.root, path)}", "format": kind})
    return found


def read(project: Path, experiment: str | None, *, skip_links: bool,
         warnings: list[str]) -> Recorded:
    """Read the pipeline of the DVC project at ``project`` as of its HEAD commit, or of the
    experiment ``experiment`` (a name, or its commit)."""
    top = gitrepo.toplevel(project)
    if top is None:
        raise ImportRefused(f"{project} is not in a git repository: rexport reads DVC "
                            "pipelines from git commits (`dvc init` inside a git repository)")
    folder = RunDir(project, "DVC project", skip_links=skip_links, warnings=warnings)
    root = folder.root.relative_to(top.resolve()).as_posix().strip(".")
    head, branch = gitrepo.head(top)
    if experiment:
        commit = experiment if gitrepo.is_commit(experiment) and gitrepo.has_commit(
            top, experiment) else gitrepo.experiment(top, experiment)
        branch = None
    elif head is None:
        raise ImportRefused(f"{top} has no commit yet: commit the pipeline first")
    else:
        commit = head
    cache = RunDir(folder.path(".dvc/cache"), "DVC cache", skip_links=skip_links,
                   warnings=warnings) if folder.is_dir(".dvc/cache") else None
    pipe = Pipeline(top, commit, root, cache)
    pipe.tracked = set(gitrepo.tree_paths(top, commit, root))
    dvc_yaml, lock = pipe.document("dvc.yaml"), pipe.document("dvc.lock")
    if not isinstance(dvc_yaml, dict) or not isinstance(lock, dict):
        raise ImportRefused(f"commit {commit[:12]} has no dvc.yaml and dvc.lock in "
                            f"{root or 'its top folder'}: run the pipeline (`dvc repro` or "
                            "`dvc exp run`) and commit, or name the experiment with --exp")
    stages = lock.get("stages")
    if not isinstance(stages, dict) or not stages:
        raise ImportRefused("dvc.lock records no stage")
    rec = Recorded("dvc", None, f"DVC pipeline at {commit[:12]}" + (
        f" (experiment {experiment})" if experiment else ""), commit=commit, branch=branch,
                   repo=top, warnings=warnings)
    rec.epoch = gitrepo.describe(top, commit).commit_time or None
    if not experiment and pipe.read("dvc.lock") != (folder.read_bytes("dvc.lock") if
                                                     folder.exists("dvc.lock") else None):
        rec.warn("the work tree's dvc.lock differs from the commit's (a run not committed)",
                 "the export is of the commit; commit the run, or use `dvc exp run` and "
                 "--exp, then import again")
    _pipeline(pipe, stages, dvc_yaml, rec)
    rec.keep("dvc.json", {"lock_schema": lock.get("schema"), "stages": sorted(stages),
                          "experiment": experiment})
    return rec


def _pipeline(pipe: Pipeline, stages: dict[str, Any], dvc_yaml: dict[str, Any],
              rec: Recorded) -> None:
    outs = {o["path"] for s in stages.values() for o in _entries(s, "outs")}
    places = _Places(pipe, rec, outs)
    when = rfc3339(rec.epoch or 0)
    plan: list[dict[str, Any]] = []
    for name in _order(stages):
        stage = stages[name]
        inputs = [r for d in _entries(stage, "deps") for r in places.ref(d, name, False)]
        outputs = [r for o in _entries(stage, "outs") for r in places.ref(o, name, True)]
        code = next((d["path"] for d in _entries(stage, "deps") if d["path"] in pipe.tracked
                     and d["path"].endswith(_CODE)), "dvc.yaml")
        params = stage.get("params") if isinstance(stage.get("params"), dict) else {}
        for values in params.values():
            rec.hyperparameters.update(values if isinstance(values, dict) else {})
        step_id = re.sub(r"[^A-Za-z0-9._-]", "-", name).lstrip("._-") or "stage"
        rec.steps.append({"id": step_id, "inputs": inputs, "outputs": outputs,
                          "code": {"path": f"code/{_join(pipe.root, code)}"},
                          "parameters": params, "started": when, "ended": when,
                          "description": f"DVC stage {name}"})
        cmd = stage.get("cmd")
        cmds = cmd if isinstance(cmd, list) else [cmd]
        wdir = str((dvc_yaml.get("stages") or {}).get(name, {}).get("wdir") or ".")
        cwd = "code/" + _join(pipe.root, inside(wdir, "dvc.yaml").as_posix().strip("."))
        plan += [{"shell": str(c), "cwd": cwd.rstrip("/")} for c in cmds if c]
    rec.seeds = {k: int(v) for k, v in rec.hyperparameters.items()
                 if PurePosixPath(k.replace(".", "/")).name in ("seed", "random_seed",
                                                                 "random_state")
                 and isinstance(v, int) and not isinstance(v, bool)}
    _stale_inputs(pipe, stages, rec)
    files = _metrics(pipe, dvc_yaml, places, rec)
    rec.lockfile_dir = pipe.root
    rec.warn("DVC records no stage times, and no OS, Python or packages",
             "lineage times are the commit's; the environment is the lockfile found in the "
             "repository, if any")
    if files and plan:
        rec.replay = ReplayPlan(plan, {"kind": "files", "files": files},
                                [m["name"] for m in rec.metrics])
