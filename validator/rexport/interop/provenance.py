"""An in-toto Statement v1 about an export: its subjects and a SLSA Provenance v1 predicate."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://slsa.dev/provenance/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
BUILD_TYPE = "https://rex.example.org/rexport/experiment-run/v1"
PRODUCERS = "https://rex.example.org/rexport/producer/"
EXPORT_SUBJECT = "rex:export"


def _hex(digest: str) -> str:
    return digest.removeprefix("sha256:")


def subjects(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The export itself (named rex:export, its export digest as sha256) and each result
    artifact with the digests the export records for it."""
    out: list[dict[str, Any]] = [{
        "name": EXPORT_SUBJECT, "digest": {"sha256": _hex(manifest["export_digest"])},
        "annotations": {"exportDigest": manifest["export_digest"],
                        "title": manifest.get("title", "")}}]
    files = {entry["path"]: entry for entry in manifest.get("files", [])}
    for artifact in (manifest.get("results") or {}).get("artifacts") or []:
        path = artifact.get("path")
        if isinstance(path, str) and path in files:
            entry = files[path]
            out.append({"name": path, "digest": dict(entry["digests"]),
                        "mediaType": entry["media_type"]})
        elif isinstance(artifact.get("uri"), str) and artifact.get("digests"):
            out.append({"name": artifact.get("name", artifact["uri"]), "uri": artifact["uri"],
                        "digest": dict(artifact["digests"])})
    return out


def _dependencies(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    vcs = (manifest.get("code") or {}).get("vcs") or {}
    if isinstance(vcs.get("commit"), str):
        dependency: dict[str, Any] = {"name": "code", "digest": {"gitCommit": vcs["commit"]}}
        if isinstance(vcs.get("repository"), str):
            dependency["uri"] = f"git+{vcs['repository']}@{vcs['commit']}"
        out.append(dependency)
    files = {entry["path"]: entry for entry in manifest.get("files", [])}
    for path, entry in files.items():
        if entry.get("role") in ("code", "config", "environment"):
            out.append({"name": path, "digest": dict(entry["digests"])})
    for dataset in (manifest.get("data") or {}).get("datasets") or []:
        reference = dataset.get("reference") or {}
        described: dict[str, Any] = {"name": f"dataset:{dataset['id']}"}
        digests = dataset.get("digests") or reference.get("digests")
        if digests:
            described["digest"] = dict(digests)
        if isinstance(reference.get("uri"), str):
            described["uri"] = reference["uri"]
        out.append(described)
    for package in (manifest.get("environment") or {}).get("packages") or []:
        purl = f"pkg:pypi/{quote(package['name'].lower())}@{quote(str(package['version']))}"
        described = {"name": purl, "uri": purl}
        hashes = [h for h in package.get("hashes") or [] if h.startswith("sha256:")]
        if hashes:
            described["digest"] = {"sha256": _hex(hashes[0])}
        out.append(described)
    return out


def _times(manifest: dict[str, Any]) -> dict[str, str]:
    steps = (manifest.get("lineage") or {}).get("steps") or []
    started = [s["started"] for s in steps if isinstance(s.get("started"), str)]
    ended = [s["ended"] for s in steps if isinstance(s.get("ended"), str)]
    return {"startedOn": min(started) if started else manifest["created"],
            "finishedOn": max(ended) if ended else manifest["created"]}


def provenance(manifest: dict[str, Any]) -> dict[str, Any]:
    """SLSA Provenance v1: buildDefinition from code, config and environment; runDetails from
    the producer and the run's times."""
    code = manifest.get("code") or {}
    config = manifest.get("config") or {}
    external: dict[str, Any] = {}
    for key, name in (("hyperparameters", "hyperparameters"), ("seeds", "seeds"),
                      ("path", "configFile"), ("splits", "splits"),
                      ("nondeterminism", "nondeterminism")):
        if key in config:
            external[name] = config[key]
    if code.get("entry_points"):
        external["entryPoints"] = code["entry_points"]
    replay = manifest.get("replay") or {}
    if replay.get("command"):
        external["replayCommand"] = replay["command"]
    environment = manifest.get("environment") or {}
    internal = {key: environment[key] for key in ("os", "architecture", "python", "container",
                                                  "hardware") if key in environment}
    producer = manifest.get("producer") or {}
    name = str(producer.get("name", "unknown"))
    builder: dict[str, Any] = {"id": PRODUCERS + quote(name, safe="")}
    if producer.get("version"):
        builder["version"] = {name: str(producer["version"])}
    return {
        "buildDefinition": {"buildType": BUILD_TYPE, "externalParameters": external,
                            "internalParameters": internal,
                            "resolvedDependencies": _dependencies(manifest)},
        "runDetails": {"builder": builder,
                       "metadata": {"invocationId": manifest["export_digest"],
                                    **_times(manifest)}}}


def statement(manifest: dict[str, Any]) -> dict[str, Any]:
    """The in-toto Statement v1 of a valid export's manifest."""
    return {"_type": STATEMENT_TYPE, "subject": subjects(manifest),
            "predicateType": PREDICATE_TYPE, "predicate": provenance(manifest)}
