"""Describe an export as an RO-Crate 1.1 that conforms to Process Run Crate 0.5.

The crate is built from the manifest alone, so a packer can write it before rex.json is
sealed and rex.json then indexes it: the crate lists every other file with its sha256, and
rex.json itself without one (each would have to hold the other's digest).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

CRATE = "ro-crate-metadata.json"
MEDIA_TYPE = "application/ld+json"
RO_CRATE = "https://w3id.org/ro/crate/1.1"
PROCESS_RUN = "https://w3id.org/ro/wfrun/process/0.5"
_WFRUN = "https://w3id.org/ro/terms/workflow-run#"
# The workflow-run terms used, defined in the crate itself (to the IRIs of the context
# https://w3id.org/ro/terms/workflow-run/context): a reader needs the RO-Crate context alone.
CONTEXT: list[Any] = [f"{RO_CRATE}/context", {
    term: _WFRUN + term for term in ("sha256", "containerImage", "ContainerImage",
                                     "DockerImage", "registry", "tag")}]


def ref(identifier: str) -> dict[str, str]:
    return {"@id": identifier}


def one(items: list[Any]) -> Any:
    """A list, or its one item alone (RO-Crate 1.1 prefers single values to singletons)."""
    return items[0] if len(items) == 1 else items


def file_id(path: str) -> str:
    """A file's @id: its export path as a relative URI (RO-Crate 1.1 percent-encodes)."""
    return quote(path, safe="/")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _license(manifest: dict[str, Any]) -> dict[str, Any]:
    license_id = _text((manifest.get("governance") or {}).get("license"))
    if license_id is None:
        return {"@id": "#license", "@type": "CreativeWork", "name": "NOASSERTION",
                "description": "The export states no licence."}
    if license_id.startswith("LicenseRef-") or " " in license_id:
        return {"@id": f"#license-{quote(license_id)}", "@type": "CreativeWork",
                "name": license_id}
    return {"@id": f"https://spdx.org/licenses/{license_id}", "@type": "CreativeWork",
            "name": license_id, "identifier": license_id}


def _files(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    entities = [{"@id": "rex.json", "@type": "File", "name": "rex.json",
                 "encodingFormat": "application/json",
                 "description": "The REX manifest: it indexes every file of the export, this "
                                "crate included, with their digests."}]
    for entry in manifest.get("files", []):
        if entry["path"] == CRATE:
            continue
        entities.append({"@id": file_id(entry["path"]), "@type": "File",
                         "name": entry["path"].rsplit("/", 1)[-1],
                         "contentSize": str(entry["size"]),
                         "encodingFormat": entry["media_type"],
                         "sha256": entry["digests"]["sha256"]})
    return entities


def _times(manifest: dict[str, Any]) -> tuple[str, str]:
    steps = (manifest.get("lineage") or {}).get("steps") or []
    started = [s["started"] for s in steps if isinstance(s.get("started"), str)]
    ended = [s["ended"] for s in steps if isinstance(s.get("ended"), str)]
    created = manifest["created"]
    # RFC 3339 UTC times of one export sort as text
    return (min(started) if started else created), (max(ended) if ended else created)


def _code(manifest: dict[str, Any]) -> dict[str, Any]:
    code = manifest.get("code") or {}
    root = (code.get("snapshot") or {}).get("root")
    parts = [ref(file_id(e["path"])) for e in manifest.get("files", [])
             if isinstance(root, str) and e["path"].startswith(root)]
    entry_points = code.get("entry_points") or []
    name = entry_points[0]["name"] if entry_points else "code"
    entity: dict[str, Any] = {"@id": "#code", "@type": "SoftwareSourceCode", "name": name}
    if parts:
        entity["hasPart"] = one(parts)
    vcs = code.get("vcs") or {}
    if _text(vcs.get("repository")):
        entity["codeRepository"] = vcs["repository"]
    if _text(vcs.get("commit")):
        entity["version"] = vcs["commit"]
    return entity


def _datasets(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for dataset in (manifest.get("data") or {}).get("datasets") or []:
        entity: dict[str, Any] = {"@id": f"#dataset-{quote(dataset['id'])}",
                                  "@type": "Dataset", "name": dataset.get("name", dataset["id"])}
        if _text(dataset.get("description")):
            entity["description"] = dataset["description"]
        embedded = (dataset.get("embedded") or {}).get("paths") or []
        if embedded:
            entity["hasPart"] = one([ref(file_id(p)) for p in embedded])
        reference = dataset.get("reference") or {}
        if _text(reference.get("uri")):
            entity["url"] = reference["uri"]
        digests = dataset.get("digests") or reference.get("digests") or {}
        if "sha256" in digests:
            entity["sha256"] = digests["sha256"]
        identifiers = [i["value"] for i in dataset.get("identifiers") or []]
        if identifiers:
            entity["identifier"] = one(identifiers)
        out.append(entity)
    return out


def _parameters(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    config = manifest.get("config") or {}
    values: list[tuple[str, Any]] = []
    hyper = config.get("hyperparameters")
    if isinstance(hyper, dict):
        values += sorted(hyper.items())
    values += [(f"seed:{k}", v) for k, v in sorted((config.get("seeds") or {}).items())]
    out = []
    for name, value in values:
        if not isinstance(value, (str, int, float, bool)):  # schema.org values are scalars
            value = json.dumps(value, sort_keys=True, ensure_ascii=False)
        out.append({"@id": f"#param-{quote(name)}", "@type": "PropertyValue", "name": name,
                    "value": value})
    return out


def _container(manifest: dict[str, Any]) -> dict[str, Any] | None:
    container = (manifest.get("environment") or {}).get("container") or {}
    image = _text(container.get("image"))
    if image is None:
        return None
    first, _, rest = image.partition("/")
    registry = first if rest and ("." in first or ":" in first) else None
    name = rest if registry else image
    name, _, tag = name.rpartition(":") if ":" in name else (name, "", "")
    entity: dict[str, Any] = {"@id": "#container", "@type": "ContainerImage",
                              "additionalType": ref(_WFRUN + "DockerImage"), "name": name}
    if registry:
        entity["registry"] = registry
    if tag:
        entity["tag"] = tag
    digest = _text(container.get("digest"))
    if digest and digest.startswith("sha256:"):
        entity["sha256"] = digest.removeprefix("sha256:")
    return entity


def _people(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for n, creator in enumerate((manifest.get("governance") or {}).get("creators") or []):
        orcid = _text(creator.get("orcid"))
        person: dict[str, Any] = {"@id": f"https://orcid.org/{orcid}" if orcid
                                  else f"#creator-{n}", "@type": "Person",
                                  "name": creator.get("name", "")}
        if _text(creator.get("affiliation")):
            person["affiliation"] = creator["affiliation"]
        out.append(person)
    return out


def _run(manifest: dict[str, Any], datasets: list[dict[str, Any]],
         parameters: list[dict[str, Any]], container: dict[str, Any] | None,
         people: list[dict[str, Any]]) -> dict[str, Any]:
    start, end = _times(manifest)
    results = (manifest.get("results") or {}).get("artifacts") or []
    config_path = (manifest.get("config") or {}).get("path")
    objects = [ref(d["@id"]) for d in datasets] + [ref(p["@id"]) for p in parameters]
    if isinstance(config_path, str):
        objects.append(ref(file_id(config_path)))
    run: dict[str, Any] = {
        "@id": "#run", "@type": "CreateAction",
        "name": f"Run of {manifest.get('title') or 'the experiment'}",
        "description": "The run that produced the results of this export.",
        "instrument": ref("#code"), "object": one(objects),
        "result": one([ref(file_id(a["path"])) for a in results
                       if isinstance(a.get("path"), str)]),
        "startTime": start, "endTime": end}
    if people:
        run["agent"] = one([ref(p["@id"]) for p in people])
    if container is not None:
        run["containerImage"] = ref(container["@id"])
    return run


def crate(manifest: dict[str, Any]) -> dict[str, Any]:
    """The RO-Crate metadata document of a (valid) manifest, its own entry left aside."""
    license_entity = _license(manifest)
    files = _files(manifest)
    datasets = _datasets(manifest)
    parameters = _parameters(manifest)
    container = _container(manifest)
    people = _people(manifest)
    title = manifest.get("title") or "REX export"
    root: dict[str, Any] = {
        "@id": "./", "@type": "Dataset", "name": title,
        "description": manifest.get("description") or title,
        "datePublished": manifest["created"], "license": ref(license_entity["@id"]),
        "conformsTo": ref(PROCESS_RUN), "hasPart": [ref(f["@id"]) for f in files],
        "mentions": ref("#run")}
    if people:
        root["author"] = one([ref(p["@id"]) for p in people])
    graph: list[dict[str, Any]] = [
        {"@id": CRATE, "@type": "CreativeWork", "conformsTo": ref(RO_CRATE),
         "about": ref("./")},
        root,
        {"@id": PROCESS_RUN, "@type": "CreativeWork", "name": "Process Run Crate",
         "version": "0.5"},
        license_entity, *files, _code(manifest), *datasets, *parameters, *people,
        _run(manifest, datasets, parameters, container, people)]
    if container is not None:
        graph.append(container)
    return {"@context": CONTEXT, "@graph": graph}


def crate_bytes(manifest: dict[str, Any]) -> bytes:
    """The crate as deterministic JSON bytes (a function of the manifest alone)."""
    return (json.dumps(crate(manifest), sort_keys=True, ensure_ascii=False, indent=2,
                       allow_nan=False) + "\n").encode("utf-8")


def without_crate(files: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The index entries other than the crate's own."""
    return [entry for entry in files if entry.get("path") != CRATE]


def with_crate(manifest: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """The manifest re-sealed with the crate's index entry, and the crate's bytes."""
    from rexport.canonical import export_digest
    from rexport.digests import digest_bytes

    out = dict(manifest)
    out["files"] = without_crate(manifest.get("files", []))
    data = crate_bytes(out)
    out["files"] = sorted([*out["files"], {
        "path": CRATE, "size": len(data), "media_type": MEDIA_TYPE, "role": "other",
        "digests": digest_bytes(data, ("sha256",))}], key=lambda e: e["path"].encode("utf-8"))
    out["export_digest"] = export_digest(out)
    return out, data
