"""A project's own packing settings: `rex.yaml`, or `[tool.rexport]` in pyproject.toml.

The file may come with a cloned repository, so it is read as hostile: a size cap, the safe YAML
subset, a fixed schema, and every path it names must stay inside the project's folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rexport.pack import specs
from rexport.pack.errors import PackError
from rexport.pack.request import DatasetSpec, ReplaySpec

PROJECT_FILE = "rex.yaml"
PYPROJECT = "pyproject.toml"
PROJECT_CAP = 1 << 20

_TEXT = {"type": "string", "minLength": 1, "maxLength": 4096}
_PATHS = {"type": "array", "items": _TEXT, "maxItems": 10_000}
_COMMAND = {"oneOf": [_TEXT, {"type": "array", "items": _TEXT, "minItems": 1}]}
_DATASET = {"oneOf": [_TEXT, {
    "type": "object", "additionalProperties": False,
    "properties": {"id": _TEXT, "path": _TEXT, "uri": _TEXT,
                   "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                   "size": {"type": "integer", "minimum": 0}, "name": _TEXT,
                   "license": _TEXT, "access": {"enum": list(specs.ACCESS)},
                   "identifiers": {"type": "object", "additionalProperties": _TEXT},
                   "description": {"type": "string"}}}]}
SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "title": _TEXT, "code": _TEXT, "config": _TEXT, "metrics": _TEXT, "notes": _TEXT,
        "artifacts": _PATHS, "license": _TEXT, "container": _TEXT, "hashes": {"type": "boolean"},
        "untracked": {"type": "boolean"},
        "datasets": {"type": "array", "items": _DATASET},
        "data_refs": {"type": "array", "items": _TEXT},
        "splits": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["name", "dataset"],
            "properties": {"name": _TEXT, "dataset": _TEXT, "path": _TEXT, "method": _TEXT,
                           "size": {"type": "integer", "minimum": 0}}}},
        "seeds": {"type": "object", "additionalProperties": {"type": "integer"}},
        "creators": {"type": "array", "items": _TEXT},
        "entry_points": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["name"],
            "properties": {"name": _TEXT, "path": _TEXT, "symbol": _TEXT,
                           "command": _COMMAND}}},
        "replay": {"type": "object", "additionalProperties": False, "properties": {
            "command": _COMMAND, "working_directory": _TEXT, "metrics_file": _TEXT,
            "timeout": {"type": "number", "exclusiveMinimum": 0},
            "tolerances": {"type": "object", "additionalProperties": {
                "oneOf": [_TEXT, {"type": "object"}]}}}},
    },
}


def find(folder: Path) -> tuple[Path, Mapping[str, Any]] | None:
    """The project file of ``folder`` and its settings, or None when it has neither a rex.yaml
    nor a pyproject.toml with [tool.rexport]; PackError when both are there."""
    yaml_file, pyproject = folder / PROJECT_FILE, folder / PYPROJECT
    found: list[tuple[Path, Mapping[str, Any]]] = []
    if yaml_file.is_file():
        found.append((yaml_file, load(yaml_file) or {}))
    if pyproject.is_file():
        table = load(pyproject)
        if table is not None:
            found.append((pyproject, table))
    if len(found) > 1:
        raise PackError(f"both {PROJECT_FILE} and [tool.rexport] of {PYPROJECT} are in "
                        f"{folder}: keep one")
    return found[0] if found else None


def _read(path: Path) -> bytes:
    try:
        if path.is_symlink() or not path.is_file():
            raise PackError(f"project file {path} must be a regular file")
        with open(path, "rb") as fp:
            data = fp.read(PROJECT_CAP + 1)
    except OSError as exc:
        raise PackError(f"cannot read project file {path}: {exc.strerror}") from None
    if len(data) > PROJECT_CAP:
        raise PackError(f"project file {path} is larger than {PROJECT_CAP} bytes")
    return data


def load(path: Path) -> Mapping[str, Any] | None:
    """The settings of a rex.yaml (any other name is read as YAML too) or of pyproject.toml's
    [tool.rexport] (None when it has none), checked against the schema."""
    from rexport import parsing
    from rexport.parsing.toml_text import load_toml

    data = _read(path)
    if path.name == PYPROJECT:
        table, problem = load_toml(data, file=path.name, max_bytes=PROJECT_CAP)
        if table is None:
            raise PackError(f"project file {path}: {problem}")
        tool = table.get("tool")
        document = tool.get("rexport") if isinstance(tool, dict) else None
        if document is None:
            return None
    else:
        document, findings = parsing.load_yaml(data, file=path.name, max_bytes=PROJECT_CAP)
        errors = [f for f in findings if f.severity.value == "error"]
        if errors:
            raise PackError(f"project file {path}: {errors[0].code} {errors[0].message}")
        document = {} if document is None else document
    _check(path, document)
    return document


def _check(path: Path, document: Any) -> None:
    import jsonschema  # type: ignore[import-untyped, unused-ignore]

    validator = jsonschema.Draft202012Validator(SCHEMA)
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        where = "/" + "/".join(str(p) for p in error.absolute_path)
        raise PackError(f"project file {path}: at {where}: {error.message[:300]}")


def _inside(root: Path, value: str, what: str) -> Path:
    # a project file comes with the repository: it may not point at the user's other files
    local = (root / value).resolve()
    if local != root and root not in local.parents:
        raise PackError(f"project file: {what} {value!r} is outside the project folder")
    return local


def settings(path: Path, document: Mapping[str, Any]) -> dict[str, Any]:
    """The Request fields that the project file ``path`` sets, its paths resolved against
    its folder."""
    root = path.parent.resolve()

    def local(value: str, what: str) -> Path:
        return _inside(root, value, what)

    out: dict[str, Any] = {}
    for key in ("title", "license", "container"):
        if key in document:
            out[key] = document[key]
    for key in ("code", "config", "metrics", "notes"):
        if key in document:
            out[key] = local(document[key], key)
    if "artifacts" in document:
        out["artifacts"] = [local(p, "artifact") for p in document["artifacts"]]
    if "hashes" in document:
        out["hashes"] = document["hashes"]
    if "untracked" in document:
        out["include_untracked"] = document["untracked"]
    if "container" in document:
        specs.container(document["container"])
    if "seeds" in document:
        out["seeds"] = dict(document["seeds"])
    if "creators" in document:
        out["creators"] = list(document["creators"])
    if "datasets" in document:
        out["datasets"] = [_dataset(item, local) for item in document["datasets"]]
    if "data_refs" in document:
        out["data_refs"] = list(document["data_refs"])
    if "splits" in document:
        out["splits"] = [{**item, "path": local(item["path"], "split")} if "path" in item
                         else dict(item) for item in document["splits"]]
    if "entry_points" in document:
        out["entry_points"] = [_entry_point(item, local) for item in document["entry_points"]]
    if "replay" in document:
        out["replay"] = _replay(document["replay"], local)
    return out


def _dataset(item: Any, local: Any) -> DatasetSpec:
    if isinstance(item, str):
        return DatasetSpec(path=local(item, "dataset"))
    spec = DatasetSpec(**{k: v for k, v in item.items() if k != "path"})
    if "id" in item:
        specs.identifier(item["id"], "dataset id")
    if "path" in item:
        spec.path = local(item["path"], "dataset")
    return spec


def _entry_point(item: Mapping[str, Any], local: Any) -> dict[str, Any]:
    entry = dict(item)
    if "path" in entry:
        entry["path"] = local(entry["path"], "entry point")
    if "command" in entry:
        entry["command"] = specs.command(entry["command"], "entry point command")
    return entry


def _replay(item: Mapping[str, Any], local: Any) -> ReplaySpec:
    spec = ReplaySpec(timeout=item.get("timeout"))
    if "command" in item:
        spec.command = specs.command(item["command"], "replay command")
    if "working_directory" in item:
        spec.working_directory = local(item["working_directory"], "replay working directory")
    if "metrics_file" in item:
        spec.metrics_file = local(item["metrics_file"], "replay metrics file")
    spec.tolerances = {str(name): specs.tolerance(value, f"tolerance of {name}")
                       for name, value in item.get("tolerances", {}).items()}
    return spec
