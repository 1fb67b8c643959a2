"""Messages for schema violations, the same whichever engine found them; values are never echoed."""

from __future__ import annotations

import json
import re
from typing import Any

from rexport.json_values import json_type

_LIMITS = {
    "minimum": "must be >= {}",
    "maximum": "must be <= {}",
    "exclusiveMinimum": "must be > {}",
    "exclusiveMaximum": "must be < {}",
    "minLength": "must be at least {} characters long",
    "maxLength": "must be at most {} characters long",
    "minItems": "must have at least {} items",
    "maxItems": "must have at most {} items",
    "minProperties": "must have at least {} members",
    "maxProperties": "must have at most {} members",
    "multipleOf": "must be a multiple of {}",
}
_LONG = 60


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _LONG else text[: _LONG - 3] + "..."


def _alternatives(branches: Any) -> str | None:
    # Most anyOf/oneOf in REX say "one of these members": name them instead of the branches.
    if not isinstance(branches, list):
        return None
    names: list[str] = []
    for branch in branches:
        required = branch.get("required") if isinstance(branch, dict) else None
        if not isinstance(required, list) or not required:
            return None
        names.append(" + ".join(str(r) for r in required))
    return ", ".join(names)


def describe(keyword: str, value: Any, instance: Any, *, missing: str | None = None,
             unknown: tuple[str, ...] = (), multiple: bool = False, where: str = "") -> str:
    """A one-line message for a failed `keyword` whose schema value is `value`.

    The instance's value is never quoted (it may be a credential in the wrong place); the
    JSON pointer of the finding says where it is. `where` is the keyword's schema location.
    """
    if keyword == "type":
        wanted = value if isinstance(value, list) else [value]
        return f"expected {' or '.join(str(w) for w in wanted)}, got {json_type(instance)}"
    if keyword == "required":
        return f"required member {missing!r} is missing"
    if keyword == "format":
        return f"not a valid {value}"
    if keyword == "pattern":
        if isinstance(value, str) and len(value) <= _LONG:
            return f"does not match {value}"
        # a long pattern says nothing to a reader: name the definition it belongs to
        definition = re.search(r"/\$defs/([^/]+)/pattern$", where)
        return f"not a valid {definition.group(1)}" if definition else "does not match the pattern"

    if keyword == "enum" and isinstance(value, list):
        return "must be one of " + ", ".join(_show(v) for v in value)
    if keyword == "const":
        return f"must be {_show(value)}"
    if keyword in _LIMITS:
        return _LIMITS[keyword].format(value)
    if keyword in {"unevaluatedProperties", "additionalProperties"}:
        names = ", ".join(repr(u) for u in unknown)
        return f"unknown member{'s' if len(unknown) != 1 else ''} {names}".rstrip()
    if keyword in {"anyOf", "oneOf"}:
        choices = _alternatives(value)
        if multiple:
            return (f"must have only one of: {choices}" if choices
                    else "matches more than one alternative where exactly one is allowed")
        return f"needs one of: {choices}" if choices else "matches none of the allowed alternatives"
    if keyword == "uniqueItems":
        return "items must be unique"
    if keyword == "false":
        return "no value is allowed here"
    return f"fails the schema rule {keyword!r}"
