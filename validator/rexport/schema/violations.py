"""One violation of a schema, as both engines report it, and which of several matters most."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rexport.findings import pointer as make_pointer


@dataclass(frozen=True)
class SchemaError:
    """One schema violation: where in the instance, which keyword of which schema, and why."""

    path: tuple[str | int, ...]
    keyword: str
    schema_pointer: str
    message: str
    missing: str | None = None          # the property named by a `required` error
    unknown: tuple[str, ...] = ()       # members an `unevaluatedProperties` error names
    rank: int = 0                       # position of `missing` in its `required` list

    @property
    def pointer(self) -> str:
        return make_pointer(*self.path)


_WEAK = frozenset({"anyOf", "oneOf"})


def _token_key(token: str | int) -> tuple[int, int, str]:
    return (0, token, "") if isinstance(token, int) else (1, 0, token)


def relevance(error: SchemaError) -> tuple[Any, ...]:
    """Sort key, most relevant first: shallow before deep (as jsonschema's best_match), strong
    keywords before anyOf/oneOf, then document order so that both engines agree."""
    return (len(error.path), error.keyword in _WEAK, [_token_key(t) for t in error.path],
            error.schema_pointer, error.rank)
