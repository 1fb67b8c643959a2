"""Read a JSON or YAML config file safely and redact it before it is recorded or embedded."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rexport.limits import CONFIG_CAP
from rexport.pack.errors import PackError
from rexport.pack.members import read_regular
from rexport.pack.redact import Redaction, redact

BASE = ("config", "hyperparameters")


@dataclass
class ConfigFile:
    """A parsed config: its (redacted) document, what was redacted, and the bytes to embed
    instead of the original when something was (None when nothing was)."""

    document: Any
    redactions: list[Redaction] = field(default_factory=list)
    redacted_bytes: bytes | None = None


def _parse(path: Path, data: bytes) -> Any:
    from rexport import parsing

    is_json = path.suffix.lower() == ".json"
    if is_json:
        document, findings = parsing.load_json(data, file=path.name)
    else:
        document, findings = parsing.load_yaml(data, file=path.name)
    errors = [f for f in findings if f.severity.value == "error"]
    if errors:
        # the validator would refuse this file (REX-P1xx/P2xx): say so before packing it
        listing = "; ".join(f"{f.code} {f.message}" for f in errors[:5])
        raise PackError(f"config file {path.name} cannot be used: {listing}")
    return document


def serialise(document: Any, *, as_json: bool) -> bytes:
    """The document written back out (used only when a redaction changed it)."""
    if as_json:
        return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    import yaml

    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True,
                          default_flow_style=False)
    return text.encode("utf-8")


def load_config(path: Path) -> ConfigFile:
    """Parse a config file; secret values become "[REDACTED]" and the embedded copy with them.

    The pointers of the redactions are those of the values under config/hyperparameters.
    """
    try:
        data = read_regular(path, "config file", CONFIG_CAP)
    except OSError as exc:
        raise PackError(f"cannot read config file {path}: {exc.strerror}") from None
    document = _parse(path, data)
    cleaned, found = redact(document, BASE)
    if not found:
        return ConfigFile(document)
    as_json = path.suffix.lower() == ".json"
    return ConfigFile(cleaned, found, serialise(cleaned, as_json=as_json))
