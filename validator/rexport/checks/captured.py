"""The files the payload pass reads whole, checked once every member was read: the config
(CFG-02), its JSON Schema (CFG-05) and the lockfiles (ENV-03, ENV-09)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from rexport import parsing
from rexport.checks import lockfiles, references
from rexport.findings import Finding
from rexport.limits import CONFIG_CAP


def check_captured(manifest: dict[str, Any], captured: Mapping[str, bytes], *,
                   config: str | None, schema: str | None, requirements: Collection[str],
                   compared: Collection[str]) -> list[Finding]:
    """The findings on the files of ``captured`` ({path: bytes}): the config file at ``config``
    parsed, the schema at ``schema`` parsed and checked against the config, the pip lockfiles
    at ``requirements`` checked for includes, and the pins of the lockfiles ``compared``."""
    found: list[Finding] = []
    if config in captured:
        assert config is not None
        found.extend(_load(config, captured[config])[1])
    if schema in captured:
        assert schema is not None
        # a JSON Schema whatever its name (spec CFG-05)
        document, problems = parsing.load_json(captured[schema], file=schema,
                                               max_bytes=CONFIG_CAP)
        found.extend(problems)
        if document is not None:
            found.extend(references.check_config_schema(manifest, document, file=schema))
    for path in sorted(set(requirements) & captured.keys()):
        found.extend(lockfiles.check_requirements(path, captured[path]))
    locks = {path: captured[path] for path in compared if path in captured}
    found.extend(lockfiles.check_lockfiles(manifest, locks))
    return found


def _load(path: str, data: bytes) -> tuple[Any, list[Finding]]:
    """Parse a captured config file by its suffix, in any case: YAML or JSON (spec CFG-02);
    other formats are carried, not parsed."""
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if suffix in ("yaml", "yml"):
        return parsing.load_yaml(data, file=path, max_bytes=CONFIG_CAP)
    if suffix == "json":
        return parsing.load_json(data, file=path, max_bytes=CONFIG_CAP)
    return None, []
