"""The capture API: record an experiment while it runs, then write it as a REX export."""

from __future__ import annotations

import inspect
import math
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from rexport.pack import clock as clocks
from rexport.pack import environment as environment_capture
from rexport.pack import git as git_capture
from rexport.pack.build import Written, write
from rexport.pack.configfile import load_config
from rexport.pack.errors import PackError
from rexport.pack.members import DEFAULT_EXCLUDES, local_file
from rexport.pack.placement import PathLike
from rexport.pack.record import Record
from rexport.pack.steps import Step


def _number(name: str, value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PackError(f"metric {name!r} must be a finite number, not {value!r}")
    return value


class Capture(Record):
    """Record one experiment run and write it as a REX export.

    ``project_dir`` is where lockfiles are looked for and local paths are placed from;
    ``code_dir`` (default: the project) is snapshotted: its git-tracked files when it is a git
    checkout (plus untracked ones with ``include_untracked``), else every file but tool state.
    The code, the git state and the environment are captured when the Capture is made, as the
    run starts (with ``packages_later``, the installed packages are read by :meth:`write`, while
    the files are hashed: for a capture written at once, as `rexport pack` does). ``epoch``
    overrides the reference time (SOURCE_DATE_EPOCH, else the commit time, else 1980-01-01);
    ``clock`` gives lineage times (default: wall time, clamped to SOURCE_DATE_EPOCH when that
    is set). Use as a context manager or plainly; nothing is written before :meth:`write`::

        with Capture(".", title="Iris, seed 0") as cap:  # run from the project folder
            cap.dataset("iris", "data/iris.csv", license="CC-BY-4.0", access="public")
            cap.config("config.yaml", metrics={"accuracy": "maximize"})
            cap.seeds(numpy=0)
            with cap.step("clean", inputs=["iris"], outputs=["data/clean.csv"],
                          code="prep.py", symbol="clean"):
                clean("data/iris.csv", "data/clean.csv")
            cap.metric("accuracy", 0.93, split="test")
            cap.write("iris-run.tar.gz")
    """

    def __init__(self, project_dir: PathLike = ".", *, code_dir: PathLike | None = None,
                 title: str | None = None, description: str | None = None,
                 code: bool = True, git: bool = True, include_untracked: bool = False,
                 environment: environment_capture.EnvironmentOptions | None = None,
                 digests: Sequence[str] = ("sha256",),
                 epoch: int | None = None, clock: clocks.Clock | None = None,
                 excludes: Iterable[str] = DEFAULT_EXCLUDES,
                 packages_later: bool = False) -> None:
        root = local_file(project_dir, "project directory")
        code_root = local_file(code_dir, "code directory") if code_dir else root
        found = git_capture.capture(code_root, include_untracked=include_untracked) \
            if git and code_root.is_dir() else None
        options = environment or environment_capture.EnvironmentOptions()
        super().__init__(
            root, code_root, found, excludes, snapshot=code, title=title,
            description=description, digests=tuple(dict.fromkeys(["sha256", *digests])),
            epoch=epoch if epoch is not None else clocks.reference_epoch(
                found.commit_time if found else None),
            clock=clock or clocks.default_clock(), env_options=options,
            environment=environment_capture.capture(options, root,
                                                    packages_later=packages_later))

    def __enter__(self) -> Capture:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        return None

    # -- datasets and lineage ---------------------------------------------------------------

    def dataset(self, id: str, path: PathLike | None = None, *, uri: str | None = None,
                sha256: str | None = None, size: int | None = None, name: str | None = None,
                license: str = "NOASSERTION", access: str = "internal",
                identifiers: Mapping[str, str] | None = None, description: str | None = None,
                dest: str | None = None) -> str:
        """Record a dataset: embedded from ``path``, or referenced by ``uri`` + sha256 + size.

        ``identifiers`` maps a scheme to a value, e.g. ``{"doi": "10.24432/C56C76"}``.
        Returns ``id``, usable as a lineage input or output.
        """
        if id in self.datasets:
            raise PackError(f"dataset id {id!r} is recorded twice")
        entry: dict[str, Any] = {"id": id, "name": name or id, "license": license,
                                 "access": access}
        if description:
            entry["description"] = description
        if identifiers:
            entry["identifiers"] = [{"type": k, "value": v} for k, v in identifiers.items()]
        if (path is None) == (uri is None):
            raise PackError(f"dataset {id!r}: give exactly one of a local path or a uri")
        if path is not None:
            entry["embedded"] = {"paths": self.embed(path, prefix="data", role="data",
                                                     dest=dest)}
        else:
            if sha256 is None or size is None:
                raise PackError(f"referenced dataset {id!r} needs its sha256 and size")
            entry["reference"] = {"uri": uri, "size": size, "digests": {"sha256": sha256}}
        self.datasets[id] = entry
        return id

    def split(self, name: str, dataset: str, *, method: str | None = None,
              indices: Iterable[int] | None = None, size: int | None = None,
              path: PathLike | None = None) -> None:
        """Record a split of a dataset; with ``indices`` they are stored as a file, and ``path``
        embeds the split's own file (row numbers, ids) as it is."""
        entry: dict[str, Any] = {"name": name, "dataset": dataset}
        if method:
            entry["method"] = method
        if path is not None:
            if indices is not None:
                raise PackError(f"split {name!r}: give indices or a path, not both")
            paths = self.embed(path, prefix="data", role="data")
            if len(paths) != 1:
                raise PackError(f"split {name!r} must be one file, not a directory")
            entry["path"] = paths[0]
            if size is not None:
                entry["size"] = size
        elif indices is not None:
            rows = [int(i) for i in indices]
            entry["path"] = self.add_bytes(f"data/splits/{name}.idx",
                                           "".join(f"{i}\n" for i in rows).encode(), role="data")
            entry["size"] = len(rows)
        elif size is not None:
            entry["size"] = size
        self.splits.append(entry)

    def step(self, id: str, *, inputs: Sequence[str | os.PathLike[str]] = (),
             outputs: Sequence[str | os.PathLike[str]] = (), code: PathLike | None = None,
             symbol: str | None = None, parameters: Mapping[str, Any] | None = None,
             description: str | None = None) -> Step:
        """A lineage step, as a context manager (``with cap.step(...)``) or a decorator.

        Inputs are resolved on entry and outputs on exit (local files are embedded then).
        ``code`` defaults to the calling file, or the decorated function's file.
        """
        caller = inspect.stack()[1].filename if code is None else None
        return Step(self, id, inputs=inputs, outputs=outputs, code=code, caller=caller,
                    symbol=symbol, parameters=dict(parameters or {}), description=description)

    # -- configuration, results, narrative ---------------------------------------------------

    def config(self, path: PathLike | None = None, *,
               hyperparameters: Mapping[str, Any] | None = None,
               metrics: Mapping[str, str] | None = None, **extra: Any) -> None:
        """Record the configuration: a JSON or YAML file (embedded, redacted if need be)
        and/or hyperparameters; ``metrics`` maps a metric to "maximize" or "minimize";
        ``extra`` takes the other config members (early_stopping, augmentation, logging,
        hyperparameters_schema as a local path)."""
        if path is not None:
            self.config_file = load_config(Path(path))
            target = self.embed(path, prefix="config", role="config")[0]
            self.config_section["path"] = target
            if self.config_file.redacted_bytes is not None:
                self.overrides[target] = self.config_file.redacted_bytes
            if hyperparameters is None and isinstance(self.config_file.document, dict):
                self.config_section["hyperparameters"] = self.config_file.document
                self.config_redactions = list(self.config_file.redactions)
        if hyperparameters is not None:
            self.config_section["hyperparameters"] = dict(hyperparameters)
        if metrics:
            self.config_section["metrics"] = [{"name": k, "direction": v}
                                              for k, v in metrics.items()]
        schema = extra.pop("hyperparameters_schema", None)
        if schema is not None:
            self.config_section["hyperparameters_schema"] = self.embed(
                schema, prefix="config", role="config")[0]
        self.config_section.update(extra)

    def seeds(self, values: Mapping[str, int] | None = None, **more: int) -> None:
        """Record the seed of every random number generator used, by name."""
        for key, value in {**(values or {}), **more}.items():
            if isinstance(value, bool) or not isinstance(value, int):
                raise PackError(f"seed {key!r} must be an integer, not {value!r}")
            self.seed_values[key] = value

    def nondeterministic(self, reason: str) -> None:
        """State that the run is not deterministic, and why (instead of seeds)."""
        self.config_section["nondeterminism"] = {"reason": reason}

    def metric(self, name: str, value: float, *, split: str | None = None,
               step: int | None = None) -> None:
        """Record one metric value (on a split, at a training step)."""
        entry: dict[str, Any] = {"name": name, "value": _number(name, value)}
        if split is not None:
            entry["split"] = split
        if step is not None:
            entry["step"] = step
        self.metrics.append(entry)

    def artifact(self, name: str, path: PathLike | None = None, *, kind: str | None = None,
                 uri: str | None = None, sha256: str | None = None, size: int | None = None,
                 dest: str | None = None) -> str | None:
        """Record an artifact: a local file (embedded under results/) or a URI with digest."""
        entry: dict[str, Any] = {"name": name}
        if kind:
            entry["kind"] = kind
        if (path is None) == (uri is None):
            raise PackError(f"artifact {name!r}: give exactly one of a local path or a uri")
        target = None
        if path is not None:
            paths = self.embed(path, prefix="results", role="result", dest=dest)
            if len(paths) != 1:
                raise PackError(f"artifact {name!r} must be one file, not a directory")
            target = entry["path"] = paths[0]
        else:
            if sha256 is None:
                raise PackError(f"artifact {name!r} given by uri needs its sha256")
            entry.update(uri=uri, digests={"sha256": sha256})
            if size is not None:
                entry["size"] = size
        self.artifacts.append(entry)
        return target

    def entry_point(self, name: str, path: PathLike | None = None, *, symbol: str | None = None,
                    command: Sequence[str] | None = None) -> None:
        """Record how the code is run: a snapshot file (+ symbol) and/or a command."""
        entry: dict[str, Any] = {"name": name}
        if path is not None:
            entry["path"] = self.code_path(path)
        if symbol:
            entry["symbol"] = symbol
        if command:
            entry["command"] = list(command)
        self.entry_points.append(entry)

    def replay(self, command: Sequence[str], *, metrics: Sequence[Mapping[str, Any]],
               metrics_file: str | None = None, working_directory: str = ".",
               timeout_seconds: float | None = None,
               environment: Mapping[str, str] | None = None) -> None:
        """Record how to re-run the experiment and which metrics it must reproduce.

        ``metrics`` items are ``{"name", "split"?, "tolerance": {"absolute"?, "relative"?}}``.
        """
        section: dict[str, Any] = {"command": list(command), "working_directory":
                                   working_directory, "metrics": [dict(m) for m in metrics]}
        if metrics_file:
            section["metrics_file"] = metrics_file
        if timeout_seconds is not None:
            section["timeout_seconds"] = timeout_seconds
        if environment:
            section["environment"] = dict(environment)
        self.replay_section = section

    def container(self, image: str, digest: str | None = None) -> None:
        """Record the container image the run used, by reference and (as it should be, since a
        tag may move) by its manifest digest ``sha256:<64 hex>``."""
        entry = {"image": image}
        if digest is not None:
            entry["digest"] = digest
        self.environment.section["container"] = entry

    def note(self, text: str) -> None:
        """Add a paragraph to the narrative's notes."""
        notes = self.narrative_section.get("notes")
        self.narrative_section["notes"] = f"{notes}\n\n{text}" if notes else text

    def narrative(self, *, intent: str | None = None, limitations: Sequence[str] = (),
                  biases: Sequence[str] = ()) -> None:
        """Record why the run was made and what to keep in mind about it."""
        if intent:
            self.narrative_section["intent"] = intent
        if limitations:
            self.narrative_section["limitations"] = list(limitations)
        if biases:
            self.narrative_section["biases"] = list(biases)

    def governance(self, **fields: Any) -> None:
        """Record creators, owner, license, access and retention (names as in the spec)."""
        self.governance_section.update(fields)

    def write(self, out: PathLike, *, format: str | None = None, jobs: int | None = None,
              progress: bool | None = None, allow_secrets: bool = False,
              overwrite: bool = False, ro_crate: bool = False, hashes: bool = False) -> Written:
        """Write the export to ``out`` (a directory, .tar, .tar.gz/.tgz or .zip) atomically.

        ``jobs`` files are hashed at once (None: the processors this process may use).
        With ``ro_crate``, the export also holds ro-crate-metadata.json: an RO-Crate 1.1
        (Process Run Crate 0.5) describing it, which rex.json indexes. The project's lockfiles
        that match the recorded packages are listed (ENV-09); without a pip one, the export
        gets environment/requirements.txt pinning the packages, rexport among them when the
        code imports it, with ``hashes`` the sha256 of each one's wheel (`pip download`).

        Raises SecretsFound when a file to embed holds a credential (unless ``allow_secrets``)
        and PackError when the export cannot be written as asked.
        """
        shown = sys.stderr.isatty() if progress is None else progress
        return write(self, Path(out), fmt=format, jobs=jobs, progress=shown,
                     allow_secrets=allow_secrets, overwrite=overwrite, ro_crate=ro_crate,
                     hashes=hashes)
