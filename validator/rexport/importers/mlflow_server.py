"""Read an MLflow run through the MLflow client: a tracking server or a database store."""

from __future__ import annotations

import warnings as python_warnings
from pathlib import Path
from typing import Any

from rexport.importers.mlflow import MlflowRun, Model, _model_environment
from rexport.importers.rundir import ImportRefused, RunDir

EXTRA = "pip install 'rexport[mlflow]'"
MAX_HISTORY = 2_000_000


def _client(tracking_uri: str) -> Any:
    try:
        with python_warnings.catch_warnings():
            python_warnings.simplefilter("ignore")  # the client's own deprecation notices
            from mlflow.tracking import MlflowClient
    except ImportError:
        raise ImportRefused(f"reading {tracking_uri} needs the MLflow client: {EXTRA}") from None
    return MlflowClient(tracking_uri=tracking_uri)


def _download(client: Any, uri: str, run_id: str, dest: Path) -> None:
    from mlflow.artifacts import download_artifacts

    if client.list_artifacts(run_id):
        download_artifacts(run_id=run_id, artifact_path="", dst_path=str(dest),
                           tracking_uri=uri)


def _models(client: Any, uri: str, run: Any, scratch: Path, skip_links: bool,
            warnings: list[str]) -> list[Model]:
    search = getattr(client, "search_logged_models", None)
    if search is None:  # MLflow 2: models are folders of the run's artifacts
        return []
    from mlflow.artifacts import download_artifacts

    found = []
    for model in search(experiment_ids=[run.info.experiment_id],
                        filter_string=f"source_run_id = '{run.info.run_id}'"):
        dest = scratch / "models" / model.model_id
        dest.mkdir(parents=True)
        local = download_artifacts(artifact_uri=model.artifact_location, dst_path=str(dest),
                                   tracking_uri=uri)
        folder = RunDir(local, "MLflow model", skip_links=skip_links, warnings=warnings)
        entry = Model(model.model_id, model.name, list(folder.files(".")))
        found.append(_model_environment(entry, folder, "."))
    return found


def read_run(run_id: str, tracking_uri: str, *, skip_links: bool, warnings: list[str],
             scratch: Path) -> MlflowRun:
    """Fetch run ``run_id`` from ``tracking_uri`` with the MLflow client.

    Artifacts are downloaded into ``scratch`` (which must outlive the export's writing) and
    read as any run folder is.
    """
    client = _client(tracking_uri)
    from mlflow.exceptions import MlflowException

    try:
        run = client.get_run(run_id)
    except MlflowException as exc:
        raise ImportRefused(f"{tracking_uri} has no run {run_id}: {exc.message}") from None
    where = scratch
    artifacts = where / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    _download(client, tracking_uri, run_id, artifacts)
    history: dict[str, list[tuple[int, str, int]]] = {}
    total = 0
    for key in sorted(run.data.metrics):
        rows = [(m.timestamp, repr(float(m.value)), m.step)
                for m in client.get_metric_history(run_id, key)]
        total += len(rows)
        if total > MAX_HISTORY:
            raise ImportRefused(f"the run's metric history holds more than {MAX_HISTORY} values")
        history[key] = rows
    datasets = [{"name": d.dataset.name, "source_type": d.dataset.source_type,
                 "source": d.dataset.source, "profile": d.dataset.profile,
                 "context": next((t.value for t in d.tags if t.key == "mlflow.data.context"),
                                 None), "mlflow_digest": d.dataset.digest}
                for d in (run.inputs.dataset_inputs if run.inputs else [])]
    experiment = client.get_experiment(run.info.experiment_id)
    folder = RunDir(artifacts, "MLflow artifacts", skip_links=skip_links, warnings=warnings)
    return MlflowRun(
        run_id=run.info.run_id, run_name=run.info.run_name or "",
        experiment=experiment.name if experiment else run.info.experiment_id,
        status=str(run.info.status), start_ms=run.info.start_time, end_ms=run.info.end_time,
        params=dict(run.data.params), tags=dict(run.data.tags), history=history,
        artifacts=list(folder.files(".")),
        models=_models(client, tracking_uri, run, where, skip_links, warnings),
        datasets=datasets,
        where=None, deleted=run.info.lifecycle_stage == "deleted")
