"""Redaction: credentials in the manifest become "[REDACTED]" with a pointer and a reason."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rexport.checks.secret_patterns import REDACTED, find_secrets, is_secret_name
from rexport.findings import pointer as make_pointer
from rexport.pack.errors import PackError

# Values whose shape is fixed by the format (digests, commits, sizes): never secrets, and
# high-entropy enough that a pattern scanner could mistake them for one.
_EXEMPT_KEYS = frozenset({"digests", "hashes", "commit", "export_digest", "files"})
# Shorter values are too common to look for in files without false alarms.
MIN_KNOWN_SECRET = 6


@dataclass(frozen=True)
class Redaction:
    """One redacted value: where it was in the manifest, why, and the value (never written)."""

    pointer: str
    reason: str
    value: str

    def entry(self) -> dict[str, str]:
        return {"pointer": self.pointer, "reason": self.reason}


# The spec's recommended reason for a URL holding a password (SEC-04).
_REASONS = {"URL with credentials": "url-credentials"}


def secret_reason(text: str) -> str | None:
    """The kind of credential ``text`` holds (the reason recorded), or None."""
    hits = find_secrets(text)
    if not hits:
        return None
    kind = hits[0][0]
    return _REASONS.get(kind, kind)


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _walk(value: Any, tokens: tuple[str | int, ...], forced: bool) -> Iterator[tuple[
        tuple[str | int, ...], str, str, Any]]:
    """Yield (tokens, reason, original, replacement) for each value to change."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in _EXEMPT_KEYS:
                continue
            named = forced or is_secret_name(str(key))
            yield from _walk(item, (*tokens, key), named)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*tokens, index), forced)
    elif _scalar(value) and value != REDACTED:
        if forced:
            yield tokens, "secret-name", str(value), REDACTED
            return
        if not isinstance(value, str):
            return
        reason = secret_reason(value)
        if reason is not None:
            yield tokens, reason, value, REDACTED


def redact(document: Any, base: tuple[str | int, ...] = ()) -> tuple[Any, list[Redaction]]:
    """Return a redacted copy of ``document`` and one Redaction per value replaced.

    Values under secret-looking keys and values that match a credential pattern become
    "[REDACTED]"; a credential inside a larger value (a URL with a password) replaces the whole
    value, as the spec asks (SEC-04). ``base`` prefixes every pointer. Raises PackError when
    a credential stands in a member where no redaction may (SEC-07: a path, an identifier).
    """
    from rexport.schema.redactable import redactable  # the schemas: not before a redaction

    changes, refused = [], []
    for change in _walk(document, (), False):
        if redactable((*base, *change[0])):
            changes.append(change)
        elif change[1] != "secret-name":
            # a value that is verified or names something is never redacted (SEC-07): a
            # credential there stops the pack (a secret-looking name alone is left, SEC-03)
            refused.append(make_pointer(*base, *change[0]))
    if refused:
        raise PackError("credentials in members that are never redacted (spec SEC-07): "
                        + ", ".join(sorted(refused)[:20]) + "; remove them from the run's inputs")
    if not changes:
        return document, []
    copy = _deepcopy(document)
    found = []
    for tokens, reason, original, replacement in changes:
        _set(copy, tokens, replacement)
        found.append(Redaction(make_pointer(*base, *tokens), reason, original))
    return copy, found


def _deepcopy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deepcopy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deepcopy(v) for v in value]
    return value


def _set(document: Any, tokens: tuple[str | int, ...], value: Any) -> None:
    target = document
    for token in tokens[:-1]:
        target = target[token]
    target[tokens[-1]] = value


def known_values(redactions: list[Redaction]) -> dict[bytes, str]:
    """Redacted values long enough to look for in embedded files, mapped to a reason."""
    return {r.value.encode("utf-8"): f"holds the value redacted at {r.pointer}"
            for r in redactions if len(r.value) >= MIN_KNOWN_SECRET}


def scrub(data: bytes, values: dict[bytes, str]) -> bytes:
    """Replace every known secret value in generated text (a diff) by the redaction marker."""
    for value in sorted(values, key=len, reverse=True):
        data = data.replace(value, REDACTED.encode("ascii"))
    return data
