"""What a capture has recorded so far: its files, its sections, and the run's reference time."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rexport.pack import clock as clocks
from rexport.pack import environment as environment_capture
from rexport.pack.configfile import ConfigFile
from rexport.pack.errors import PackError
from rexport.pack.git import GitInfo
from rexport.pack.placement import Placement
from rexport.pack.redact import Redaction


class Record(Placement):
    """The state of one capture: what Capture's methods add to, what the builder writes.

    Lineage steps (rexport.pack.steps) and the builder (rexport.pack.build) take a Record,
    so that neither needs the recording API built on it (rexport.pack.capture).
    """

    def __init__(self, project_dir: Path, code_dir: Path, git: GitInfo | None,
                 excludes: Iterable[str], *, snapshot: bool, title: str | None,
                 description: str | None, digests: tuple[str, ...], epoch: int,
                 clock: clocks.Clock, env_options: environment_capture.EnvironmentOptions,
                 environment: environment_capture.Captured) -> None:
        super().__init__(project_dir, code_dir, git if snapshot else None, excludes,
                         snapshot=snapshot)
        self.git = git
        self.title, self.description = title, description
        self.digests = digests
        self.epoch = epoch
        self.clock = clock
        self.env_options = env_options
        self.environment = environment
        self.datasets: dict[str, dict[str, Any]] = {}
        self.splits: list[dict[str, Any]] = []
        self.steps: list[dict[str, Any]] = []
        self.config_section: dict[str, Any] = {}
        self.config_file: ConfigFile | None = None
        self.config_redactions: list[Redaction] = []
        self.seed_values: dict[str, int] = {}
        self.metrics: list[dict[str, Any]] = []
        self.artifacts: list[dict[str, Any]] = []
        self.entry_points: list[dict[str, Any]] = []
        self.replay_section: dict[str, Any] | None = None
        self.narrative_section: dict[str, Any] = {}
        self.governance_section: dict[str, Any] = {}
        # who wrote the export, when not rexport's own packer (an importer names itself here)
        self.producer: dict[str, Any] | None = None

    def ref(self, item: str | os.PathLike[str]) -> dict[str, str]:
        """A lineage reference: a dataset id, an export path already known, or a local file."""
        if isinstance(item, str) and item in self.datasets:
            return {"dataset": item}
        if isinstance(item, str) and self.known_path(item):
            return {"file": item}
        paths = self.embed(item, prefix="data", role="data")
        if len(paths) != 1:
            raise PackError(f"lineage refers to a directory {os.fspath(item)!r}; name a file")
        return {"file": paths[0]}

    def keep_code_as_it_was(self) -> None:
        """Give snapshot files changed since the capture started their bytes from before: the
        commit's, when git said the file was as committed then; else say so (a warning)."""
        from rexport.pack import git as git_capture

        dirty = git_capture.changed_paths(self.git.diff) if self.git is not None else set()
        for local, member in self.snapshot.items():
            if member.path in self.overrides or not self.changed_since_start(local):
                continue
            name = member.path.removeprefix("code/")
            data = None
            if self.git is not None and name not in dirty:
                data = git_capture.committed_bytes(self.code_dir, name)
            if data is not None:
                self.overrides[member.path] = data
            elif local.is_file():
                self.warnings.append(f"{name} changed during the run: the snapshot holds it as "
                                     "the run left it")
            else:
                raise PackError(f"{name} was removed during the run and its bytes from before "
                                "are not known: commit it, or keep it")
