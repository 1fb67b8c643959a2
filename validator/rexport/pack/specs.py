"""The small text forms the packer takes, from options and project files alike, parsed once."""

from __future__ import annotations

import math
import re
import shlex
from typing import Any

from rexport.pack.errors import PackError

# numpy.isclose's defaults: float noise passes, a changed prediction on a test set does not
DEFAULT_TOLERANCE: dict[str, float] = {"absolute": 1e-8, "relative": 1e-5}
ACCESS = ("public", "internal", "restricted", "confidential")

_DATA_REF = re.compile(r"^(?P<uri>.+)=sha256:(?P<hex>[0-9a-f]{64})(?:,size=(?P<size>[0-9]+))?$")
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_CONTAINER = re.compile(r"^(?P<image>[^@\s]+)(?:@(?P<digest>sha256:[0-9a-f]{64}))?$")
_BOUND = {"abs": "absolute", "absolute": "absolute", "rel": "relative", "relative": "relative"}


def keyed(text: str, what: str) -> tuple[str, str]:
    """Split ``KEY=VALUE`` (both non-empty); PackError naming ``what`` otherwise."""
    key, sep, value = text.partition("=")
    if not sep or not key or not value:
        raise PackError(f"{what} {text!r}: expected NAME=VALUE")
    return key, value


def valid_identifier(value: str) -> bool:
    """True when ``value`` may be a dataset id or a split name (spec EXP-07)."""
    return bool(_IDENTIFIER.match(value)) and len(value) <= 256


def identifier(value: str, what: str) -> str:
    """``value`` when it is a REX identifier (dataset id, split name), else PackError."""
    if not valid_identifier(value):
        raise PackError(f"{what} {value!r}: use letters, digits, '.', '_' and '-' only")
    return value


def seed(text: str) -> tuple[str, int]:
    """``NAME=INT`` as (name, seed)."""
    name, number = keyed(text, "--seed")
    try:
        return name, int(number)
    except ValueError:
        raise PackError(f"--seed {text!r}: expected NAME=INTEGER") from None


def data_ref(text: str) -> tuple[str, str, int]:
    """``URI=sha256:HEX,size=N`` as (uri, hex, size)."""
    match = _DATA_REF.match(text)
    if match is None:
        raise PackError(f"--data-ref {text!r}: expected URI=sha256:<64 lowercase hex>,size=N")
    if match["size"] is None:
        raise PackError(f"--data-ref {text!r}: add ,size=N (the size in bytes is required)")
    return match["uri"], match["hex"], int(match["size"])


def tolerance(value: Any, what: str = "tolerance") -> dict[str, float]:
    """A tolerance from ``abs:X``, ``rel:Y``, ``abs:X,rel:Y`` or a mapping of absolute and
    relative; each bound a finite number >= 0, at least one given."""
    if isinstance(value, str):
        pairs = [part.partition(":") for part in value.split(",")]
        if not all(sep and kind.strip() in _BOUND for kind, sep, _ in pairs):
            raise PackError(f"{what} {value!r}: expected abs:X, rel:Y or abs:X,rel:Y")
        value = {_BOUND[kind.strip()]: number.strip() for kind, _, number in pairs}
    if not isinstance(value, dict) or not value or set(value) - {"absolute", "relative"}:
        raise PackError(f"{what}: give absolute and/or relative bounds")
    out: dict[str, float] = {}
    for key, bound in value.items():
        try:
            number = float(bound) if not isinstance(bound, bool) else math.nan
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or number < 0:
            raise PackError(f"{what}: {key} must be a number >= 0, not {bound!r}")
        out[key] = number
    return out


def container(text: str) -> tuple[str, str | None]:
    """``IMAGE[@sha256:HEX]`` as (image, digest or None)."""
    match = _CONTAINER.match(text.strip())
    if match is None:
        raise PackError(f"container {text!r}: expected IMAGE or IMAGE@sha256:<64 lowercase hex>")
    return match["image"], match["digest"]


def scheme_value(text: str, what: str) -> tuple[str, str]:
    """``SCHEME:VALUE`` (``doi:10.24432/C56C76``) as (scheme, value)."""
    scheme, sep, value = text.partition(":")
    if not sep or not scheme or not value:
        raise PackError(f"{what} {text!r}: expected SCHEME:VALUE, as doi:10.24432/C56C76")
    return scheme, value


def command(value: Any, what: str) -> list[str]:
    """An argument vector from a list of strings, or a string split as a POSIX shell would
    split it (no shell ever runs it: quotes group, nothing is expanded)."""
    if isinstance(value, str):
        try:
            value = shlex.split(value)
        except ValueError as exc:
            raise PackError(f"{what} {value!r}: {exc}") from None
    if not isinstance(value, list) or not value or \
            not all(isinstance(a, str) and a and "\0" not in a for a in value):
        raise PackError(f"{what}: give a command line, program first")
    return list(value)


def entry_point(text: str) -> dict[str, str]:
    """``NAME=PATH[:SYMBOL]`` as an entry point with a local path (made an export path later)."""
    name, target = keyed(text, "--entry-point")
    path, _, symbol = target.partition(":")
    entry = {"name": name, "path": path}
    if symbol:
        entry["symbol"] = symbol
    return entry


def split(text: str) -> dict[str, str]:
    """``NAME=DATASET:PATH`` as a split of a dataset listed in a file."""
    name, target = keyed(text, "--split")
    dataset, sep, path = target.partition(":")
    if not sep or not dataset or not path:
        raise PackError(f"--split {text!r}: expected NAME=DATASET:PATH")
    return {"name": identifier(name, "split name"), "dataset": dataset, "path": path}
