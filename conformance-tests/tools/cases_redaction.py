"""Cases of secrets.md SEC-04 and SEC-07: markers and entries name each other, and a marker
never stands in a member that is verified."""

from __future__ import annotations

from typing import Any

from bases import full
from registry import Expect, case, dotted
from rexgen import Export

MARKER = "[REDACTED]"
DATA = "data/clean.csv"  # a sha256 only: nothing else would see the change


def _place(e: Export, where: tuple[str | int, ...]) -> None:
    holder: Any = e.m
    for token in where[:-1]:
        holder = holder[token]
    holder[where[-1]] = MARKER
    e.m.setdefault("redactions", []).append(
        {"pointer": "".join(f"/{t}" for t in where), "reason": "user-request"})


def _tamper(e: Export) -> None:
    """One byte of the data file changed, its length kept."""
    data = bytearray(e.files[DATA])
    data[-2] ^= 0x01
    e.files[DATA] = bytes(data)


def _verified(kind: str, description: str, where: Any, *, tamper: bool = False,
              schema_error: bool = True, also: tuple[tuple[str, str], ...] = ()) -> None:
    changed = f"; one byte of {DATA} changed" if tamper else ""

    def locate(e: Export) -> tuple[str | int, ...]:
        return where(e) if callable(where) else tuple(where)

    probe = locate(full())

    @case("invalid", "secrets", f"redacted-{kind}", description, ["SEC-07", "SEC-04"],
          mutation=f"The full export with {dotted(probe)} replaced by the redaction marker and "
                   f"listed in redactions{changed}; re-sealed.")
    def build(x: Expect) -> Export:
        e = full()
        at = locate(e)
        if tamper:
            _tamper(e)
        _place(e, at)
        pointer = "".join(f"/{t}" for t in at)
        x.find("REX-K104", pointer)
        if schema_error:
            x.find("REX-S101", pointer)
        for code, at_pointer in also:  # what the marker breaks besides, judged as a value
            x.find(code, at_pointer)
        return e.seal()


def _data_entry(e: Export) -> int:
    return e.idx(DATA)


_verified("digest-value", "a redacted sha256 hides a changed file",
          lambda e: ("files", _data_entry(e), "digests", "sha256"), tamper=True)
_verified("digests-object", "a redacted digest set hides a changed file",
          lambda e: ("files", _data_entry(e), "digests"), tamper=True)
_verified("size", "a file's size is never redacted",
          lambda e: ("files", _data_entry(e), "size"))
_verified("role", "an enumerated value (a file's role) is never redacted",
          lambda e: ("files", _data_entry(e), "role"))
_verified("direction", "an enumerated value (a metric's direction) is never redacted",
          ("config", "metrics", 0, "direction"))
_verified("path", "a path (config.path) is never redacted", ("config", "path"),
          schema_error=False, also=(("REX-R109", "/config/path"),))
_verified("commit", "code.vcs.commit is never redacted", ("code", "vcs", "commit"))
_verified("dataset-digest", "a referenced dataset's digest is never redacted",
          ("data", "datasets", 1, "reference", "digests", "sha256"))
_verified("split-name", "an identifier (a split's name) is never redacted",
          ("data", "splits", 0, "name"), also=(("REX-R104", "/config/splits/0"),))
# "[REDACTED]" has the form that a path and the architecture accept: only SEC-07 refuses it
_verified("architecture", "environment.architecture is never redacted",
          ("environment", "architecture"), schema_error=False)


@case("invalid", "secrets", "redacted-export-digest", "export_digest is never redacted",
      ["SEC-07", "DIG-04"])
def _export_digest(x: Expect) -> Export:
    """The full export with export_digest replaced by the redaction marker, listed in
    redactions."""
    e = full()
    e.m["redactions"] = [{"pointer": "/export_digest", "reason": "user-request"}]
    e.seal()
    e.m["export_digest"] = MARKER
    x.find("REX-K104", "/export_digest")
    x.find("REX-S101", "/export_digest")
    x.find("REX-I104", "/export_digest")  # a marker is no digest to compare (DIG-04)
    return e


@case("valid", "secrets", "redacted-free-text", "markers in free text, hyperparameters and "
      "extensions", ["SEC-07", "SEC-04"], strict=True, schema_valid=False)
def _free_text(x: Expect) -> Export:
    """The full export with the dataset's reference URI, a creator's email, the logging object,
    replay.environment and an `x-` member replaced by the marker, each listed; re-sealed."""
    e = full()
    e.m["x-lab"] = {"ticket": "LAB-1"}
    for where in (("data", "datasets", 1, "reference", "uri"),
                  ("governance", "creators", 0, "email"), ("config", "logging"),
                  ("replay", "environment"), ("x-lab", "ticket")):
        _place(e, where)
    x.never("REX-K104")
    x.never("REX-S101")
    return e.seal()


# --- markers and entries name each other (SEC-04) --------------------------------------------


def _entry_only(name: str, description: str, where: str, mutation: str) -> None:
    @case("invalid", "secrets", name, description, ["SEC-04"], mutation=mutation)
    def build(x: Expect) -> Export:
        e = full()
        e.m["redactions"] = [{"pointer": where, "reason": "user-request"}]
        x.find("REX-R113", "/redactions/0/pointer")
        return e.seal()


_entry_only("redaction-entry-without-marker", "a redaction entry whose value was not withheld",
            "/config/hyperparameters/max_iter",
            "The full export with a redactions entry for config.hyperparameters.max_iter, which "
            "still holds its value 200; re-sealed.")
_entry_only("redaction-entry-names-nothing", "a redaction entry that names no member",
            "/config/hyperparameters/api_key",
            "The full export with a redactions entry for config.hyperparameters.api_key, a member "
            "the manifest does not have; re-sealed.")


@case("invalid", "secrets", "redaction-pointer-malformed", "an entry whose pointer is malformed "
      "lists nothing", ["SEC-04", "EXP-05"])
def _malformed(x: Expect) -> Export:
    """The full export with narrative.intent replaced by the marker and a redactions entry
    whose pointer lacks its leading slash (narrative/intent); re-sealed."""
    e = full()
    e.m["narrative"]["intent"] = MARKER
    e.m["redactions"] = [{"pointer": "narrative/intent", "reason": "user-request"}]
    x.find("REX-S101", "/redactions/0/pointer")  # and no REX-R113 there: it names nothing
    x.find("REX-R113", "/narrative/intent")
    return e.seal()


@case("invalid", "config", "hyperparameter-marker-unlisted", "an unlisted marker meets the "
      "experiment's schema", ["SEC-04", "CFG-05"])
def _unlisted_hyperparameter(x: Expect) -> Export:
    """The full export with config.hyperparameters.max_iter replaced by the redaction marker,
    not listed in redactions; re-sealed."""
    e = full()
    e.m["config"]["hyperparameters"]["max_iter"] = MARKER
    x.find("REX-R113", "/config/hyperparameters/max_iter")
    x.find("REX-R106", "/config/hyperparameters/max_iter")  # a string where an integer goes
    return e.seal()
