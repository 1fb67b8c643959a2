"""Pack an export from files named on the command line (the engine of `rexport pack`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rexport.pack import recipe, specs
from rexport.pack.build import Written
from rexport.pack.capture import Capture
from rexport.pack.errors import PackError
from rexport.pack.members import local_file, open_regular, read_regular
from rexport.pack.request import DatasetSpec, Request

__all__ = ["Request", "dataset_id", "pack", "read_metrics", "start"]

_SEED_KEYS = ("seed", "random_seed", "random_state")
MAX_NOTES_IN_MANIFEST = 64 << 10


def dataset_id(name: str, taken: set[str]) -> str:
    """A dataset id (``^[A-Za-z0-9][A-Za-z0-9._-]*$``) made from a file name, unique."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._") or "dataset"
    candidate, n = base[:200], 2
    while candidate in taken:
        candidate, n = f"{base[:200]}-{n}", n + 1
    taken.add(candidate)
    return candidate


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """Metrics from a JSON or YAML file (by its suffix): ``{"metrics": [{"name", "value",
    "split"?, "step"?}]}`` or ``{name: number}``, the forms a replay reads too (RPL-04)."""
    from rexport.parsing.metrics_file import METRICS_CAP, MetricsFileError, load_metrics

    data = read_regular(local_file(path, "metrics file"), "metrics file", METRICS_CAP)
    try:
        return load_metrics(data, name=path.name)
    except MetricsFileError as exc:
        raise PackError(str(exc)) from None


def _seeds_from(hyperparameters: Any, prefix: str = "", depth: int = 0) -> dict[str, int]:
    """The integer seeds of a config, found by name at any depth (seed, random_seed,
    random_state, NAME_seed, or a seeds mapping), each named by its dotted place."""
    if not isinstance(hyperparameters, dict) or depth > 8:
        return {}
    found: dict[str, int] = {}
    for key, value in hyperparameters.items():
        name = f"{prefix}{key}"
        if key == "seeds" and isinstance(value, dict):
            found.update({f"{prefix}{k}": v for k, v in value.items() if type(v) is int})
        elif type(value) is int and (key in _SEED_KEYS or str(key).endswith("_seed")):
            found[name] = value
        elif isinstance(value, dict):
            found.update(_seeds_from(value, f"{name}.", depth + 1))
    return found


def _check_inputs(request: Request) -> None:
    """Refuse links and special files among the inputs, naming the option that gave each."""
    named = [("--code", request.code), ("--config", request.config),
             ("--metrics", request.metrics), ("--notes", request.notes),
             *(("--data", p) for p in request.data),
             *(("--data", spec.path) for spec in request.datasets),
             *(("--artifact", p) for p in request.artifacts)]
    for option, path in named:
        if path is not None:
            local_file(path, option)


def _datasets(request: Request) -> list[DatasetSpec]:
    found = [DatasetSpec(path=path) for path in request.data] + list(request.datasets)
    for text in request.data_refs:
        uri, digest, size = specs.data_ref(text)
        found.append(DatasetSpec(uri=uri, sha256=digest, size=size))
    return found


def _record_datasets(cap: Capture, request: Request) -> None:
    taken = {spec.id for spec in request.datasets if spec.id}
    for spec in _datasets(request):
        local = local_file(spec.path, "data") if spec.path is not None else None
        name = spec.name or (local.name if local is not None else
                             (spec.uri or "").rstrip("/").rsplit("/", 1)[-1] or spec.uri)
        ident = spec.id or dataset_id(name or "dataset", taken)
        meta = {**{k: v for k, v in (("license", spec.license), ("access", spec.access))
                   if v is not None}, **request.dataset_meta.get(ident, {})}
        access = meta.get("access", "internal")
        if access not in specs.ACCESS:
            raise PackError(f"dataset {ident!r}: access must be one of {', '.join(specs.ACCESS)}")
        identifiers = {**spec.identifiers, **meta.get("identifiers", {})}
        cap.dataset(ident, local, uri=spec.uri, sha256=spec.sha256, size=spec.size,
                    name=name, license=meta.get("license", "NOASSERTION"), access=access,
                    identifiers=identifiers or None, description=spec.description)
    unknown = sorted(set(request.dataset_meta) - set(cap.datasets))
    if unknown:
        raise PackError(f"no dataset has the id {unknown[0]!r} (ids: "
                        f"{', '.join(cap.datasets) or 'none'})")
    for split in request.splits:
        if split["dataset"] not in cap.datasets:
            raise PackError(f"split {split['name']!r} names no dataset {split['dataset']!r}")
        cap.split(split["name"], split["dataset"], method=split.get("method"),
                  size=split.get("size"), path=split.get("path"))


def start(request: Request, *, packages_later: bool = False) -> Capture:
    """The Capture of ``request``'s code, git state and environment, taken now (the installed
    packages when it is written, with ``packages_later``)."""
    if request.code is not None:
        local_file(request.code, "--code")  # the other inputs are checked by record()
    project = request.code if request.code is not None else Path.cwd()
    snapshot = request.code is not None or request.replay is not None
    cap = Capture(project, title=request.title, code=snapshot, git=request.git,
                  include_untracked=request.include_untracked, digests=request.digests,
                  packages_later=packages_later)
    # a replay runs in the code snapshot: the inputs that git does not track go where the
    # command finds them, at their place in the project
    cap.mirror_inputs = request.replay is not None
    return cap


def record(cap: Capture, request: Request) -> None:
    """Record everything of ``request`` but the code and environment (captured already);
    the inputs are checked now, since a run's command may have just written them."""
    _check_inputs(request)
    _record_datasets(cap, request)
    if request.config is not None:
        cap.config(request.config)
    seeds = request.seeds or _seeds_from(cap.config_section.get("hyperparameters"))
    if seeds:
        cap.seeds(seeds)
    if request.metrics is not None:
        for metric in read_metrics(request.metrics):
            value: Any = metric.get("value")  # checked by Capture.metric
            cap.metric(metric["name"], value, split=metric.get("split"),
                       step=metric.get("step"))
        cap.artifact("metrics", request.metrics, kind="metrics")
    for path in request.artifacts:
        resolved = local_file(path, "artifact")
        if resolved.is_dir():
            for target in cap.embed(resolved, prefix="results", role="result"):
                cap.artifacts.append({"name": target.rsplit("/", 1)[-1], "path": target})
        else:
            cap.artifact(resolved.name, resolved)
    if request.notes is not None:
        target = cap.embed(request.notes, prefix="narrative", role="narrative")[0]
        with open_regular(local_file(request.notes, "--notes"), "--notes") as fp:
            data = fp.read(MAX_NOTES_IN_MANIFEST + 1)
        if len(data) <= MAX_NOTES_IN_MANIFEST:
            cap.note(data.decode("utf-8", "replace"))
        else:
            cap.note(f"See {target}.")
    recipe.record(cap, request)


def write(cap: Capture, request: Request) -> Written:
    """Write ``cap`` where ``request`` says."""
    return cap.write(request.out, format=request.format, jobs=request.jobs,
                     progress=request.progress, allow_secrets=request.allow_secrets,
                     overwrite=request.overwrite, ro_crate=request.ro_crate,
                     hashes=request.hashes)


def pack(request: Request) -> Written:
    """Capture the named files and write the export; see `rexport pack --help`."""
    cap = start(request, packages_later=True)  # written at once: read while files are hashed
    record(cap, request)
    return write(cap, request)
