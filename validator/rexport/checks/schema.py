"""Schema check: the manifest against the REX v1 schema (S101, S102; C104 for root sections)."""

from __future__ import annotations

from typing import Any

from rexport.checks.secret_patterns import REDACTED
from rexport.findings import Finding, pointer
from rexport.json_values import as_list, get, resolve
from rexport.schema import validators
from rexport.schema.redactable import parse_pointer, redactable, value_at

_ROOT_REQUIRED = validators.ROOT + validators.SUFFIX + "#/required"
_VERSION = "rex_version"


def _redacted_pointers(manifest: Any) -> set[str]:
    return {e["pointer"] for e in as_list(get(manifest, "redactions"))
            if isinstance(e, dict) and isinstance(e.get("pointer"), str)}


def _is_redacted(manifest: Any, error: validators.SchemaError, redacted: set[str]) -> bool:
    # A value replaced by the marker is declared in `redactions`: the marker may not fit the
    # field's type or format, and is no schema error where a redaction may stand (SEC-07);
    # elsewhere the value is one the validator verifies, and the marker is judged like any.
    return (error.keyword != "required" and error.pointer in redacted
            and redactable(error.path) and resolve(manifest, error.path) == REDACTED)


def misplaced_redactions(manifest: Any) -> list[Finding]:
    """Return REX-K104 at each listed marker (a `redactions` pointer that resolves to
    "[REDACTED]") in a member where no redaction may stand (spec SEC-07); never raises."""
    found = []
    for where in sorted(_redacted_pointers(manifest)):
        tokens = parse_pointer(where)
        if tokens is None or redactable(tokens) or value_at(manifest, tokens) != REDACTED:
            continue
        found.append(Finding.of("REX-K104", "a redaction marker stands in a member that the "
                                "validator verifies or that identifies something",
                                pointer=where))
    return found


def check(manifest: Any, *, strict: bool, engine: str = "auto") -> list[Finding]:
    """Check `manifest` (any JSON value) against the manifest schema; never raises.

    Returns every violation as REX-S101 (pointer to the instance, schema_pointer to the rule),
    most relevant first; a missing required top-level member as REX-C104 at "/<member>";
    with `strict`, each member the schema does not define (never an `x-` one) as REX-S102.
    `rex_version` is left to the version check, whose V101/V102 say more than S101 or C104.
    """
    try:
        found = validators.errors(manifest, strict=strict, engine=engine)
    except RecursionError:
        return [Finding.of("REX-S101", "the document is nested too deeply to check",
                           schema_pointer="")]
    redacted = _redacted_pointers(manifest)
    findings: list[Finding] = []
    unknown: list[Finding] = []
    for error in found:
        if error.path[:1] == (_VERSION,) or (error.missing == _VERSION and not error.path):
            continue
        if error.keyword == "unevaluatedProperties":
            unknown.extend(
                Finding.of("REX-S102", f"member {key!r} is not defined by REX v1",
                           pointer=pointer(*error.path, key), schema_pointer=error.schema_pointer)
                for key in error.unknown)
        elif error.schema_pointer == _ROOT_REQUIRED and error.missing is not None:
            findings.append(Finding.of(
                "REX-C104", f"required section {error.missing!r} is missing",
                pointer=pointer(error.missing), schema_pointer=error.schema_pointer))
        elif not _is_redacted(manifest, error, redacted):
            findings.append(Finding.of("REX-S101", error.message, pointer=error.pointer,
                                       schema_pointer=error.schema_pointer))
    return findings + misplaced_redactions(manifest) + unknown
