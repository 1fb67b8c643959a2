"""Schema check: the manifest against the REX v1 schema (S101, S102; C104 for root sections)."""

from __future__ import annotations

import json
import re
from typing import Any

from rexport.checks import redactions, version
from rexport.checks.secret_patterns import REDACTED, find_secrets, is_secret_name
from rexport.checks.spelling import nearest
from rexport.findings import Finding, pointer
from rexport.json_values import resolve
from rexport.schema import minors, validators
from rexport.schema.redactable import redactable
from rexport.schema.violations import SchemaError

_ROOT_REQUIRED = validators.ROOT + validators.SUFFIX + "#/required"
_VERSION = "rex_version"
_SHOWN = 40  # characters of an offending value quoted in a message
# a long run of key characters with letters and digits reads as a key, a placeholder included
_TOKEN = re.compile(r"(?=[^0-9]*[0-9])(?=[^A-Za-z]*[A-Za-z])[A-Za-z0-9+/=_.-]{16,}")
# keywords whose instance is the object holding the problem, not an offending value
_NO_VALUE = frozenset({"required", "unevaluatedProperties", "additionalProperties", "anyOf",
                       "oneOf", "minProperties", "maxProperties", "false"})


def _is_redacted(manifest: Any, error: SchemaError, redacted: set[str]) -> bool:
    # A value replaced by the marker is declared in `redactions`: the marker may not fit the
    # field's type or format, and is no schema error where a redaction may stand (SEC-07);
    # elsewhere the value is one the validator verifies, and the marker is judged like any.
    return (error.keyword != "required" and error.pointer in redacted
            and redactable(error.path) and resolve(manifest, error.path) == REDACTED)


def shown_value(manifest: Any, error: SchemaError) -> str:
    """The offending value for a message, as JSON, shortened; empty for an object or a list,
    and withheld when it may be a credential (a schema error can be a secret in the wrong
    place)."""
    if error.keyword in _NO_VALUE:
        return ""
    value = resolve(manifest, error.path)
    if isinstance(value, (dict, list)):
        return ""
    name = error.path[-1] if error.path else ""
    if isinstance(value, str) and (_TOKEN.fullmatch(value) or find_secrets(value)
                                   or (isinstance(name, str) and is_secret_name(name))):
        return " (value withheld: it may be a credential)"
    text = json.dumps(value, ensure_ascii=False)
    if len(text) > _SHOWN:
        text = text[:_SHOWN - 4] + "...\""
    # "expected string, got number 5"; "not a valid date-time, got "2026-01-15 10:00""
    return f" {text}" if error.keyword == "type" else f", got {text}"


def prepare() -> None:
    """Compile now the schema variants check() runs (jsonschema-rs), e.g. while other work
    goes on: the first check then costs what the later ones do."""
    validators.rs_validator(False)
    validators.rs_validator(True)  # the strict one names unknown members in every mode


def check(manifest: Any, *, strict: bool, engine: str = "auto",
          index_closed: bool = False) -> list[Finding]:
    """Check `manifest` (any JSON value) against the manifest schema; never raises.

    Returns every violation as REX-S101 (pointer to the instance, schema_pointer to the rule,
    the offending value in the message), most relevant first; a missing required top-level
    member as REX-C104 at "/<member>"; each member the schema does not define that is one edit
    from one it defines there as REX-S103 (in every mode); with `strict`, every other member
    the schema does not define (never an `x-` one) as REX-S102. A manifest of an older minor is
    judged as written: the members a later minor added are unknown members to it (VER-02).
    `rex_version` is left to the version check, whose V101/V102 say more than S101 or C104.
    ``index_closed``: no entry of ``files`` holds a member the schema does not define (the
    caller read it as json_values.IndexColumns).
    """
    try:
        if strict:
            found = closed = validators.both_errors(manifest, (True,), engine=engine,
                                                    index_closed=index_closed)[0]
        else:
            # the strict schema's unknown members too, for the misspellings among them
            found, closed = validators.both_errors(manifest, engine=engine,
                                                   index_closed=index_closed)
    except RecursionError:
        return [Finding.of("REX-S101", "the document is nested too deeply to check",
                           schema_pointer="")]
    redacted = redactions.listed(manifest)
    findings: list[Finding] = []
    for error in found:
        if error.path[:1] == (_VERSION,) or (error.missing == _VERSION and not error.path):
            continue
        if error.keyword == "unevaluatedProperties":
            continue
        if error.schema_pointer == _ROOT_REQUIRED and error.missing is not None:
            findings.append(Finding.of(
                "REX-C104", f"required section {error.missing!r} is missing",
                pointer=pointer(error.missing), schema_pointer=error.schema_pointer))
        elif not _is_redacted(manifest, error, redacted):
            findings.append(Finding.of("REX-S101", error.message + shown_value(manifest, error),
                                       pointer=error.pointer,
                                       schema_pointer=error.schema_pointer))
    findings += redactions.misplaced(manifest) + _unknown(manifest, closed, strict=strict)
    judged = version.judged_by(manifest)
    # a closed index holds only members the first minor defines (a test says so): only the
    # rest of the manifest may hold one a later minor added
    later = minors.unknown_to({k: v for k, v in manifest.items() if k != "files"}
                              if index_closed and isinstance(manifest, dict) else manifest, judged)
    return _as_written(findings, later, judged, strict=strict) if later else findings


def _as_written(found: list[Finding], later: list[tuple[str | int, ...]],
                judged: tuple[int, int], *, strict: bool) -> list[Finding]:
    """The findings on a manifest whose version does not define the members ``later`` (a later
    minor added them): unknown members (VER-04), whose values are their own, so nothing within
    them is a finding, and each is REX-S102 under strict (VER-06: their producer names too old
    a version)."""
    places = [pointer(*at) for at in later]
    kept = [f for f in found
            if not any(f.pointer == p or f.pointer.startswith(p + "/") for p in places)]
    if strict:
        kept += [Finding.of("REX-S102", f"member {at[-1]!r} is not defined by REX "
                            f"{judged[0]}.{judged[1]}, the version rex_version names",
                            pointer=p) for at, p in zip(later, places, strict=True)]
    return kept


def _unknown(manifest: Any, errors: list[SchemaError], *, strict: bool
             ) -> list[Finding]:
    out: list[Finding] = []
    for error in errors:
        if error.keyword != "unevaluatedProperties":
            continue
        # the object schema that the strict variant closed with this keyword
        node = validators.schema_node(error.schema_pointer.rpartition("/")[0])
        names = node.get("properties") if isinstance(node, dict) else None
        defined = names if isinstance(names, dict) else {}
        for key in error.unknown:
            guess = nearest(key, defined)
            if guess == _VERSION and not error.path and _VERSION not in manifest:
                continue  # the version check's REX-V104
            where = pointer(*error.path, key)
            if guess is not None:
                out.append(Finding.of(
                    "REX-S103", f"member {key!r} is not defined here; did you mean {guess!r}?",
                    pointer=where, schema_pointer=error.schema_pointer))
            elif strict:
                out.append(Finding.of("REX-S102", f"member {key!r} is not defined by REX v1",
                                      pointer=where, schema_pointer=error.schema_pointer))
    return out
