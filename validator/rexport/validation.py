"""Validate one export: open it, run every check family over it, and return the Report."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from rexport import parsing
from rexport.checks import integrity, redactions, references, safety, schema, secrets, version
from rexport.checks.completeness import Tracker, manifest_missing, payload_skipped
from rexport.collector import collector_frozen, collector_paused
from rexport.findings import CATALOGUE, CodeFilter, Finding, Severity
from rexport.forked import Forked
from rexport.jobs import WHOLE_MAX, JobRunner, default_jobs
from rexport.json_values import IndexColumns, index_columns
from rexport.limits import MAX_BYTES, MAX_FILES
from rexport.paths import MANIFEST, display
from rexport.payload_pass import PayloadPass
from rexport.report import Report
from rexport.selection import code_filter, skipped_families
from rexport.sources import InputError, Source, open_source

# Within one file: errors before warnings, and among equals the finding that explains the
# others first (an unreadable input explains everything; a schema error rarely explains a
# digest mismatch, while a tampered file often explains a schema-valid but odd manifest).
_FAMILY_RANK = {"input": 0, "parse": 1, "version": 2, "safety": 3, "completeness": 4,
                "integrity": 5, "schema": 6, "references": 7, "secrets": 8}
_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
_CAP_EXCEEDED = frozenset({"REX-X113", "REX-X114"})
# Worker processes pay for themselves from a few hundred files; a manifest indexes a file in
# about 150 bytes, and a smaller export is read in this process, sparing a fork per export
# when pre-commit hands over many small ones.
FORK_MIN = 32 << 10
# From this many index entries, when no worker reads ahead, the whole index's path rules,
# credential patterns and the export digest are run by a forked helper beside the schema and
# references checks (measured: 100,000 entries take some 130 ms of it; the fork some 10 ms).
ASIDE_MIN = 10_000
# A rex.json larger than this is let go once parsed, and read again only if a finding names
# it: held, its bytes would add to the peak of every check that follows.
KEEP_MAX = 1 << 20

# Checks the objects a manifest's references name, on request (rexport.remote.verifier, VAL-13):
# its findings, and one record per reference for the report's ``references``.
ReferenceCheck = Callable[[Mapping[str, Any]], tuple[list[Finding], list[dict[str, Any]]]]


class ManifestCheck(NamedTuple):
    """What the manifest-level checks gave.

    ``manifest`` is None when unusable; ``payload_checkable`` is False when the payload cannot
    be judged against it (unparsable, unknown major); ``export_digest`` is the recomputed digest.
    """

    manifest: dict[str, Any] | None
    findings: list[Finding]
    payload_checkable: bool
    export_digest: str | None = None
    columns: IndexColumns | None = None  # the file index as columns, when of that shape


class _Texts:
    """The JSON and YAML files read, to place the findings that name them (lines, columns)
    once every check is done; a large rex.json is read again for it (KEEP_MAX)."""

    def __init__(self) -> None:
        self.documents: dict[str, bytes] = {}
        self.well_formed: set[str] = set()  # parsed without a finding (positions.locate)
        self.size: int | None = None  # of the rex.json that was let go
        self.whole: parsing.Span | None = None  # its span, when well-formed

    def keep_manifest(self, data: bytes, *, well_formed: bool) -> None:
        """Keep the bytes of a rex.json that parsed, or their size when they are many (and
        the place of the whole, which a bare manifest's REX-C106 names, found at once)."""
        if len(data) <= KEEP_MAX:
            self.documents[MANIFEST] = data
        else:
            self.size = len(data)
            self.whole = parsing.root_span(data) if well_formed else None
        if well_formed:
            self.well_formed.add(MANIFEST)

    def read_again(self, source: Source, found: list[Finding]) -> None:
        """Read the rex.json that was let go again, if a finding names a member of it; a
        text changed meanwhile (another size) gives no positions."""
        if self.size is None or not any(f.file == MANIFEST and (f.pointer or self.whole is None)
                                        for f in found):
            return
        try:
            data = source.manifest_bytes()
        except (InputError, OSError):
            return
        if data is not None and len(data) == self.size:
            self.documents[MANIFEST] = data

    def place(self, findings: list[Finding]) -> list[Finding]:
        whole = self.whole
        if whole is not None and MANIFEST not in self.documents:
            findings = [parsing.placed(f, whole) if f.file == MANIFEST and not f.pointer
                        and f.line is None else f for f in findings]
        return parsing.place_findings(findings, self.documents, well_formed=self.well_formed)


def validate(path: str | os.PathLike[str], *, strict: bool = False, select: Iterable[str] = (),
             ignore: Iterable[str] = (), jobs: int | None = None, max_files: int = MAX_FILES,
             max_bytes: int = MAX_BYTES, progress: bool = False,
             storage_options: Mapping[str, Any] | None = None,
             references: ReferenceCheck | None = None,
             executor: JobRunner | None = None) -> Report:
    """Validate the export at ``path`` (directory, .tar, .tar.gz/.tgz, .zip or bare rex.json,
    or a URL naming one of them: ``s3://``, ``https://``, ... read through fsspec, VAL-12).

    ``select``/``ignore`` take finding codes, code prefixes (``REX-I10``) or family names
    (``integrity``); ``jobs`` workers hash files in parallel where the container allows
    (None: jobs.default_jobs(), the processors this process may use; above 1, a directory's
    small files are read by child processes, on Linux);
    ``max_files``/``max_bytes`` cap the export; ``progress`` allows a bar on a terminal;
    ``storage_options`` go to fsspec for URLs; ``references`` checks the objects that
    references name (VAL-13); ``executor`` hashes files on other processes (VAL-12).
    ``rexport.validate`` builds the last two from a level and a spec.
    Returns the Report; raises ValueError only for a select/ignore value naming no code.
    """
    reported = code_filter(select, ignore)
    report = Report(path=os.fsdecode(path), strict=strict, skipped=skipped_families(reported))
    texts = _Texts()
    try:
        found = _validated(path, report, texts, strict=strict, reported=reported,
                           jobs=default_jobs() if jobs is None else max(1, jobs),
                           max_files=max_files, max_bytes=max_bytes, progress=progress,
                           storage_options=storage_options or {}, references=references,
                           executor=executor)
    except Exception as exc:  # a bug met on one input is that input's finding, never a crash
        found = [internal_error(exc, report.path)]
    # lines and columns for the pointers that findings name, found only now that some do
    report.findings = texts.place(order(f for f in found if reported(f.code)))
    return report


def _validated(path: str | os.PathLike[str], report: Report, texts: _Texts, *,
               strict: bool, reported: CodeFilter, jobs: int, max_files: int, max_bytes: int,
               progress: bool, storage_options: Mapping[str, Any],
               references: ReferenceCheck | None, executor: JobRunner | None) -> list[Finding]:
    try:
        source = open_source(path, max_files=max_files, max_bytes=max_bytes,
                             storage_options=storage_options)
        with source:
            report.container = source.container
            found = _check_source(source, report, texts, strict=strict, reported=reported,
                                  jobs=jobs, progress=progress, references=references,
                                  executor=executor)
            texts.read_again(source, found)  # the manifest's objects are gone by now
            return found
    except InputError as exc:  # the input, or a remote reader met on the way (VAL-12)
        return [_input_finding(exc, report.path)]


def internal_error(exc: BaseException, path: str) -> Finding:
    """The REX-U104 finding for an exception that escaped the checks of the input ``path``."""
    return Finding.of("REX-U104", f"internal error: {type(exc).__name__}: "
                      f"{display(str(exc), 300)}", file=path)


def _input_finding(exc: InputError, path: str) -> Finding:
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or str(exc)
    if not isinstance(code, str) or code not in CATALOGUE:
        code = "REX-U103"
    return Finding.of(code, str(message), file=path)


def check_manifest(data: bytes, *, strict: bool = False) -> ManifestCheck:
    """Run every manifest-level check on the bytes of a rex.json; see ManifestCheck."""
    with collector_paused():
        manifest, found = parsing.load_json(data)
    return _checked(manifest, found, strict=strict)


def _checked(manifest: Any, found: list[Finding], *, strict: bool, spare: bool = False
             ) -> ManifestCheck:
    """check_manifest once the bytes are parsed: ``manifest`` (None when unusable) and the
    parse's findings; ``spare``: a processor is free for a forked helper."""
    if not isinstance(manifest, dict):
        if manifest is not None and not any(f.code == "REX-P108" for f in found):
            found.append(Finding.of("REX-P108", "the top level of rex.json is not an object"))
        return ManifestCheck(None, found, payload_checkable=False)
    with collector_frozen():
        return _check_parsed(manifest, found, strict=strict, spare=spare)


def _aside(manifest: dict[str, Any], index: IndexColumns
           ) -> tuple[bool, bool, tuple[str | None, list[Finding]]]:
    """What a forked helper finds beside the schema and references checks: whether the
    index's paths are clean for the path rules (safety.paths_clean) and its strings hold no
    credential (secrets.index_text), and the export digest with its finding.

    It only reads the manifest, but for the reference counts of the entries that the digest
    takes a slice at a time: few of its pages are copied, in the helper or in this process.
    """
    return (safety.paths_clean(index.paths), secrets.text_clean(secrets.index_text(index)),
            integrity.check_export_digest(manifest, index=index))


def _check_parsed(manifest: dict[str, Any], found: list[Finding], *, strict: bool,
                  spare: bool) -> ManifestCheck:
    checked = version.check(manifest)
    found.extend(checked)
    if any(f.code == "REX-V102" for f in checked):
        # the rest of the rules belong to another major version
        return ManifestCheck(manifest, found, payload_checkable=False)
    # the file index read once, column by column, for every check that reads all of it
    index = index_columns(manifest.get("files"))
    aside = None
    if spare and index is not None and len(index.paths) >= ASIDE_MIN:
        # the path rules, the credential patterns and the digest over the whole index,
        # beside the rest
        aside = Forked.start(functools.partial(_aside, manifest, index))
    try:
        found.extend(schema.check(manifest, strict=strict, index_closed=index is not None))
        found.extend(references.check(manifest, index=index))
        found.extend(redactions.unmatched(manifest, index=index))
        paths_clean, text_clean, digested = \
            (aside.result() if aside is not None else None) or (None, None, None)
    finally:
        if aside is not None:
            aside.close()
    digest, mismatch = digested or integrity.check_export_digest(manifest, index=index)
    found.extend(secrets.scan_manifest(manifest, index=index, index_clean=text_clean))
    found.extend(safety.check_manifest_paths(manifest, index=index, clean=paths_clean))
    found.extend(safety.check_member_paths(manifest))
    found.extend(mismatch)
    return ManifestCheck(manifest, found, payload_checkable=True, export_digest=digest,
                         columns=index)


def _check_source(source: Source, report: Report, texts: _Texts, *,
                  strict: bool, reported: CodeFilter, jobs: int, progress: bool,
                  references: ReferenceCheck | None = None, executor: JobRunner | None = None
                  ) -> list[Finding]:
    """The findings on ``source``; ``texts`` gets the JSON and YAML files that were read."""
    data = source.manifest_bytes()
    if data is None:
        found = [manifest_missing()]
        _drain(source)
        return found + source.findings
    read_ahead = getattr(source, "read_ahead", None)  # a directory's (DirectorySource)
    workers = 1  # processes reading ahead: while none does, a processor is free
    if read_ahead is not None and executor is None and reported("REX-I102"):
        # started first: worker processes read small files while this one checks the manifest
        # (an executor, asked for, reads every file itself)
        workers = jobs if len(data) >= FORK_MIN else 1
        read_ahead(WHOLE_MAX, workers=workers)
    with collector_paused():
        parsed, found = parsing.load_json(data)
    if isinstance(parsed, dict):
        # placed later, only if findings name its members; text that did not parse (or was
        # refused for its size) is never read again
        texts.keep_manifest(data, well_formed=not found)
    del data
    checked = _checked(parsed, found, strict=strict, spare=jobs > 1 and workers == 1)
    manifest, found = checked.manifest, checked.findings
    if manifest is not None:
        version_value = manifest.get("rex_version")
        report.rex_version = version_value if isinstance(version_value, str) else None
        report.export_digest = checked.export_digest
    if not checked.payload_checkable:
        # the payload cannot be judged, but a hostile container is still reported as such
        _drain(source)
        return found + source.findings
    assert manifest is not None
    if references is not None:
        checked_references, report.references = references(manifest)
        found.extend(checked_references)
    if source.container == "manifest":
        return [*found, payload_skipped(), *source.findings]
    columns = checked.columns
    with collector_paused():
        tracker = Tracker.from_manifest(manifest, columns=columns)
    if columns is None:  # else every entry records SHA-256: none is weak
        found.extend(f for entry in tracker.index.values() for f in integrity.check_weak(entry))
    payload = PayloadPass(manifest, tracker, source, jobs=jobs, reported=reported,
                          progress=progress, columns=columns, executor=executor)
    with collector_frozen():
        found.extend(payload.run(source))
    report.files_checked, report.bytes_checked = payload.files, payload.bytes
    texts.documents.update(payload.captured)
    excused = frozenset(_refused_positions(found))
    # a cap stopped the walk: members past it were never seen, not missing
    capped = any(f.code in _CAP_EXCEEDED for f in source.findings)
    found.extend(tracker.finish(excused=excused, missing=not capped))
    return found + source.findings


def _drain(source: Source) -> None:
    """Walk every member so that the source reports its container problems."""
    for _ in source.entries():
        pass


def _refused_positions(found: Iterable[Finding]) -> Iterable[int]:
    """Positions N of files[] whose path the safety check refused (pointer /files/N/path)."""
    for f in found:
        if f.file == MANIFEST and f.code.startswith("REX-X") and f.pointer.startswith("/files/"):
            head = f.pointer.split("/")[2]
            if head.isdigit():
                yield int(head)


def order(findings: Iterable[Finding]) -> list[Finding]:
    """Deduplicate; group by file (rex.json first), then errors first, then by family.

    The sort is stable, so within a family the order the check gave (the schema check's
    best-first order, the payload's index order) is kept.
    """
    unique = list(dict.fromkeys(findings))
    return sorted(unique, key=lambda f: (
        f.file != MANIFEST, f.file, _SEVERITY_RANK[f.severity],
        _FAMILY_RANK.get(CATALOGUE[f.code].family, len(_FAMILY_RANK))))

