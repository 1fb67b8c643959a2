"""The finding catalogue: each check's stable code, severity and spec section; the Finding type."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rexport.paths import MANIFEST


class Severity(str, enum.Enum):
    """How much a finding weighs: errors make an export invalid, warnings only under --strict."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Rule:
    """One catalogue entry: a stable code and what it means."""

    code: str
    severity: Severity
    family: str
    section: str
    title: str
    hint: str


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO

# The catalogue is public API: codes are never reused or renumbered (spec/compatibility.md).
_RULES: tuple[Rule, ...] = (
    # usage / unreadable input: exit code 2
    Rule("REX-U101", _E, "input", "VAL-02", "input not found",
         "Check the path: it must name an export directory, archive or rex.json."),
    Rule("REX-U102", _E, "input", "VAL-02", "unsupported input type",
         "Give a directory, .tar, .tar.gz/.tgz, .zip or a bare rex.json."),
    Rule("REX-U103", _E, "input", "VAL-02", "input unreadable",
         "The input could not be opened or read; check permissions and that it is not truncated."),
    Rule("REX-U104", _E, "input", "VAL-02", "internal error",
         "The validator failed on this input, which is a bug in the validator: report it."),
    # parse
    Rule("REX-P101", _E, "parse", "EXP-03", "invalid JSON",
         "Fix the JSON syntax at the line and column given."),
    Rule("REX-P102", _E, "parse", "EXP-03", "byte order mark",
         "Write the file as UTF-8 without a byte order mark."),
    Rule("REX-P103", _E, "parse", "EXP-03", "invalid UTF-8",
         "Write the file as valid UTF-8."),
    Rule("REX-P104", _E, "parse", "EXP-03", "duplicate key",
         "Each object key may appear once; remove or rename the duplicate."),
    Rule("REX-P105", _E, "parse", "EXP-03", "non-finite number",
         "NaN and Infinity are not JSON; record such values as strings or null."),
    Rule("REX-P106", _E, "parse", "EXP-04", "nesting too deep",
         "Flatten the document: nesting is capped (spec EXP-04)."),
    Rule("REX-P107", _E, "parse", "EXP-04", "document too large",
         "The manifest or config exceeds the size cap (spec EXP-04)."),
    Rule("REX-P108", _E, "parse", "EXP-03", "manifest is not an object",
         "The top level of rex.json must be a JSON object."),
    Rule("REX-P201", _E, "parse", "CFG-02", "invalid YAML",
         "Fix the YAML syntax at the line and column given."),
    Rule("REX-P202", _E, "parse", "CFG-02", "YAML anchor or alias",
         "Anchors and aliases are refused; write the values out."),
    Rule("REX-P203", _E, "parse", "CFG-02", "YAML tag",
         "Explicit YAML tags are refused; use plain scalars, lists and mappings."),
    Rule("REX-P204", _E, "parse", "CFG-02", "YAML duplicate key",
         "Each mapping key may appear once; remove or rename the duplicate."),
    # schema
    Rule("REX-S101", _E, "schema", "EXP-05", "schema violation",
         "Change the value at the pointer so that it satisfies the schema rule named."),
    Rule("REX-S102", _W, "schema", "VER-04", "unknown field",
         "This field is not defined by the spec version named; prefix extensions with 'x-'."),
    Rule("REX-S103", _W, "schema", "VER-07", "likely misspelt member",
         "Rename the member to the defined name the message suggests (or prefix it with 'x-')."),
    # version
    Rule("REX-V101", _E, "version", "VER-01", "version missing or malformed",
         "Set rex_version to the spec version followed, as MAJOR.MINOR (e.g. \"1.0\")."),
    Rule("REX-V102", _E, "version", "VER-03", "unsupported major version",
         "This validator reads REX 1.x; use a validator for that major version."),
    Rule("REX-V103", _W, "version", "VER-02", "newer minor version",
         "Fields from the newer minor were ignored; upgrade rexport to check them."),
    Rule("REX-V104", _E, "version", "VER-07", "misspelt rex_version",
         "Rename the member to rex_version: without it the manifest names no version."),
    # completeness
    Rule("REX-C101", _E, "completeness", "EXP-02", "manifest missing",
         "Put the manifest rex.json at the root of the export."),
    Rule("REX-C102", _E, "completeness", "IDX-03", "indexed file missing",
         "Add the file to the export or remove its entry from files."),
    Rule("REX-C103", _E, "completeness", "IDX-02", "file not in the index",
         "List the file in files (path, size, media_type, role, digests) or remove it."),
    Rule("REX-C104", _E, "completeness", "EXP-06", "required section missing",
         "Add the section named; see the spec page for its contents."),
    Rule("REX-C105", _E, "completeness", "IDX-04", "duplicate index entry",
         "List each path once in files."),
    Rule("REX-C106", _I, "completeness", "VAL-03", "payload checks skipped",
         "Only the manifest was given; validate the whole export to check files."),
    # integrity
    Rule("REX-I101", _E, "integrity", "IDX-05", "size mismatch",
         "The file's size differs from the index: the file changed or the entry is wrong. "
         "After an edit made on purpose, `rexport seal DIR` records the new sizes and digests."),
    Rule("REX-I102", _E, "integrity", "DIG-02", "digest mismatch",
         "The file's content differs from its recorded digest: it was changed or corrupted. "
         "After an edit made on purpose, `rexport seal DIR` records the new digests."),
    Rule("REX-I103", _E, "integrity", "DIG-01", "weak digests only",
         "Record a sha256 digest: md5 and sha1 alone are never enough."),
    Rule("REX-I104", _E, "integrity", "DIG-04", "export digest mismatch",
         "Find what was changed, or after an edit made on purpose run `rexport seal DIR`, "
         "which recomputes export_digest over the canonical manifest."),
    # references
    Rule("REX-R101", _E, "references", "LIN-03", "lineage cycle",
         "Lineage must be acyclic: a step cannot depend on its own outputs."),
    Rule("REX-R102", _E, "references", "LIN-02", "unresolved lineage reference",
         "Each input and output must name a dataset id or an indexed file."),
    Rule("REX-R103", _E, "references", "LIN-04", "lineage code not indexed",
         "The code of a step must be an indexed file of the export."),
    Rule("REX-R104", _E, "references", "DAT-05", "split names an unknown dataset",
         "A split must name a dataset id of data.datasets."),
    Rule("REX-R105", _E, "references", "RPL-02", "replay reference unresolved",
         "The replay section must refer to files and metrics that exist."),
    Rule("REX-R106", _E, "references", "CFG-05", "config violates the experiment's schema",
         "Change the hyperparameter, or the experiment's own schema, so that they agree."),
    Rule("REX-R107", _E, "references", "CFG-05", "experiment schema unusable",
         "The hyperparameters schema must be a valid, self-contained JSON Schema."),
    Rule("REX-R108", _E, "references", "EXP-07", "duplicate identifier",
         "Identifiers (dataset ids, step ids, split names) must be unique."),
    Rule("REX-R109", _E, "references", "IDX-06", "file reference unresolved",
         "The path must name a file listed in files."),
    Rule("REX-R110", _E, "references", "COD-02", "code snapshot empty",
         "code.snapshot.root must contain at least one indexed file."),
    Rule("REX-R111", _E, "references", "ENV-03", "lockfile includes other files",
         "Write the included requirements into the lockfile itself: no -r, -c or -e lines."),
    Rule("REX-R112", _W, "references", "ENV-09", "lockfiles disagree",
         "Keep the lockfile that matches the environment the run used and remove the other, "
         "or make them agree."),
    Rule("REX-R113", _E, "references", "SEC-04", "redaction entry and marker unmatched",
         "Give each \"[REDACTED]\" value an entry in redactions, and point each entry at "
         "one."),
    # safety
    Rule("REX-X101", _E, "safety", "EXP-08", "path traversal",
         "Paths must not contain '..' segments."),
    Rule("REX-X102", _E, "safety", "EXP-08", "absolute path",
         "Paths must be relative to the export root."),
    Rule("REX-X103", _E, "safety", "EXP-08", "drive-letter path",
         "Paths must not start with a drive letter such as C:."),
    Rule("REX-X104", _E, "safety", "EXP-08", "backslash in path",
         "Use '/' as the only separator."),
    Rule("REX-X105", _E, "safety", "EXP-09", "link",
         "Symbolic and hard links are refused; store the file itself."),
    Rule("REX-X106", _E, "safety", "EXP-09", "special file",
         "Device files, FIFOs and sockets are refused."),
    Rule("REX-X107", _E, "safety", "EXP-10", "duplicate archive member",
         "Each path may appear once in an archive."),
    Rule("REX-X108", _E, "safety", "EXP-10", "case-fold twin",
         "Two paths differ only by case; rename one (they collide on common file systems)."),
    Rule("REX-X109", _E, "safety", "EXP-10", "normalisation twin",
         "Two paths are equal after Unicode normalisation; rename one."),
    Rule("REX-X110", _E, "safety", "EXP-08", "control character in path",
         "Remove NUL and control characters from the path."),
    Rule("REX-X111", _E, "safety", "EXP-08", "reserved name",
         "Windows reserved names (CON, NUL, COM1, ...) and trailing dots or spaces are refused."),
    Rule("REX-X112", _E, "safety", "EXP-11", "data after archive end",
         "The archive has bytes after its end; rebuild it."),
    Rule("REX-X113", _E, "safety", "EXP-04", "too many entries",
         "The export exceeds the entry cap; raise --max-files if it is trusted."),
    Rule("REX-X114", _E, "safety", "EXP-04", "too large",
         "The export exceeds the size cap; raise --max-bytes if it is trusted."),
    Rule("REX-X115", _E, "safety", "EXP-04", "compression ratio too high",
         "A member expands far beyond its compressed size (a possible archive bomb)."),
    Rule("REX-X116", _E, "safety", "EXP-08", "non-canonical path",
         "Remove empty and '.' segments and trailing slashes."),
    Rule("REX-X117", _E, "safety", "EXP-08", "path not NFC",
         "Normalise the path to Unicode NFC."),
    Rule("REX-X118", _E, "safety", "EXP-11", "corrupt archive",
         "The archive is truncated or malformed; rebuild it."),
    Rule("REX-X119", _E, "safety", "EXP-04", "path too long",
         "Paths are capped in length and depth (spec EXP-04)."),
    Rule("REX-X120", _E, "safety", "EXP-14", "pax global header changes members",
         "Remove the path, linkpath, size, hdrcharset or sparse records of the global (type g) "
         "pax header; extractors apply them to every member after it."),
    # secrets
    Rule("REX-K101", _E, "secrets", "SEC-01", "credential in manifest",
         "Remove the credential, rotate it, and record a redaction marker instead."),
    Rule("REX-K102", _E, "secrets", "SEC-02", "credential in embedded file",
         "Remove the credential from the file, rotate it, and re-pack."),
    Rule("REX-K103", _W, "secrets", "SEC-03", "secret-named value",
         "A value under a secret-looking name (password, token, ...) is not redacted."),
    Rule("REX-K104", _E, "secrets", "SEC-07", "redaction in a verified member",
         "Digests, sizes, paths, versions, identifiers and enumerated values are never "
         "redacted: restore the value (spec SEC-07 lists where a redaction may stand)."),
    # bag: a BagIt bag around an export, an input beyond the spec's (VAL-09)
    Rule("REX-B101", _E, "bag", "VAL-09", "bag declaration invalid",
         "bagit.txt must declare BagIt-Version 0.97 or 1.0 and UTF-8, and a payload "
         "manifest must exist."),
    Rule("REX-B102", _E, "bag", "VAL-09", "bag manifest line unusable",
         "Each manifest line is a checksum and a safe path (data/... for the payload), once."),
    Rule("REX-B103", _E, "bag", "VAL-09", "bag file missing",
         "A file a bag manifest lists is not in the bag: restore it or remake the bag."),
    Rule("REX-B104", _E, "bag", "VAL-09", "payload file not in a bag manifest",
         "Every file under data/ must be listed in every payload manifest; remake the bag."),
    Rule("REX-B105", _E, "bag", "VAL-09", "bag checksum mismatch",
         "The file differs from its bag manifest checksum: it was changed or corrupted."),
    Rule("REX-B106", _E, "bag", "VAL-09", "Payload-Oxum mismatch",
         "bag-info.txt's Payload-Oxum must give the payload's octets and file count."),
    # remote: an export behind a URL, referenced objects checked on request, hashing spread
    # over workers (VAL-12, VAL-13)
    Rule("REX-U105", _E, "remote", "VAL-12", "TLS failure",
         "The server's certificate is not trusted: point SSL_CERT_FILE or AWS_CA_BUNDLE at "
         "its authority, or check the address."),
    Rule("REX-U106", _E, "remote", "VAL-12", "credentials missing or refused",
         "Give credentials the provider's usual way (environment, profile) or as "
         "--storage-option; anon=true reads a public bucket."),
    Rule("REX-U107", _E, "remote", "VAL-12", "executor unavailable",
         "The --executor named cannot be reached or has no workers; start it, or use local."),
    Rule("REX-U108", _E, "remote", "VAL-12", "remote access not installed",
         "Install the extra the message names (pip install 'rexport[s3]', 'rexport[remote]')."),
    Rule("REX-I105", _E, "remote", "VAL-13", "referenced object unreachable",
         "The URI of a reference names nothing that can be read: fix the URI or the access."),
    Rule("REX-I106", _E, "remote", "VAL-13", "referenced object differs",
         "The object's size or digest differs from its reference: it changed, or the "
         "reference is wrong."),
    Rule("REX-I107", _W, "remote", "VAL-13", "referenced object unverified",
         "No evidence at the level asked (an ETag or a CRC is none): use --verify-remote=full, "
         "or store the object with a SHA-256 checksum."),
    Rule("REX-I108", _I, "remote", "VAL-12", "file verified by its parts",
         "The file's sha256-parts were verified in parallel; its whole-file digests were not "
         "recomputed."),
)

# Families of codes that the reference validator reports on inputs beyond those of the spec
# (VAL-09) and in checks its user asks for beyond the spec's (VAL-12, VAL-13): no other
# validator owes them, so the conformance suite holds no case for them.
EXTENSION_FAMILIES = frozenset({"bag", "remote"})

CATALOGUE: dict[str, Rule] = {rule.code: rule for rule in _RULES}


# Whether findings of a code are reported (--select/--ignore): selection.code_filter.
CodeFilter = Callable[[str], bool]


def rule(code: str) -> Rule:
    """Return the catalogue entry for ``code``; raise KeyError for an unknown code."""
    return CATALOGUE[code]


@dataclass(frozen=True)
class Finding:
    """One problem found: a catalogue code, where it is (file + JSON pointer) and what to do."""

    code: str
    message: str
    file: str = MANIFEST
    pointer: str = ""
    severity: Severity = field(default=Severity.ERROR)
    hint: str = ""
    schema_pointer: str | None = None
    line: int | None = None
    column: int | None = None
    # where the member ends, when the validation layer placed the pointer in the file's text
    end_line: int | None = None
    end_column: int | None = None

    @classmethod
    def of(cls, code: str, message: str, *, file: str = MANIFEST, pointer: str = "",
           **extra: Any) -> Finding:
        """Build a finding whose severity and hint come from the catalogue."""
        entry = CATALOGUE[code]
        return cls(code=code, message=message, file=file, pointer=pointer,
                   severity=entry.severity, hint=extra.pop("hint", entry.hint), **extra)

    @property
    def section(self) -> str:
        return CATALOGUE[self.code].section

    def to_json(self) -> dict[str, Any]:
        """The finding as the JSON report object (schemas/v1/report.schema.json)."""
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "file": self.file,
            "pointer": self.pointer,
            "message": self.message,
            "hint": self.hint,
            "section": self.section,
        }
        if self.schema_pointer is not None:
            out["schema_pointer"] = self.schema_pointer
        if self.line is not None:
            out["line"] = self.line
        if self.column is not None:
            out["column"] = self.column
        if self.end_line is not None:
            out["end_line"] = self.end_line
        if self.end_column is not None:
            out["end_column"] = self.end_column
        return out


def escape_pointer_token(token: str | int) -> str:
    """Escape one RFC 6901 reference token."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    """Build an RFC 6901 JSON pointer: pointer("files", 3, "size") == "/files/3/size"."""
    return "".join("/" + escape_pointer_token(t) for t in tokens)
