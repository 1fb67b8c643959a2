"""--verify-remote: the objects that references name (datasets, artifacts), checked at the level
asked, each with the evidence used said in the report (spec VAL-13).

``size`` asks for the object's size (HEAD, stat); ``metadata`` asks for the provider's own
checksum as well: S3's ChecksumSHA256 (ChecksumMode=ENABLED; a composite one only against the
reference's sha256-parts) or an HTTP Repr-Digest; a CRC or an ETag is never evidence. ``full``
downloads the object, streamed, and hashes it.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rexport.checks import version
from rexport.digests import PARTS, PartsHasher, composite_sha256, parts_of, well_formed
from rexport.findings import Finding, pointer
from rexport.schema.minors import defines
from rexport.sources.remote_io import (
    RemoteError,
    classify,
    filesystem,
    is_url,
    open_stream,
    protocol,
    run,
)

_CRCS = ("ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA1")


@dataclass
class Reference:
    """One reference to an object outside the export: where it is in the manifest."""

    at: tuple[str | int, ...]  # the reference object's place: ("data", "datasets", 0, ...)
    uri: str
    size: int | None
    digests: dict[str, Any]


def references(manifest: Mapping[str, Any]) -> Iterator[Reference]:
    """Every dataset reference and every artifact by URI of ``manifest``, well formed enough
    to be checked (the schema check reports the others)."""
    judged = version.judged_by(manifest)
    data = manifest.get("data")
    datasets = data.get("datasets") if isinstance(data, dict) else None
    for i, dataset in enumerate(datasets if isinstance(datasets, list) else []):
        ref = dataset.get("reference") if isinstance(dataset, dict) else None
        if isinstance(ref, dict):
            yield from _reference(("data", "datasets", i, "reference"), ref, judged)
    results = manifest.get("results")
    artifacts = results.get("artifacts") if isinstance(results, dict) else None
    for i, artifact in enumerate(artifacts if isinstance(artifacts, list) else []):
        if isinstance(artifact, dict):
            yield from _reference(("results", "artifacts", i), artifact, judged)


def _reference(at: tuple[str | int, ...], raw: dict[str, Any], judged: tuple[int, int]
               ) -> Iterator[Reference]:
    uri, size, digests = raw.get("uri"), raw.get("size"), raw.get("digests")
    if not is_url(uri) or not isinstance(digests, dict):
        return
    parts_at = (*("*" if isinstance(t, int) else t for t in at), "digests", PARTS)
    if not defines(judged, parts_at):  # unknown to the manifest's version (VER-02)
        digests = {name: value for name, value in digests.items() if name != PARTS}
    known = size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None
    yield Reference(at, str(uri), known, digests)


class _Check:
    """The findings and the report record of one reference."""

    def __init__(self, ref: Reference, level: str) -> None:
        self.ref = ref
        self.findings: list[Finding] = []
        self.record: dict[str, Any] = {"pointer": pointer(*ref.at), "uri": ref.uri,
                                       "level": level, "evidence": [], "result": "verified"}

    def evidence(self, what: str) -> None:
        self.record["evidence"].append(what)

    def differs(self, member: str, message: str) -> None:
        self.record["result"] = "differs"
        self.findings.append(Finding.of("REX-I106", f"{self.ref.uri}: {message}",
                                        pointer=pointer(*self.ref.at, *member.split("/"))))

    def unverified(self, message: str) -> None:
        if self.record["result"] == "verified":
            self.record["result"] = "unverified"
        self.findings.append(Finding.of("REX-I107", f"{self.ref.uri}: {message}",
                                        pointer=pointer(*self.ref.at, "digests")))

    def unreachable(self, error: RemoteError) -> None:
        self.record["result"] = "unreachable"
        # a missing object is the export's problem; no TLS, no credentials or no package
        # is the validator's setup, and exits 2 as an unreadable input does
        code = "REX-I105" if error.code in ("REX-U101", "REX-U103") else error.code
        self.findings.append(Finding.of(code, error.message, pointer=pointer(*self.ref.at)))

    def size(self, actual: object) -> None:
        expected = self.ref.size
        if not isinstance(actual, int) or expected is None:
            return
        self.evidence("size")
        if actual != expected:
            self.differs("size", f"the object is {actual} bytes, the reference says {expected}")

    def sha256(self, actual_hex: str, source: str) -> None:
        expected = self.ref.digests.get("sha256")
        if not well_formed("sha256", expected):
            return
        self.evidence(source)
        if str(expected).lower() != actual_hex:
            self.differs("digests/sha256", f"{source} gives sha256 {actual_hex}, the "
                         f"reference says {expected}")


def verify_references(manifest: Mapping[str, Any], *, level: str, options: Mapping[str, Any]
                      ) -> tuple[list[Finding], list[dict[str, Any]]]:
    """Check every reference of ``manifest`` at ``level``; return the findings and one report
    record per reference (pointer, uri, level, evidence, result)."""
    found: list[Finding] = []
    records: list[dict[str, Any]] = []
    for ref in references(manifest):
        check = _Check(ref, level)
        try:
            fs, path = filesystem(ref.uri, options)
            {"size": _by_size, "metadata": _by_metadata, "full": _by_content}[level](
                check, fs, path)
        except RemoteError as exc:
            check.unreachable(exc)
        except Exception as exc:  # whatever the provider raised, said in one line
            check.unreachable(classify(exc, ref.uri))
        found.extend(check.findings)
        records.append(check.record)
    return found, records


def _by_size(check: _Check, fs: Any, path: str) -> None:
    check.size(fs.info(path).get("size"))
    if check.record["result"] == "verified" and "size" not in check.record["evidence"]:
        check.unverified("the provider gives no size")


def _by_metadata(check: _Check, fs: Any, path: str) -> None:
    scheme = protocol(check.ref.uri)
    if scheme in ("s3", "s3a"):
        _s3(check, fs, path)
    elif scheme in ("http", "https"):
        _http(check, fs, path)
    else:
        check.size(fs.info(path).get("size"))
        check.unverified(f"{scheme}:// gives no SHA-256 of its objects: only --verify-remote="
                         "full can verify them")


def _s3(check: _Check, fs: Any, path: str) -> None:
    bucket, key, version = fs.split_path(path)
    extra = {"VersionId": version} if version else {}
    head = run(fs, fs._call_s3, "head_object", Bucket=bucket, Key=key, ChecksumMode="ENABLED",
               **extra)
    check.size(head.get("ContentLength"))
    value = head.get("ChecksumSHA256")
    if not isinstance(value, str):
        crcs = [name[len("Checksum"):] for name in _CRCS if head.get(name)]
        check.unverified(f"the object has {'a ' + crcs[0] if crcs else 'an ETag'} only, "
                         "which is not cryptographic evidence: no SHA-256 checksum")
        return
    digest, _, parts = value.partition("-")
    if parts or head.get("ChecksumType") == "COMPOSITE":
        recorded = parts_of(check.ref.digests.get(PARTS))
        if recorded is None:
            check.unverified("a composite (multipart) checksum, and the reference records no "
                             "sha256-parts to compare it with")
            return
        check.evidence("s3-composite-sha256")
        expected = composite_sha256(recorded[1])
        if expected != value:
            check.differs(f"digests/{PARTS}", f"S3's composite checksum is {value}, the "
                          f"reference's parts give {expected}")
        return
    check.sha256(base64.b64decode(digest).hex(), "s3-checksum-sha256")


def _repr_digests(header: str) -> dict[str, str]:
    """{algorithm: hex} of an RFC 9530 Repr-Digest field: ``sha-256=:base64:, ...``."""
    out: dict[str, str] = {}
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        value = value.strip()
        if value.startswith(":") and value.endswith(":") and len(value) > 2:
            try:
                out[name.strip().lower()] = base64.b64decode(value[1:-1], validate=True).hex()
            except ValueError:
                continue
    return out


def _http(check: _Check, fs: Any, url: str) -> None:
    async def head() -> tuple[int, dict[str, str]]:
        session = await fs.set_session()
        async with session.head(url, allow_redirects=True, **fs.kwargs) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}

    status, headers = run(fs, head)
    if status == 404:
        raise RemoteError("REX-U101", f"{url} does not exist")
    if status in (401, 403) or status >= 400:
        raise classify(PermissionError(f"HTTP {status}"), url) if status in (401, 403) \
            else RemoteError("REX-U103", f"{url}: HTTP {status}")
    length = headers.get("content-length", "")
    check.size(int(length) if length.isdigit() else None)
    digests = _repr_digests(headers.get("repr-digest", ""))
    if "sha-256" in digests:
        check.sha256(digests["sha-256"], "http-repr-digest-sha-256")
        return
    check.unverified("the server sends no Repr-Digest with sha-256 (an ETag is no evidence)")


def _by_content(check: _Check, fs: Any, path: str) -> None:
    from rexport.digests import SUPPORTED, hash_stream

    names = tuple(a for a in SUPPORTED if well_formed(a, check.ref.digests.get(a)))
    recorded = parts_of(check.ref.digests.get(PARTS))
    parts = PartsHasher(recorded[0]) if recorded is not None else None
    limit = check.ref.size
    with open_stream(fs, path) as fp:
        size, digests = hash_stream(fp, names, limit=limit,
                                    taps=[parts.feed] if parts is not None else ())
    check.evidence("full")
    if limit is not None and size != limit:
        shown = f"more than {limit}" if size > limit else str(size)
        check.differs("size", f"the object is {shown} bytes, the reference says {limit}")
        return
    for name, actual in digests.items():
        expected = str(check.ref.digests[name]).lower()
        if expected != actual:
            check.differs(f"digests/{name}", f"{name} is {actual}, the reference says "
                          f"{expected}")
    if parts is not None and recorded is not None and parts.finish() != recorded[1]:
        check.differs(f"digests/{PARTS}", "its parts differ from the reference's sha256-parts")
