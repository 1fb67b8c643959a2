"""Validate one export: open it, run every check family over it, and return the Report."""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from rexport import parsing
from rexport.checks import integrity, redactions, references, safety, schema, secrets, version
from rexport.checks.completeness import Tracker, manifest_missing, payload_skipped
from rexport.findings import CATALOGUE, EXTENSION_FAMILIES, CodeFilter, Finding, Severity
from rexport.jobs import JobRunner
from rexport.limits import MAX_BYTES, MAX_FILES
from rexport.paths import MANIFEST, display
from rexport.payload_pass import INLINE_MAX, PayloadPass
from rexport.report import Report
from rexport.sources import InputError, Source, open_source

# Within one file: errors before warnings, and among equals the finding that explains the
# others first (an unreadable input explains everything; a schema error rarely explains a
# digest mismatch, while a tampered file often explains a schema-valid but odd manifest).
_FAMILY_RANK = {"input": 0, "parse": 1, "version": 2, "safety": 3, "completeness": 4,
                "integrity": 5, "schema": 6, "references": 7, "secrets": 8}
_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
_CAP_EXCEEDED = frozenset({"REX-X113", "REX-X114"})

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


def validate(path: str | os.PathLike[str], *, strict: bool = False, select: Iterable[str] = (),
             ignore: Iterable[str] = (), jobs: int = 1, max_files: int = MAX_FILES,
             max_bytes: int = MAX_BYTES, progress: bool = False,
             storage_options: Mapping[str, Any] | None = None,
             references: ReferenceCheck | None = None,
             executor: JobRunner | None = None) -> Report:
    """Validate the export at ``path`` (directory, .tar, .tar.gz/.tgz, .zip or bare rex.json,
    or a URL naming one of them: ``s3://``, ``https://``, ... read through fsspec, VAL-12).

    ``select``/``ignore`` take finding codes, code prefixes (``REX-I10``) or family names
    (``integrity``); ``jobs`` threads hash files in parallel where the container allows
    (above 1, a directory's small files are also read by a child process, on Linux);
    ``max_files``/``max_bytes`` cap the export; ``progress`` allows a bar on a terminal;
    ``storage_options`` go to fsspec for URLs; ``references`` checks the objects that
    references name (VAL-13); ``executor`` hashes files on other processes (VAL-12).
    ``rexport.validate`` builds the last two from a level and a spec.
    Returns the Report; raises ValueError only for a select/ignore value naming no code.
    """
    reported = code_filter(select, ignore)
    report = Report(path=os.fsdecode(path), strict=strict, skipped=skipped_families(reported))
    documents: dict[str, bytes] = {}
    try:
        found = _validated(path, report, documents, strict=strict, reported=reported,
                           jobs=max(1, jobs), max_files=max_files, max_bytes=max_bytes,
                           progress=progress, storage_options=storage_options or {},
                           references=references, executor=executor)
    except Exception as exc:  # a bug met on one input is that input's finding, never a crash
        found = [internal_error(exc, report.path)]
    # lines and columns for the pointers that findings name, found only now that some do
    report.findings = parsing.place_findings(order(f for f in found if reported(f.code)),
                                             documents)
    return report


def _validated(path: str | os.PathLike[str], report: Report, documents: dict[str, bytes], *,
               strict: bool, reported: CodeFilter, jobs: int, max_files: int, max_bytes: int,
               progress: bool, storage_options: Mapping[str, Any],
               references: ReferenceCheck | None, executor: JobRunner | None) -> list[Finding]:
    try:
        source = open_source(path, max_files=max_files, max_bytes=max_bytes,
                             storage_options=storage_options)
        with source:
            report.container = source.container
            return _check_source(source, report, documents, strict=strict, reported=reported,
                                 jobs=jobs, progress=progress, references=references,
                                 executor=executor)
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


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while a manifest (or its index) is built.

    A manifest of 100,000 files is some 200,000 containers, and building them triggers
    dozens of passes of the collector over all built so far; JSON values hold no cycles,
    so nothing waits for it meanwhile.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextlib.contextmanager
def _collector_frozen() -> Iterator[None]:
    """Keep what exists now (the manifest, its index) out of the collector's passes.

    The checks and the payload pass allocate as they go, and each full pass of the
    collector would walk the manifest's containers again. They are frozen (gc.freeze)
    meanwhile and unfrozen after; left alone when the program froze objects of its own,
    which unfreezing would undo.
    """
    if gc.get_freeze_count() or not gc.isenabled():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def check_manifest(data: bytes, *, strict: bool = False) -> ManifestCheck:
    """Run every manifest-level check on the bytes of a rex.json; see ManifestCheck."""
    with _collector_paused():
        manifest, found = parsing.load_json(data)
    if not isinstance(manifest, dict):
        if manifest is not None and not any(f.code == "REX-P108" for f in found):
            found.append(Finding.of("REX-P108", "the top level of rex.json is not an object"))
        return ManifestCheck(None, found, payload_checkable=False)
    with _collector_frozen():
        return _check_parsed(manifest, found, strict=strict)


def _check_parsed(manifest: dict[str, Any], found: list[Finding], *, strict: bool
                  ) -> ManifestCheck:
    checked = version.check(manifest)
    found.extend(checked)
    if any(f.code == "REX-V102" for f in checked):
        # the rest of the rules belong to another major version
        return ManifestCheck(manifest, found, payload_checkable=False)
    found.extend(schema.check(manifest, strict=strict))
    found.extend(references.check(manifest))
    found.extend(redactions.unmatched(manifest))
    found.extend(secrets.scan_manifest(manifest))
    found.extend(safety.check_manifest_paths(manifest))
    found.extend(safety.check_member_paths(manifest))
    digest, mismatch = integrity.check_export_digest(manifest)
    found.extend(mismatch)
    return ManifestCheck(manifest, found, payload_checkable=True, export_digest=digest)


def _check_source(source: Source, report: Report, documents: dict[str, bytes], *,
                  strict: bool, reported: CodeFilter, jobs: int, progress: bool,
                  references: ReferenceCheck | None = None, executor: JobRunner | None = None
                  ) -> list[Finding]:
    """The findings on ``source``; ``documents`` gets the JSON and YAML files that were read."""
    data = source.manifest_bytes()
    if data is None:
        found = [manifest_missing()]
        _drain(source)
        return found + source.findings
    read_ahead = getattr(source, "read_ahead", None)  # a directory's (DirectorySource)
    if read_ahead is not None and jobs > 1 and reported("REX-I102"):
        # started first: a child process reads small files while this one checks the manifest
        read_ahead(INLINE_MAX)
    checked = check_manifest(data, strict=strict)
    manifest, found = checked.manifest, checked.findings
    if manifest is not None:
        # placed later, only if findings name its members; text that did not parse (or was
        # refused for its size) is never read again
        documents[MANIFEST] = data
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
    with _collector_paused():
        tracker = Tracker.from_manifest(manifest)
    found.extend(f for entry in tracker.index.values() for f in integrity.check_weak(entry))
    payload = PayloadPass(manifest, tracker, source, jobs=jobs, reported=reported,
                          progress=progress, executor=executor)
    with _collector_frozen():
        found.extend(payload.run(source.entries()))
    report.files_checked, report.bytes_checked = payload.files, payload.bytes
    documents.update(payload.captured)
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


def code_filter(select: Iterable[str], ignore: Iterable[str]) -> CodeFilter:
    """Return reported(code) for --select/--ignore values; raise ValueError for one naming no
    code.

    REX-U findings (the input could not be read) are always kept: hiding them would turn
    an unreadable input into a valid one.
    """
    chosen, dropped = _prefixes(select), _prefixes(ignore)

    def reported(code: str) -> bool:
        if code.startswith("REX-U"):
            return True
        if chosen and not code.startswith(chosen):
            return False
        return not (dropped and code.startswith(dropped))

    return reported


def skipped_families(reported: CodeFilter) -> tuple[str, ...]:
    """The check families of the spec that ``reported`` leaves out, wholly or in part."""
    return tuple(sorted({rule.family for rule in CATALOGUE.values()
                         if rule.family not in EXTENSION_FAMILIES and not reported(rule.code)}))


def _prefixes(values: Iterable[str]) -> tuple[str, ...]:
    families: dict[str, list[str]] = {}
    for rule in CATALOGUE.values():
        families.setdefault(rule.family, []).append(rule.code)
    out: list[str] = []
    for raw in values:
        value = raw.strip()
        if value.lower() in families:
            out.extend(families[value.lower()])
            continue
        prefix = value.upper()
        if not prefix.startswith("REX"):
            prefix = "REX-" + prefix
        if not any(code.startswith(prefix) for code in CATALOGUE):
            raise ValueError(f"{raw!r} names no finding code or family")
        out.append(prefix)
    return tuple(out)


def order(findings: Iterable[Finding]) -> list[Finding]:
    """Deduplicate; group by file (rex.json first), then errors first, then by family.

    The sort is stable, so within a family the order the check gave (the schema check's
    best-first order, the payload's index order) is kept.
    """
    unique = list(dict.fromkeys(findings))
    return sorted(unique, key=lambda f: (
        f.file != MANIFEST, f.file, _SEVERITY_RANK[f.severity],
        _FAMILY_RANK.get(CATALOGUE[f.code].family, len(_FAMILY_RANK))))

