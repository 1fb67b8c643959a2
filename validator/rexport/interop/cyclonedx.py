"""Describe an export as a CycloneDX 1.6 ML-BOM: models with their metrics, datasets, the
packages of the environment and the code's commit, each with the digests the export holds."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

SPEC_VERSION = "1.6"
# REX digest algorithm -> CycloneDX hash algorithm
ALGORITHMS = {"sha256": "SHA-256", "sha512": "SHA-512", "blake2b": "BLAKE2b-512",
              "sha1": "SHA-1", "md5": "MD5"}


def hashes(digests: dict[str, str] | None) -> list[dict[str, str]]:
    """CycloneDX hashes of a REX digest set, in a fixed order."""
    return [{"alg": ALGORITHMS[name], "content": value}
            for name, value in sorted((digests or {}).items()) if name in ALGORITHMS]


def _licenses(license_id: Any) -> list[dict[str, str]]:
    if not isinstance(license_id, str) or license_id in ("", "NOASSERTION", "NONE"):
        return []
    return [{"expression": license_id}]


def _metrics(manifest: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for metric in (manifest.get("results") or {}).get("metrics") or []:
        item = {"type": metric["name"], "value": repr(metric["value"])
                if isinstance(metric["value"], float) else str(metric["value"])}
        slices = [str(metric[k]) if k == "split" else f"step {metric[k]}"
                  for k in ("split", "step") if k in metric]
        if slices:
            item["slice"] = ", ".join(slices)
        out.append(item)
    return out


def _datasets(manifest: dict[str, Any], files: dict[str, dict[str, Any]]
              ) -> list[dict[str, Any]]:
    out = []
    for dataset in (manifest.get("data") or {}).get("datasets") or []:
        reference = dataset.get("reference") or {}
        data: dict[str, Any] = {"type": "dataset", "name": dataset.get("name", dataset["id"])}
        if isinstance(reference.get("uri"), str):
            data["contents"] = {"url": reference["uri"]}
        if isinstance(dataset.get("description"), str):
            data["description"] = dataset["description"]
        if isinstance(dataset.get("access"), str):
            data["classification"] = dataset["access"]
        component: dict[str, Any] = {
            "bom-ref": f"dataset:{dataset['id']}", "type": "data",
            "name": dataset.get("name", dataset["id"]), "data": [data]}
        digest_set = dataset.get("digests") or reference.get("digests")
        if digest_set:
            component["hashes"] = hashes(digest_set)
        component["licenses"] = _licenses(dataset.get("license"))
        parts = [p for p in (dataset.get("embedded") or {}).get("paths") or [] if p in files]
        if parts:
            component["components"] = [_file(files[p]) for p in parts]
        refs = [{"type": "distribution", "url": i["value"]}
                for i in dataset.get("identifiers") or [] if i.get("type") == "url"]
        if refs:
            component["externalReferences"] = refs
        out.append({k: v for k, v in component.items() if v != []})
    return out


def _file(entry: dict[str, Any]) -> dict[str, Any]:
    return {"bom-ref": f"file:{entry['path']}", "type": "file", "name": entry["path"],
            "mime-type": entry["media_type"], "hashes": hashes(entry["digests"])}


def _models(manifest: dict[str, Any], files: dict[str, dict[str, Any]],
            datasets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    artifacts = (manifest.get("results") or {}).get("artifacts") or []
    models = [a for a in artifacts if a.get("kind") == "model"]
    narrative = manifest.get("narrative") or {}
    card: dict[str, Any] = {"modelParameters": {
        "datasets": [{"ref": d["bom-ref"]} for d in datasets]}}
    metrics = _metrics(manifest)
    if metrics:
        card["quantitativeAnalysis"] = {"performanceMetrics": metrics}
    considerations = {key: narrative[name] for key, name in (
        ("technicalLimitations", "limitations"), ("ethicalConsiderations", "biases"))
        if narrative.get(name)}
    if considerations.get("ethicalConsiderations"):
        considerations["ethicalConsiderations"] = [
            {"name": text} for text in considerations["ethicalConsiderations"]]
    if considerations:
        card["considerations"] = considerations
    if not models:  # the run's results still belong to a model, unnamed
        models = [{"name": manifest.get("title") or "model"}]
    out = []
    for n, artifact in enumerate(models):
        component: dict[str, Any] = {"bom-ref": f"model:{n}", "type": "machine-learning-model",
                                     "name": artifact.get("name") or f"model-{n}",
                                     "modelCard": card}
        entry = files.get(artifact.get("path", ""))
        digest_set = entry["digests"] if entry else artifact.get("digests")
        if digest_set:
            component["hashes"] = hashes(digest_set)
        if entry:
            component["mime-type"] = entry["media_type"]
        out.append(component)
    return out


def _others(manifest: dict[str, Any], files: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Result artifacts that are not models: files of the export, or URIs with digests."""
    out = []
    for artifact in (manifest.get("results") or {}).get("artifacts") or []:
        if artifact.get("kind") == "model":
            continue
        if artifact.get("path") in files:
            out.append(_file(files[artifact["path"]]))
        elif isinstance(artifact.get("uri"), str):
            out.append({"bom-ref": f"artifact:{artifact.get('name', artifact['uri'])}",
                        "type": "file", "name": artifact.get("name", artifact["uri"]),
                        "hashes": hashes(artifact.get("digests")),
                        "externalReferences": [{"type": "distribution",
                                                "url": artifact["uri"]}]})
    return out


def _packages(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for package in (manifest.get("environment") or {}).get("packages") or []:
        name, version = str(package["name"]), str(package["version"])
        purl = f"pkg:pypi/{quote(name.lower().replace('_', '-'))}@{quote(version)}"
        component: dict[str, Any] = {"bom-ref": purl, "type": "library", "name": name,
                                     "version": version, "purl": purl}
        digests: dict[str, str] = {}
        for text in package.get("hashes") or []:
            algorithm, _, value = text.partition(":")
            digests.setdefault(algorithm, value)
        if hashes(digests):
            component["hashes"] = hashes(digests)
        out.append(component)
    return out


def _code(manifest: dict[str, Any], files: dict[str, dict[str, Any]]) -> dict[str, Any]:
    code = manifest.get("code") or {}
    root = (code.get("snapshot") or {}).get("root")
    entry_points = code.get("entry_points") or []
    component: dict[str, Any] = {"bom-ref": "code", "type": "application",
                                 "name": entry_points[0]["name"] if entry_points else "code"}
    vcs = code.get("vcs") or {}
    if isinstance(vcs.get("commit"), str):
        commit: dict[str, Any] = {"uid": vcs["commit"]}
        if isinstance(vcs.get("repository"), str):
            commit["url"] = vcs["repository"]
            component["externalReferences"] = [{"type": "vcs", "url": vcs["repository"]}]
        component["version"] = vcs["commit"]
        component["pedigree"] = {"commits": [commit]}
    parts = [_file(entry) for path, entry in files.items()
             if isinstance(root, str) and path.startswith(root)]
    if parts:
        component["components"] = parts
    return component


def bom(manifest: dict[str, Any]) -> dict[str, Any]:
    """The CycloneDX 1.6 BOM (as JSON data) of a valid export's manifest."""
    from rexport import __version__

    files = {entry["path"]: entry for entry in manifest.get("files", [])}
    digest = manifest["export_digest"]
    datasets = _datasets(manifest, files)
    models = _models(manifest, files, datasets)
    code = _code(manifest, files)
    packages = _packages(manifest)
    subject: dict[str, Any] = {
        "bom-ref": "export", "type": "file", "name": manifest.get("title") or "REX export",
        "description": "A REX export; the hash is its export digest over the canonical "
                       "manifest (REX DIG-04).",
        "hashes": [{"alg": "SHA-256", "content": digest.removeprefix("sha256:")}]}
    licenses = _licenses((manifest.get("governance") or {}).get("license"))
    if licenses:
        subject["licenses"] = licenses
    dependencies = [{"ref": m["bom-ref"], "dependsOn": sorted(
        [d["bom-ref"] for d in datasets] + ["code"] + [p["bom-ref"] for p in packages])}
        for m in models]
    return {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX", "specVersion": SPEC_VERSION,
        "serialNumber": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'rex:' + digest)}",
        "version": 1,
        "metadata": {"timestamp": manifest["created"],
                     "tools": {"components": [{"type": "application", "name": "rexport",
                                               "version": __version__}]},
                     "component": subject},
        "components": [*models, *datasets, *_others(manifest, files), code, *packages],
        "dependencies": dependencies}


def convert_to_bom(export: str | os.PathLike[str], out: Path, *, overwrite: bool = False,
                   max_files: int = 200_000, max_bytes: int = 2**40) -> int:
    """Validate the export and write its BOM as JSON at ``out``; return the component count."""
    from rexport.interop.export import (
        InteropError,
        checked_export,
        json_bytes,
        write_atomically,
    )

    if out.exists() and not overwrite:
        raise InteropError(f"{out} already exists; remove it or pass --force")
    checked = checked_export(export, max_files=max_files, max_bytes=max_bytes)
    document = bom(checked.manifest)
    write_atomically(out, json_bytes(document))
    return len(document["components"])
