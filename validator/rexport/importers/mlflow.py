"""Import an MLflow run: read a file store (mlruns/) directly, and map any run onto REX."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rexport.importers import gitrepo
from rexport.importers.base import (
    Artifact,
    Recorded,
    final_metrics,
    number,
    packages_from_requirements,
    seeds_from,
)
from rexport.importers.rundir import ImportRefused, RunDir
from rexport.paths import display

MAX_METRIC_BYTES = 256 << 20
_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,255}$")
# tags that become parts of the export; every other tag is kept in tracker/mlflow-run.json
_MAPPED = ("mlflow.source.git.commit", "mlflow.source.git.branch", "mlflow.source.git.repoURL",
           "mlflow.runName", "mlflow.note.content")


@dataclass
class Model:
    """A logged model: its id and name, its files, and the environment MLflow wrote for it."""

    id: str
    name: str
    files: list[tuple[str, Path]]
    mlmodel: dict[str, Any] = field(default_factory=dict)
    requirements: str | None = None


@dataclass
class MlflowRun:
    """One run as MLflow keeps it, whichever store it came from."""

    run_id: str
    run_name: str
    experiment: str
    status: str
    start_ms: int | None
    end_ms: int | None
    params: dict[str, str]
    tags: dict[str, str]
    history: dict[str, list[tuple[int, str, int]]]  # key -> [(timestamp ms, value, step)]
    artifacts: list[tuple[str, Path]]
    models: list[Model]
    datasets: list[dict[str, Any]]
    where: Path | None = None  # the folder the run came from, to look for the repository
    deleted: bool = False


def needs_client(tracking_uri: str | None) -> bool:
    """True when the store is not a folder read directly (a server or a database)."""
    scheme = (tracking_uri or "").partition(":")[0].lower()
    return "://" in (tracking_uri or "") and scheme not in ("file", "")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _keyed(folder: RunDir, rel: str) -> dict[str, str]:
    """params/ or tags/: one file per key (keys with '/' are nested folders)."""
    return {key: folder.text(f"{rel}/{key}", 1 << 20) for key, _ in folder.files(rel)}


def _metric(folder: RunDir, rel: str, name: str) -> list[tuple[int, str, int]]:
    rows = []
    for number_, line in enumerate(folder.text(rel, MAX_METRIC_BYTES).splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) not in (2, 3) or not all(re.fullmatch(r"-?\d+", p)
                                               for p in (parts[0], *parts[2:])):
            raise ImportRefused(f"metric file {display(rel)!r} line {number_} is not "
                                "'timestamp value step' as MLflow writes it")
        rows.append((int(parts[0]), parts[1], int(parts[2]) if len(parts) == 3 else 0))
    return rows


def _model(store: RunDir, model_id: str) -> Model | None:
    base = f"models/{model_id}"
    if not store.is_dir(base):
        return None
    meta = store.yaml(f"{base}/meta.yaml") if store.exists(f"{base}/meta.yaml") else {}
    files = list(store.files(f"{base}/artifacts"))
    model = Model(model_id, str((meta or {}).get("name") or model_id), files)
    return _model_environment(model, store, f"{base}/artifacts")


def _model_environment(model: Model, folder: RunDir, base: str) -> Model:
    names = {rel for rel, _ in model.files}
    if "MLmodel" in names:
        document = folder.yaml(f"{base}/MLmodel")
        model.mlmodel = document if isinstance(document, dict) else {}
    if "requirements.txt" in names:
        model.requirements = folder.text(f"{base}/requirements.txt")
    return model


def _datasets(store: RunDir, run_rel: str) -> list[dict[str, Any]]:
    found = []
    for name in store.listdir(f"{run_rel}/inputs"):
        meta = store.yaml(f"{run_rel}/inputs/{name}/meta.yaml")
        if not isinstance(meta, dict) or meta.get("source_type") != "DATASET":
            continue
        dataset_id = str(meta.get("source_id", ""))
        if not _ID.match(dataset_id):
            raise ImportRefused(f"input {display(name)!r} names a malformed dataset id")
        info = store.yaml(f"datasets/{dataset_id}/meta.yaml")
        if isinstance(info, dict):
            tags = meta.get("tags") if isinstance(meta.get("tags"), dict) else {}
            found.append({"name": info.get("name"), "source_type": info.get("source_type"),
                          "source": info.get("source"), "context":
                          (tags or {}).get("mlflow.data.context"), "profile": info.get("profile"),
                          "mlflow_digest": info.get("digest")})
    return found


def read_file_store(target: str, tracking_uri: str | None, *, skip_links: bool,
                    warnings: list[str]) -> MlflowRun:
    """Read a run of a file store: ``target`` is the run's folder, or a run id looked up in
    ``tracking_uri`` (a folder or file: URI; default ./mlruns)."""
    given = Path(target)
    if given.is_dir() and (given / "meta.yaml").exists():
        run_dir = given.resolve()
    else:
        if not _ID.match(target):
            raise ImportRefused(f"{display(target)!r} is neither a run folder nor a run id")
        root = Path(tracking_uri.removeprefix("file://").removeprefix("file:")
                    if tracking_uri else "mlruns")
        store_root = RunDir(root, "MLflow store")
        hits = [store_root.root / name / target for name in store_root.listdir()
                if store_root.is_dir(f"{name}/{target}")]
        if not hits:
            raise ImportRefused(f"no run {target} in {root} (give the run's folder, or "
                                "--tracking-uri for another store)")
        run_dir = hits[0]
    store = RunDir(run_dir.parent, "MLflow experiment", skip_links=skip_links,
                   warnings=warnings)
    rel = run_dir.name
    meta = store.yaml(f"{rel}/meta.yaml")
    if not isinstance(meta, dict) or not meta.get("run_id"):
        raise ImportRefused(f"{run_dir / 'meta.yaml'} is not an MLflow run's meta.yaml")
    experiment = store.yaml("meta.yaml") if store.exists("meta.yaml") else {}
    history = {key: _metric(store, f"{rel}/metrics/{key}", key)
               for key, _ in store.files(f"{rel}/metrics")}
    models = [model for name in store.listdir(f"{rel}/outputs")
              if (model := _model(store, name)) is not None]
    status = meta.get("status")
    return MlflowRun(
        run_id=str(meta["run_id"]), run_name=str(meta.get("run_name") or ""),
        experiment=str((experiment or {}).get("name") or meta.get("experiment_id") or ""),
        status=_STATUS.get(status, str(status)) if isinstance(status, int) else str(status),
        start_ms=_int(meta.get("start_time")), end_ms=_int(meta.get("end_time")),
        params=_keyed(store, f"{rel}/params"), tags=_keyed(store, f"{rel}/tags"),
        history=history, artifacts=list(store.files(f"{rel}/artifacts")), models=models,
        datasets=_datasets(store, rel), where=run_dir.parent.parent,
        deleted=meta.get("lifecycle_stage") == "deleted")


def _code(run: MlflowRun, rec: Recorded, repo: Path | None) -> None:
    commit = run.tags.get("mlflow.source.git.commit")
    if commit and not gitrepo.is_commit(commit):
        rec.warn(f"the run's commit tag {display(commit)!r} is not a full git commit",
                 "the export names no commit")
        commit = None
    rec.commit, rec.branch = commit, run.tags.get("mlflow.source.git.branch")
    url = run.tags.get("mlflow.source.git.repoURL")
    if url:
        from rexport.pack.git import strip_credentials

        rec.repository = strip_credentials(url)[0]
    if commit is None:
        raise ImportRefused("the run records no git commit (tag mlflow.source.git.commit), so "
                            "its code cannot be named; run it from a git checkout, or pack the "
                            "code with `rexport pack --code`")
    candidates = [repo, run.where, run.where.parent if run.where else None, Path.cwd()]
    rec.repo = gitrepo.find_repository(commit, candidates)
    if rec.repo is None:
        rec.warn(f"no local repository holds commit {commit[:12]}", "the export names the "
                 "commit but carries no code; import again with --repo PATH (a clone with it)")
    rec.warn("MLflow does not record whether the work tree had uncommitted changes",
             "the snapshot is the commit as committed; check that the run was made from a "
             "clean checkout")
    source = gitrepo.relative_to_top(run.tags.get("mlflow.source.name", ""), rec.repo)
    if rec.repo is not None and source and gitrepo.in_commit(rec.repo, commit, source):
        rec.entry_points.append({"name": "main", "path": f"code/{source}"})


def _environment(run: MlflowRun, rec: Recorded) -> None:
    with_env = [m for m in run.models if m.mlmodel or m.requirements]
    if not with_env:
        rec.warn("MLflow recorded no environment for this run (only a logged model carries "
                 "one)", "the export's environment says 'unknown': state the OS, Python and "
                 "packages in the narrative, or log a model with the run")
        return
    model = with_env[0]
    rec.tool_version = str(model.mlmodel.get("mlflow_version") or "") or None
    flavor = (model.mlmodel.get("flavors") or {}).get("python_function") or {}
    if isinstance(flavor, dict) and flavor.get("python_version"):
        rec.environment["python"] = {"implementation": "unknown",
                                     "version": str(flavor["python_version"])}
    if model.requirements is not None:
        packages_from_requirements(model.requirements, rec, f"model {model.name} "
                                   "requirements.txt")
    rec.warn(f"the environment is the one MLflow inferred for model {model.name!r} (its "
             "imports), not every package installed; OS and hardware were not recorded",
             "compare with the machine the run used before relying on it")


def _order_value(text: str) -> float:
    value = number(text)
    return float("-inf") if value is None else float(value)


def _results(run: MlflowRun, rec: Recorded) -> None:
    series: dict[str, list[tuple[int | None, Any]]] = {}
    for key in sorted(run.history):
        # MLflow's own "latest value" order: step, then timestamp, then the value itself
        rows = sorted(run.history[key], key=lambda r: (r[2], r[0], _order_value(r[1])))
        series[key] = [(step, value) for _, value, step in rows]
        rec.history += [(key, step, str(stamp), value) for stamp, value, step in rows]
    final_metrics(series, rec)
    for rel, local in run.artifacts:
        rec.artifacts.append(Artifact(rel, local, f"results/artifacts/{rel}"))
    for model in run.models:
        for rel, local in model.files:
            rec.artifacts.append(Artifact(f"{model.name}/{rel}", local,
                                          f"results/models/{model.id}/{rel}", "model"))
    for dataset in run.datasets:
        rec.warn(f"dataset {dataset['name']!r} (source {dataset['source']}) is named by the "
                 "run but not pinned: MLflow's dataset digest hashes a sample of rows, not its "
                 "content", "embed the data, or reference it with its sha256 and size, to pin "
                 "it; its MLflow record is in tracker/mlflow-run.json")


def to_recorded(run: MlflowRun, *, repo: Path | None, warnings: list[str]) -> Recorded:
    """Map an MLflow run onto REX; ``repo`` is a clone holding its commit, when given."""
    rec = Recorded("mlflow", None, f"MLflow run {run.run_name or run.run_id} "
                   f"(experiment {run.experiment})", warnings=warnings)
    if run.deleted:
        rec.warn("the run is marked deleted in MLflow", "make sure this is the run you meant")
    if run.status != "FINISHED":
        rec.warn(f"the run's status is {run.status}, not FINISHED", "its results may be partial")
    _code(run, rec, repo)
    rec.hyperparameters = dict(run.params)
    rec.seeds = seeds_from(rec.hyperparameters)
    _environment(run, rec)
    _results(run, rec)
    rec.notes = run.tags.get("mlflow.note.content", "")
    rec.epoch = (run.end_ms or run.start_ms or 0) // 1000 or None
    rec.keep("mlflow-run.json", {
        "run_id": run.run_id, "run_name": run.run_name, "experiment": run.experiment,
        "status": run.status, "start_time_ms": run.start_ms, "end_time_ms": run.end_ms,
        "tags": {k: v for k, v in sorted(run.tags.items()) if k not in _MAPPED},
        "datasets": [{**d, "mlflow_digest": d["mlflow_digest"],
                      "note": "mlflow_digest is MLflow's hash of a sample of rows, "
                              "not a digest of the data's content"} for d in run.datasets],
        "models": [{"id": m.id, "name": m.name} for m in run.models]})
    if not run.params:
        rec.warn("the run logged no parameters", "a reviewer cannot see its configuration")
    rec.warn("MLflow does not record the command line of a run",
             "the export has no replay section; record the command with the packer's "
             "replay options to make it replayable")
    return rec
