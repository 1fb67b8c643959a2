"""Pack an export from files named on the command line (the engine of `rexport pack`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rexport.pack.build import Written
from rexport.pack.capture import Capture
from rexport.pack.errors import PackError
from rexport.pack.members import local_file, open_regular, read_regular

_DATA_REF = re.compile(r"^(?P<uri>.+)=sha256:(?P<hex>[0-9a-f]{64})(?:,size=(?P<size>[0-9]+))?$")
_SEED_KEYS = ("seed", "random_seed", "random_state")
MAX_NOTES_IN_MANIFEST = 64 << 10
MAX_METRICS_BYTES = 16 << 20  # the cap of a metrics file that replay reads (RPL-04)


@dataclass
class Request:
    """Everything `rexport pack` was asked for."""

    out: Path
    code: Path | None = None
    data: Sequence[Path] = ()
    data_refs: Sequence[str] = ()
    config: Path | None = None
    metrics: Path | None = None
    artifacts: Sequence[Path] = ()
    notes: Path | None = None
    seeds: dict[str, int] = field(default_factory=dict)
    title: str | None = None
    format: str | None = None
    jobs: int | None = None  # None: rexport.jobs.default_jobs()
    allow_secrets: bool = False
    include_untracked: bool = False
    git: bool = True
    digests: Sequence[str] = ("sha256",)
    overwrite: bool = False
    progress: bool = False
    ro_crate: bool = False


def parse_data_ref(text: str) -> tuple[str, str, int]:
    """Parse ``URI=sha256:HEX,size=N`` into (uri, hex, size); PackError when malformed."""
    match = _DATA_REF.match(text)
    if match is None:
        raise PackError(f"--data-ref {text!r}: expected URI=sha256:<64 lowercase hex>,size=N")
    if match["size"] is None:
        raise PackError(f"--data-ref {text!r}: add ,size=N (the size in bytes is required)")
    return match["uri"], match["hex"], int(match["size"])


def dataset_id(name: str, taken: set[str]) -> str:
    """A dataset id (``^[A-Za-z0-9][A-Za-z0-9._-]*$``) made from a file name, unique."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._") or "dataset"
    candidate, n = base[:200], 2
    while candidate in taken:
        candidate, n = f"{base[:200]}-{n}", n + 1
    taken.add(candidate)
    return candidate


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """Metrics from JSON: ``{"metrics": [{"name", "value", "split"?, "step"?}]}`` or
    ``{name: number}`` (the form a replay writes, too)."""
    from rexport.parsing import load_json

    document, findings = load_json(read_regular(local_file(path, "metrics file"),
                                                "metrics file", MAX_METRICS_BYTES),
                                   file=path.name)
    if findings or not isinstance(document, dict):
        raise PackError(f"metrics file {path.name} is not a JSON object of metrics")
    items = document.get("metrics")
    if isinstance(items, list):
        if not all(isinstance(m, dict) and isinstance(m.get("name"), str) for m in items):
            raise PackError(f"metrics file {path.name}: each metric needs a name and a value")
        return [dict(m) for m in items]
    return [{"name": str(k), "value": v} for k, v in document.items()]


def _seeds_from(hyperparameters: Any) -> dict[str, int]:
    if not isinstance(hyperparameters, dict):
        return {}
    seeds = hyperparameters.get("seeds")
    if isinstance(seeds, dict):
        return {str(k): v for k, v in seeds.items() if type(v) is int}
    return {k: hyperparameters[k] for k in _SEED_KEYS if type(hyperparameters.get(k)) is int}


def _check_inputs(request: Request) -> None:
    """Refuse links and special files among the inputs, naming the option that gave each."""
    named = [("--code", request.code), ("--config", request.config),
             ("--metrics", request.metrics), ("--notes", request.notes),
             *(("--data", p) for p in request.data),
             *(("--artifact", p) for p in request.artifacts)]
    for option, path in named:
        if path is not None:
            local_file(path, option)


def pack(request: Request) -> Written:
    """Capture the named files and write the export; see `rexport pack --help`."""
    _check_inputs(request)
    project = request.code if request.code is not None else Path.cwd()
    cap = Capture(project, title=request.title, code=request.code is not None,
                  git=request.git, include_untracked=request.include_untracked,
                  digests=request.digests)
    taken: set[str] = set()
    for path in request.data:
        resolved = local_file(path, "data")
        cap.dataset(dataset_id(resolved.name, taken), resolved, name=resolved.name)
    for text in request.data_refs:
        uri, digest, size = parse_data_ref(text)
        name = uri.rstrip("/").rsplit("/", 1)[-1] or uri
        cap.dataset(dataset_id(name, taken), uri=uri, sha256=digest, size=size, name=name)
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
    return cap.write(request.out, format=request.format, jobs=request.jobs,
                     progress=request.progress, allow_secrets=request.allow_secrets,
                     overwrite=request.overwrite, ro_crate=request.ro_crate)
