"""Other readings of the sentences the spec clarified, as changes to a validator's report.

A validator that takes a reading the spec no longer allows is the reference validator with its
report changed the way that reading changes it: findings dropped, moved or added, judged from the
case's export where the reading depends on it. The conformance case made for the clarification
must catch each (tests/conformance/test_conformance_wrong_validators.py).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

import yaml
from rexport.conformance.suite import Case
from rexport.validation import check_manifest

from conformance import ratios
from conformance.case_contents import (
    bare_manifest_of,
    big_integer,
    end_blocks,
    extended_headers,
    hyperparameter_names,
    manifest_of,
    member_names,
    size_at,
    steps,
    tree,
    value_at,
)
from conformance.report_changes import (
    Finding,
    Report,
    added,
    also,
    cleared_where,
    container_named,
    credentials_where,
    finding,
    findings,
    in_manifest,
    judged_by,
    members_judged,
    moved,
    stop_after,
)


def _parent_of_ref(finding: Finding) -> Finding:
    if finding["code"] == "REX-R107" and finding["pointer"].endswith("/$ref"):
        finding["pointer"] = finding["pointer"].rsplit("/", 1)[0]
    return finding


def _seeds_unknown(case: Case, report: Report) -> Report:
    manifest = manifest_of(case)
    seeds = manifest.get("config", {}).get("seeds", {}) if isinstance(manifest, dict) else {}
    if not case.strict or not isinstance(seeds, dict):
        return report
    return added(report, [finding("REX-S102", f"/config/seeds/{name}", severity="warning")
                          for name in seeds if not name.startswith("x-")])


def _i104_at_the_integer(case: Case, report: Report) -> Report:
    where = big_integer(manifest_of(case))
    if where is None:
        return report
    return moved(report, lambda f: {**f, "pointer": where} if f["code"] == "REX-I104" else f)


def _manifest_not_counted(case: Case, report: Report) -> Report:
    if not case.args:  # the default caps are far from every case
        return report
    limits = dict(zip(case.args[::2], map(int, case.args[1::2]), strict=True))
    payload = [(name, size) for name, size in tree(case) if name != "rex.json"]
    within = {"REX-X113": len(payload) <= limits.get("--max-files", 200_000),
              "REX-X114": sum(s for _, s in payload) <= limits.get("--max-bytes", 2**40)}
    return findings(report, lambda f: not within.get(f["code"], False))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return 0.0
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return [_finite(v) for v in value] if isinstance(value, list) else value


def _go_on_after_nan(case: Case, report: Report) -> Report:
    """A reading in which a non-finite number is read as some number and the checks go on."""
    path = case.input_path / "rex.json"
    if not path.is_file() or not any(in_manifest(f, "REX-P105") for f in report["findings"]):
        return report
    manifest = _finite(json.loads(path.read_bytes()))  # Python reads NaN and 1e400
    return added(report, [finding(f.code, f.pointer, f.file, f.severity.value)
                          for f in check_manifest(json.dumps(manifest).encode()).findings])


def _go_on_after_bad_text(case: Case, report: Report) -> Report:
    """A reading in which text that is not UTF-8, or an escaped lone surrogate, is read as
    U+FFFD and the checks go on."""
    path = case.input_path / "rex.json"
    if not path.is_file() or not any(in_manifest(f, "REX-P103") for f in report["findings"]):
        return report
    text = re.sub(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}", r"\\ufffd",
                  path.read_bytes().decode("utf-8", "replace"))
    return added(report, [finding(f.code, f.pointer, f.file, f.severity.value)
                          for f in check_manifest(text.encode()).findings])


def _raw_name(case: Case, report: Report) -> Report:
    """A reading in which ``file`` is the member's name as it is: a control character as
    itself, a byte that is not UTF-8 as U+FFFD, a long name whole."""
    def raw(finding: Finding) -> Finding:
        written = finding["file"]
        for name in member_names(case):
            cut = written.endswith("\u2026") and name.startswith(written[:-1])
            if cut or written == _escaped(name) != name:
                return {**finding, "file": name.encode("utf-8", "surrogateescape")
                        .decode("utf-8", "replace")}
        return finding
    return moved(report, raw)


def _escaped(name: str) -> str:
    """``name`` as VAL-06 writes a file, for names of at most 200 characters."""
    return "".join(f"\\x{ord(c) - 0xDC00 if 0xDC80 <= ord(c) <= 0xDCFF else ord(c):02x}"
                   if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or 0xDC80 <= ord(c) <= 0xDCFF
                   else c for c in name)


def _no_document_is_fine(case: Case, report: Report) -> Report:
    """A reading in which a YAML file with no document is an empty configuration."""
    def documentless(finding: Finding) -> bool:
        path = case.input_path / finding["file"]
        if finding["code"] != "REX-P201" or not path.is_file():
            return False
        events = yaml.parse(path.read_text(encoding="utf-8"))
        return not any(isinstance(e, yaml.DocumentStartEvent) for e in events)
    return findings(report, lambda f: not documentless(f))


def _end_marker_optional(case: Case, report: Report) -> Report:
    """A reading in which a tar may end after its last member, with the marker or without."""
    if end_blocks(case) != 0:
        return report
    return findings(report, lambda f: f["code"] != "REX-X118")


def _end_marker_whole(case: Case, report: Report) -> Report:
    """A reading in which a tar must end with both zero blocks of its end-of-archive marker."""
    if end_blocks(case) != 1:
        return report
    return added(report, [finding("REX-X118", "", case.input_path.name)])


_URL_PASSWORD = re.compile(r"://[^\s:/@]+:([^\s/@]+)@")
_AWS = r"A(?:KIA|SIA|BIA|CCA)[A-Z0-9]{16}"
# the tokenizer words SEC-06 named before its list was closed, which ended "and the like"
_OLD_TOKENIZER_WORDS = {"pad", "eos", "bos", "unk", "sep", "cls", "mask", "max", "min", "num",
                        "special"}


def _old_placeholders_only(text: str) -> bool:
    """A URL password is a placeholder only if the old examples said so."""
    return any(not (p.startswith(("${", "<")) or p in ("xxxx", "changeme"))
               for p in _URL_PASSWORD.findall(text))


def _tokenizer_list_open(case: Case, report: Report) -> Report:
    """SEC-06's "and the like": any word before token may name a tokenizer setting."""
    return findings(report, lambda f: not (f["code"] == "REX-K103"
                                           and f["pointer"].endswith("_token")))


def _tokenizer_list_old(case: Case, report: Report) -> Report:
    """Only the words SEC-06 named before keep a name ending in token from looking secret."""
    manifest = manifest_of(case)
    hyper = manifest.get("config", {}).get("hyperparameters", {}) \
        if isinstance(manifest, dict) else {}
    if not isinstance(hyper, dict):
        return report
    return added(report, [finding("REX-K103", f"/config/hyperparameters/{name}",
                                   severity="warning")
                          for name in hyper if name.endswith("_token")
                          and name[:-len("_token")] not in _OLD_TOKENIZER_WORDS])


_CONTAINER_CASES = {"invalid-archives-gzip-bad-crc", "invalid-archives-tar-bad-checksum",
                    "invalid-limits-too-many-entries-directory", "invalid-limits-too-large",
                    "invalid-archives-tar-trailing-data"}


def _dot_segment(path: str) -> bool:
    return any(t in (".", "..") for t in path.split("/"))


def _over_entry_cap(case: Case, report: Report) -> Report:
    """A reading in which a tar's extended headers are entries of their own."""
    if not case.args or not extended_headers(case):
        return report
    return added(report, [finding("REX-X113", "", case.input_path.name)])


READINGS: dict[str, tuple[Callable[[Case, Report], Report], set[str]]] = {
    # CFG-05: an unknown $schema read as 2020-12 instead of refused
    "dialect read as 2020-12": (
        lambda c, r: findings(r, lambda f: not (f["code"] == "REX-R107"
                                                 and f["pointer"] == "/$schema")),
        {"invalid-config-schema-draft-03", "invalid-config-schema-unknown-draft"}),
    # CFG-05: a remote $ref reported at the schema object that holds it
    "remote $ref at its object": (
        lambda c, r: moved(r, _parent_of_ref), {"invalid-config-schema-remote-ref-nested"}),
    # VER-04: only the objects the old list named are free-form; seed names are unknown members
    "seeds not free-form": (_seeds_unknown, {"valid-versioning-seed-names-strict"}),
    # DIG-04: a manifest without a canonical form reported at the integer, not the digest
    "no canonical form at the integer": (
        _i104_at_the_integer,
        {"invalid-parse-integer-too-large", "invalid-parse-integer-too-small"}),
    # EXP-03: every parse finding at the empty pointer of rex.json
    "parse findings at the empty pointer": (
        lambda c, r: moved(r, lambda f: {**f, "pointer": ""} if in_manifest(
            f, "REX-P103", "REX-P104", "REX-P105") else f),
        {"invalid-parse-duplicate-key", "invalid-parse-nan", "invalid-parse-lone-surrogate"}),
    # EXP-03, VAL-01: a repeated member or a byte order mark stops the checks of the manifest
    "checks stop after a repeated member": (
        stop_after(("REX-P104",)), {"invalid-parse-duplicate-key-last-value"}),
    "checks stop after a byte order mark": (
        stop_after(("REX-P102",)), {"invalid-parse-byte-order-mark-checks-go-on"}),
    # EXP-03, VAL-01: a non-finite number read as a number, and the manifest checked on
    "checks go on after NaN": (_go_on_after_nan, {"invalid-parse-nan-stops-checks"}),
    # EXP-03, VAL-01: bytes that are not UTF-8 read as U+FFFD, and the manifest checked on
    "checks go on after invalid UTF-8": (
        _go_on_after_bad_text, {"invalid-parse-invalid-utf8", "invalid-parse-lone-surrogate"}),
    # VAL-06: a member's name written in file as it is, unescaped and uncut
    "file names written raw": (
        _raw_name, {"invalid-archives-member-not-utf8", "invalid-archives-member-control-character",
                    "invalid-archives-member-too-long"}),
    # LIN-03: a cycle reported at the step whose edge closes it, the last of the chain
    "a cycle at its last step": (
        lambda c, r: moved(r, lambda f: {**f, "pointer": f"/lineage/steps/{steps(c) - 1}"}
                           if f["code"] == "REX-R101" else f),
        {"invalid-lineage-cycle", "invalid-lineage-cycles-joined"}),
    # CFG-02, VAL-06: a YAML finding's pointer is empty, as for a file that is not JSON
    "YAML findings at the empty pointer": (
        lambda c, r: moved(r, lambda f: {**f, "pointer": ""} if f["code"].startswith("REX-P2")
                            else f),
        {"invalid-config-yaml-finding-pointers"}),
    # CFG-02: an empty YAML file (no document) read as an empty configuration
    "no YAML document is fine": (
        _no_document_is_fine,
        {"invalid-config-yaml-empty", "invalid-config-yaml-comments-only"}),
    # EXP-11: a tar that ends right after its last member is complete
    "tar end marker optional": (_end_marker_optional, {"invalid-archives-tar-no-end-marker"}),
    # EXP-11: a tar that ends after one zero block, half its marker, is truncated
    "tar end marker whole": (_end_marker_whole, {"valid-archives-tar-one-zero-block"}),
    # SEC-05: a password like a placeholder word is a placeholder too
    "placeholders an open list": (
        lambda c, r: cleared_where(c, r, lambda s: any(
            p.lower().startswith(("changeme", "password", "secret", "dummy"))
            for p in _URL_PASSWORD.findall(s))),
        {"invalid-secrets-url-password-not-a-placeholder"}),
    # SEC-05: only the placeholders the old text gave as examples
    "placeholders only the examples": (
        lambda c, r: credentials_where(c, r, _old_placeholders_only),
        {"valid-secrets-url-placeholder-passwords"}),
    # SEC-05: a word ends where a regular expression's \b says, so "_" continues it
    "underscore continues a word": (
        lambda c, r: cleared_where(c, r, lambda s: re.search("_" + _AWS, s) is not None),
        {"invalid-secrets-credential-after-underscore"}),
    # SEC-05: a pattern matches wherever it occurs, inside a longer word too
    "credentials inside words": (
        lambda c, r: credentials_where(c, r, lambda s: re.search(
            "[A-Za-z0-9]" + _AWS, s) is not None),
        {"valid-secrets-credential-inside-a-word"}),
    # SEC-06: the tokenizer words "and the like", an open list
    "tokenizer words an open list": (_tokenizer_list_open,
                                     {"warning-secrets-token-after-another-word"}),
    # SEC-06: only the eleven tokenizer words the old text named
    "tokenizer words the old eleven": (_tokenizer_list_old,
                                       {"valid-secrets-tokenizer-setting-names"}),
    # VAL-06: a container finding about no member has an empty file, or the path as given
    "container findings name no file": (container_named(lambda c: ""), _CONTAINER_CASES),
    "container findings name the path as given": (
        container_named(lambda c: str(c.input_path)), _CONTAINER_CASES),
    # IDX-01: a size beyond 2^53-1 is only the export digest's business, not the schema's
    "no maximum in the schema": (
        lambda c, r: findings(r, lambda f: not (
            f["code"] == "REX-S101" and str(f.get("schema_pointer", "")).endswith("/maximum"))),
        {"invalid-file-index-size-beyond-2-53"}),
    # EXP-05: the readings of the four formats that other libraries take
    "year 0000 is no year": (
        lambda c, r: credentials_where(c, r, lambda s: s.startswith("0000-"), "REX-S101"),
        {"valid-formats-date-time-year-zero"}),
    "a space may separate date and time": (
        lambda c, r: cleared_where(c, r, lambda s: re.fullmatch(
            r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}Z", s) is not None, "REX-S101"),
        {"invalid-formats-date-time-space"}),
    "IPv6 zone identifiers allowed": (
        lambda c, r: cleared_where(c, r, lambda s: re.search(r"\[[^]]*%[^]]*\]", s)
                                    is not None, "REX-S101"),
        {"invalid-formats-email-ipv6-zone", "invalid-formats-uri-ipv6-zone"}),
    "uri is an absolute-URI, without fragment": (
        lambda c, r: credentials_where(c, r, lambda s: re.match(r"[a-z]+://[^ ]*#", s)
                                        is not None, "REX-S101"),
        {"valid-formats-uri-fragment"}),
    "email is anything with an @": (
        lambda c, r: cleared_where(c, r, lambda s: "@" in s and "://" not in s, "REX-S101"),
        {"invalid-formats-email-trailing-dot", "invalid-formats-email-display-name",
         "invalid-formats-email-local-part-65"}),
    # ENV-03: a MUST NOT with no finding code, so nothing reported for it
    "lockfile includes unreported": (
        lambda c, r: findings(r, lambda f: f["code"] != "REX-R111"),
        {"invalid-environment-lockfile-includes-other-files",
         "invalid-environment-lockfile-includes-attached"}),
    # VER-05: no rule at all inside an extension, the credential rules included
    "no credential rules in extensions": (
        lambda c, r: findings(r, lambda f: not (
            f["code"] in {"REX-K101", "REX-K103"}
            and any(t.startswith("x-") for t in f["pointer"].split("/")))),
        {"invalid-secrets-credential-in-extension", "warning-secrets-secret-named-extension"}),
    # EXP-04: rex.json left out of the entry and byte caps, as it is left out of the index
    "manifest not counted by the caps": (
        _manifest_not_counted,
        {"invalid-limits-entries-one-over", "invalid-limits-bytes-one-over",
         "invalid-limits-entries-one-over-directory", "invalid-limits-bytes-one-over-directory"}),
    # VER-01: a missing rex_version is a missing required member too
    "missing version also C104": (
        also("REX-C104", lambda c, f: f["pointer"] if f["code"] == "REX-V101"
              and isinstance(manifest_of(c), dict) and "rex_version" not in manifest_of(c)
              else None),
        {"invalid-versioning-version-missing"}),
    # VER-01: no limit on the digits of a version
    "versions of any length": (
        lambda c, r: moved(r, lambda f: {**f, "code": "REX-V103", "severity": "warning"}
                           if f["code"] == "REX-V101"
                           and re.fullmatch(r"1\.[1-9][0-9]{9,}", str(value_at(c, f["pointer"])))
                           else f),
        {"invalid-versioning-version-minor-ten-digits"}),
    # IDX-05: a negative size is compared with the file's length
    "negative sizes compared": (
        also("REX-I101", lambda c, f: f["pointer"] if f["code"] == "REX-S101"
              and f["pointer"].endswith("/size") and isinstance(size_at(c, f["pointer"]), int)
              and size_at(c, f["pointer"]) < 0 else None),
        {"invalid-file-index-size-negative-not-compared"}),
    # DIG-02: a recorded digest in upper case is compared with the computed one
    "malformed digests compared": (
        also("REX-I102", lambda c, f: f["pointer"] if f["code"] == "REX-S101"
              and "/digests/" in f["pointer"]
              and str(value_at(c, f["pointer"])).isupper() else None),
        {"invalid-digests-upper-case-not-compared"}),
    # LIN-03: each loop through a set of steps is a cycle of its own
    "one finding per loop": (
        also("REX-R101", lambda c, f: "/lineage/steps/1" if f["code"] == "REX-R101"
              and c.name == "cycles-joined" else None),
        {"invalid-lineage-cycles-joined"}),
    # EXP-08: "/" also ends in an empty segment
    "the root slash also non-canonical": (
        also("REX-X116", lambda c, f: f["pointer"] if f["code"] == "REX-X102"
              and value_at(c, f["pointer"]) == "/" else None),
        {"invalid-paths-manifest-root-slash"}),
    # EXP-08, IDX-02: a file whose name breaks a rule is unlisted too
    "bad names also unlisted": (
        lambda c, r: added(r, [finding("REX-C103", "", f["file"]) for f in r["findings"]
                               if f["code"] == "REX-X111" and f["file"] != "rex.json"]),
        {"invalid-paths-unlisted-reserved-name", "invalid-paths-directory-reserved-name"}),
    # EXP-10: the last copy of a repeated member is the file
    "the last duplicate counts": (
        lambda c, r: findings(r, lambda f: f["code"] != "REX-I102")
        if any(f["code"] == "REX-X107" for f in r["findings"]) else r,
        {"invalid-archives-duplicate-member-first-counts"}),
    # EXP-04: pax and GNU extended headers are entries
    "extended headers are entries": (_over_entry_cap,
                                     {"valid-limits-extended-headers-not-entries",
                                      "valid-limits-gnu-long-name-not-an-entry"}),
    # EXP-04: the ratio of a .tar.gz judged over the whole stream, or over each gzip member
    "the stream's ratio": (judged_by(ratios.stream_over),
                           {"invalid-limits-compression-bomb-tar-gz"}),
    "each gzip member's ratio": (
        judged_by(ratios.gzip_member_over),
        {"invalid-limits-compression-bomb-tar-gz", "valid-limits-gzip-member-over-ratio"}),
    # EXP-04: a tar member judged on every prefix past 1 MiB, or on its whole data alone
    "every prefix past 1 MiB": (
        members_judged(lambda whole, prefix: max(whole, prefix) > 1000),
        {"valid-limits-gzip-member-over-ratio"}),
    "the whole member alone": (
        members_judged(lambda whole, prefix: whole > 1000),
        {"invalid-limits-compression-bomb-tar-gz-prefix"}),
    # EXP-10: normalisation twins are case-fold twins as well
    "NFC twins also case-fold twins": (
        lambda c, r: added(r, [{**f, "code": "REX-X108"} for f in r["findings"]
                               if f["code"] == "REX-X109"]),
        {"invalid-paths-manifest-nfc-twins", "invalid-archives-nfc-twins"}),
    # EXP-03, DIG-04: a number with an exponent beyond 2^53 has no canonical form
    "exponents are integers": (
        lambda c, r: added(r, [finding("REX-I104", "/export_digest")])
        if (c.input_path / "rex.json").is_file()
        and re.search(rb"[0-9]e\+?[0-9]", (c.input_path / "rex.json").read_bytes()) else r,
        {"valid-parse-exponent-number-canonical"}),
    # SEC-06: token needs a word before it to look secret; key alone looks secret
    "lone token harmless": (
        lambda c, r: findings(r, lambda f: not (f["code"] == "REX-K103"
                                                and f["pointer"].endswith("/token"))),
        {"warning-secrets-secret-named-lone-token"}),
    "lone key secret": (
        lambda c, r: added(r, [finding("REX-K103", f"/config/hyperparameters/{name}",
                                        severity="warning")
                               for name in hyperparameter_names(c) if name in ("key", "key2")]),
        {"valid-secrets-lone-key-names"}),
    # SEC-06: key looks secret only after a word that names a credential, not after any word
    # that names no data
    "key secret only after credential words": (
        lambda c, r: findings(r, lambda f: not (
            f["code"] == "REX-K103" and re.search(r"(?i)svc[_-]?key", f["pointer"]))),
        {"warning-secrets-secret-named-word-splits"}),
    # EXP-08: "." and ".." end in a dot as well
    "dot segments end in a dot": (
        lambda c, r: added(r, [{**f, "code": "REX-X111"} for f in r["findings"]
                               if f["code"] in ("REX-X101", "REX-X116") and _dot_segment(
                                   str(value_at(c, f["pointer"])) if f["file"] == "rex.json"
                                   else f["file"])]),
        {"invalid-paths-manifest-dot-segment", "invalid-archives-member-traversal"}),
    # IDX-01, VAL-03: a bare manifest that lists rex.json names a file that does not exist
    "listed manifest missing": (
        lambda c, r: added(r, [finding("REX-C102", f"/files/{n}/path")
                               for n, e in enumerate((bare_manifest_of(c) or {}).get("files", []))
                               if isinstance(e, dict) and e.get("path") == "rex.json"]),
        {"valid-file-index-manifest-lists-rex-json"}),
    # SEC-04: the MUSTs on entries and markers had no finding code, so nothing reported
    "entries that name no marker unreported": (
        lambda c, r: findings(r, lambda f: not (f["code"] == "REX-R113"
                                                 and f["pointer"].startswith("/redactions/"))),
        {"invalid-secrets-redaction-entry-without-marker",
         "invalid-secrets-redaction-entry-names-nothing"}),
    "unlisted markers unreported": (
        lambda c, r: findings(r, lambda f: not (f["code"] == "REX-R113"
                                                 and not f["pointer"].startswith("/redactions/"))),
        {"invalid-secrets-marker-without-entry", "invalid-secrets-redaction-pointer-malformed",
         "invalid-config-hyperparameter-marker-unlisted"}),
    # SEC-04: an entry whose pointer the schema refuses names no marker either
    "malformed pointers also unmatched": (
        also("REX-R113", lambda c, f: f["pointer"] if f["code"] == "REX-S101"
              and re.fullmatch(r"/redactions/[0-9]+/pointer", f["pointer"]) else None),
        {"invalid-secrets-redaction-pointer-malformed"}),
    # SEC-04, CFG-05: any marker is exempt from the experiment's schema, listed or not
    "unlisted markers exempt from the experiment's schema": (
        lambda c, r: findings(r, lambda f: not (f["code"] == "REX-R106" and value_at(
            c, f["pointer"]) == "[REDACTED]")),
        {"invalid-config-hyperparameter-marker-unlisted"}),
    # IDX-02: without files the index is empty, so every file is unlisted
    "no index is an empty index": (
        lambda c, r: added(r, [finding("REX-C103", "", name) for name, _ in tree(c)
                               if name != "rex.json" and "." in name.rsplit("/", 1)[-1]])
        if isinstance(manifest_of(c), dict) and "files" not in manifest_of(c) else r,
        {"invalid-export-missing-files"}),
}
