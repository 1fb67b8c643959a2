"""What a reviewer of a fresh export will miss, each with the option (or file key) that adds it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rexport.json_values import as_list, get


def _reviewed(manifest: Mapping[str, Any]) -> list[str]:
    out = []
    datasets = [d for d in as_list(get(manifest, "data", "datasets")) if isinstance(d, dict)]
    if not datasets:
        out.append("no data is recorded: --data PATH or --data-ref URI=sha256:HEX,size=N "
                   "(datasets: in rex.yaml)")
    for dataset in datasets:
        if dataset.get("license") == "NOASSERTION":
            out.append(f"dataset {dataset['id']} has no licence: --dataset-license "
                       f"{dataset['id']}=SPDX (license: of the dataset in rex.yaml)")
    if not get(manifest, "environment", "lockfiles"):
        out.append("no lockfile: the environment cannot be rebuilt; put a requirements.txt "
                   "with name==version pins in the project")
    if not get(manifest, "results", "metrics"):
        out.append("no metrics are recorded: --metrics FILE (metrics: in rex.yaml)")
    if not isinstance(manifest.get("replay"), dict):
        out.append("no replay recipe, so `rexport replay` has nothing to run: "
                   "--replay-command 'CMD', or make the export with rexport run")
    vcs = get(manifest, "code", "vcs")
    if not isinstance(vcs, dict):
        out.append("no git commit is recorded: run from a git checkout with a commit")
    else:
        if vcs.get("dirty"):
            out.append(f"the code had uncommitted changes, kept in {vcs.get('diff')}: commit "
                       "them first for a reference anyone can check out")
        if not vcs.get("repository"):
            out.append("no git remote is recorded, so the commit cannot be fetched: "
                       "git remote add origin URL")
    if not get(manifest, "governance", "license"):
        out.append("the export has no licence: --license SPDX (license: in rex.yaml)")
    return out


def missing(manifest: Mapping[str, Any], export: Path | str) -> list[str]:
    """What to add to the export ``export`` (its ``manifest``) for a reviewer: the gaps of the
    manifest, then the validator's warnings (with --strict)."""
    from rexport.validation import validate

    out = _reviewed(manifest)
    report = validate(export, strict=True)
    out += [f"{f.code} {f.pointer or f.file}: {f.message} ({f.hint})"
            for f in report.findings if f.severity.value != "info"]
    return out
