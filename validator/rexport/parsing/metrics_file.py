"""A metrics file (spec RPL-04): JSON, or YAML by its name, in the REX form or the flat form."""

from __future__ import annotations

from typing import Any

from rexport.json_values import string

METRICS_CAP = 16 << 20
YAML_SUFFIXES = (".yaml", ".yml")


class MetricsFileError(ValueError):
    """The metrics file cannot be read as metrics: the message says why, naming the file."""


def is_yaml(name: str) -> bool:
    """True when a metrics file of this name is read as YAML (its suffix, in any case)."""
    return name.lower().endswith(YAML_SUFFIXES)


def load_metrics(data: bytes, *, name: str) -> list[dict[str, Any]]:
    """The metrics of a metrics file's bytes, as ``[{"name", "value", "split"?, "step"?}]``.

    ``name`` decides the syntax: YAML for ``.yaml``/``.yml`` (the safe subset of CFG-02), else
    JSON. The document is ``{"metrics": [{"name", "value", ...}]}`` or a flat
    ``{name: value}``. Values are returned as written; the caller judges them. Raises
    MetricsFileError when the file is not such a document.
    """
    from rexport.parsing import load_json, load_yaml

    loader = load_yaml if is_yaml(name) else load_json
    document, findings = loader(data, file=name, max_bytes=METRICS_CAP)
    errors = [f for f in findings if f.severity.value == "error"]
    if errors or document is None:
        why = errors[0].message if errors else "empty"
        raise MetricsFileError(f"metrics file {name} unreadable: {why}")
    if not isinstance(document, dict):
        raise MetricsFileError(f"metrics file {name} is not an object of metrics")
    items = document.get("metrics")
    if isinstance(items, list):
        out = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise MetricsFileError(f"metrics file {name}: each entry of metrics needs a "
                                       "name and a value")
            out.append(dict(item))
        return out
    return [{"name": str(key), "value": value} for key, value in document.items()]


def by_name_and_split(metrics: list[dict[str, Any]]
                      ) -> tuple[dict[tuple[str, str | None], Any], dict[str, Any]]:
    """Index metrics by (name, split) and by name alone; a later entry wins over an earlier."""
    by_split: dict[tuple[str, str | None], Any] = {}
    by_name: dict[str, Any] = {}
    for m in metrics:
        by_split[(m["name"], string(m.get("split")))] = m.get("value")
        by_name[m["name"]] = m.get("value")
    return by_split, by_name
