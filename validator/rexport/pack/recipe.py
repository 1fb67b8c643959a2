"""How to run the experiment again: the replay section, entry points, container, governance."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rexport.pack import specs
from rexport.pack.capture import Capture
from rexport.pack.errors import PackError
from rexport.pack.record import Record
from rexport.pack.request import ReplaySpec, Request


def export_dir(cap: Record, local: Path) -> str:
    """The export path of a folder of the code snapshot ("code" for the code directory)."""
    root = cap.code_dir.resolve()
    try:
        rel = local.resolve().relative_to(root).as_posix()
    except ValueError:
        raise PackError(f"the replay runs inside the code directory {root}; {local} is "
                        "outside it") from None
    return "code" if rel in ("", ".") else f"code/{rel}"


def replay_metrics(metrics: Sequence[dict[str, Any]], tolerances: dict[str, dict[str, float]]
                   ) -> list[dict[str, Any]]:
    """One replay metric per recorded (name, split), with its tolerance: the one given for
    its name, else DEFAULT_TOLERANCE."""
    unknown = sorted(set(tolerances) - {m["name"] for m in metrics})
    if unknown:
        raise PackError(f"--tolerance {unknown[0]}: no metric of that name was recorded")
    out: dict[tuple[str, str | None], dict[str, Any]] = {}
    for metric in metrics:
        entry: dict[str, Any] = {"name": metric["name"]}
        if metric.get("split") is not None:
            entry["split"] = metric["split"]
        entry["tolerance"] = dict(tolerances.get(metric["name"], specs.DEFAULT_TOLERANCE))
        out[(metric["name"], metric.get("split"))] = entry
    return list(out.values())


def place(cap: Record, spec: ReplaySpec, metrics_path: Path | None) -> tuple[str, str]:
    """Where the replay of ``spec`` runs in the export, and its metrics file relative to that:
    the command runs in the code snapshot and writes its metrics where the run wrote them
    (``metrics_path`` unless the spec says). PackError when either cannot be."""
    if not spec.command:
        raise PackError("a replay needs its command: --replay-command (or rexport run)")
    if not cap.snapshot:
        raise PackError("a replay runs the code snapshot: give --code")
    workdir = spec.working_directory or cap.code_dir
    written = spec.metrics_file or metrics_path
    if written is None:
        raise PackError("a replay compares the metrics the command writes: give --metrics "
                        "(or --replay-metrics-file)")
    try:
        relative = written.resolve().relative_to(workdir.resolve()).as_posix()
    except ValueError:
        raise PackError(f"the metrics file {written} is not inside the replay's working "
                        f"directory {workdir}") from None
    return export_dir(cap, workdir), relative


def replay_section(cap: Record, spec: ReplaySpec, metrics_path: Path | None) -> None:
    """Record the replay of ``spec`` on ``cap`` (see :func:`place`), comparing every recorded
    metric within its tolerance."""
    workdir, relative = place(cap, spec, metrics_path)
    if not cap.metrics:
        raise PackError("a replay compares recorded metrics, and none were recorded: --metrics")
    cap.replay_section = {
        "command": list(spec.command or ()), "working_directory": workdir,
        "metrics_file": relative, "metrics": replay_metrics(cap.metrics, spec.tolerances)}
    if spec.timeout is not None:
        cap.replay_section["timeout_seconds"] = spec.timeout


def entry_points(cap: Record, entries: Sequence[Any]) -> None:
    """Record entry points: a local file of the snapshot (+ symbol) and/or a command."""
    for item in entries:
        entry: dict[str, Any] = {"name": item["name"]}
        if item.get("path") is not None:
            entry["path"] = cap.code_path(item["path"])
        if item.get("symbol"):
            entry["symbol"] = item["symbol"]
        if item.get("command"):
            entry["command"] = list(item["command"])
        if "path" not in entry and "command" not in entry:
            raise PackError(f"entry point {item['name']!r}: give a path or a command")
        cap.entry_points.append(entry)


def record(cap: Capture, request: Request) -> None:
    """Record the replay, entry points, container and governance that ``request`` gives."""
    if request.replay is not None:
        replay_section(cap, request.replay, request.metrics)
    entry_points(cap, request.entry_points)
    if request.container:
        image, digest = specs.container(request.container)
        cap.container(image, digest)
        if digest is None:
            cap.warnings.append(f"container image {image} is recorded without its digest, and "
                                "a tag may move: give --container IMAGE@sha256:<digest>")
    if request.license:
        cap.governance_section["license"] = request.license
    if request.creators:
        cap.governance_section["creators"] = [{"name": name} for name in request.creators]
