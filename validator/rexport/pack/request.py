"""What `rexport pack` and `rexport run` are asked for, from options and a project file merged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


@dataclass
class DatasetSpec:
    """A dataset to record: a local path, or a URI with its sha256 and size; and what a reader
    needs to know to use it (licence, access level, persistent identifiers)."""

    id: str | None = None
    path: Path | None = None
    uri: str | None = None
    sha256: str | None = None
    size: int | None = None
    name: str | None = None
    license: str | None = None
    access: str | None = None
    identifiers: dict[str, str] = field(default_factory=dict)
    description: str | None = None


@dataclass
class ReplaySpec:
    """How to replay: the command, where it runs and writes its metrics (local paths, made
    export paths when packed), its timeout and each metric's tolerance."""

    command: list[str] | None = None
    working_directory: Path | None = None
    metrics_file: Path | None = None
    timeout: float | None = None
    tolerances: dict[str, dict[str, float]] = field(default_factory=dict)

    def over(self, base: ReplaySpec | None) -> ReplaySpec:
        """This spec's values over ``base``'s, tolerances merged by metric name."""
        if base is None:
            return self
        merged = {f.name: getattr(self, f.name) if getattr(self, f.name) is not None
                  else getattr(base, f.name) for f in fields(self)}
        merged["tolerances"] = {**base.tolerances, **self.tolerances}
        return ReplaySpec(**merged)


@dataclass
class Request:
    """Everything `rexport pack` was asked for (paths are local, absolute or relative to the
    working directory)."""

    out: Path
    code: Path | None = None
    data: Sequence[Path] = ()
    data_refs: Sequence[str] = ()
    datasets: Sequence[DatasetSpec] = ()
    dataset_meta: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    splits: Sequence[Mapping[str, Any]] = ()
    config: Path | None = None
    metrics: Path | None = None
    artifacts: Sequence[Path] = ()
    notes: Path | None = None
    seeds: dict[str, int] = field(default_factory=dict)
    title: str | None = None
    license: str | None = None
    creators: Sequence[str] = ()
    entry_points: Sequence[Mapping[str, Any]] = ()
    container: str | None = None
    replay: ReplaySpec | None = None
    hashes: bool = False
    format: str | None = None
    jobs: int | None = None  # None: rexport.jobs.default_jobs()
    allow_secrets: bool = False
    include_untracked: bool = False
    git: bool = True
    digests: Sequence[str] = ("sha256",)
    overwrite: bool = False
    progress: bool = False
    ro_crate: bool = False


# Fields merged key by key (a flag names one key); the dataset fields go together: datasets
# given on the command line replace those of the project file.
_BY_KEY = ("seeds", "dataset_meta")
_DATASETS = ("data", "data_refs", "datasets")
_BY_NAME = ("splits", "entry_points")


def _by_name(base: Sequence[Mapping[str, Any]], top: Sequence[Mapping[str, Any]]
             ) -> list[Mapping[str, Any]]:
    merged = {item["name"]: item for item in base}
    merged.update({item["name"]: item for item in top})
    return list(merged.values())


def merge(request: Request, project: Mapping[str, Any], given: Mapping[str, Any]) -> Request:
    """``request`` with the project file's values (``project``, by field name) under the
    values given as options (``given``): options win, key by key for seeds, dataset details,
    splits, entry points and tolerances."""
    values: dict[str, Any] = dict(project)
    if any(name in given for name in _DATASETS):
        for name in _DATASETS:
            values.pop(name, None)
    for name, value in given.items():
        if name in _BY_KEY:
            values[name] = {**values.get(name, {}), **value}
        elif name in _BY_NAME:
            values[name] = _by_name(values.get(name, ()), value)
        elif name == "replay":
            values[name] = value.over(values.get("replay"))
        else:
            values[name] = value
    return replace(request, **values)
