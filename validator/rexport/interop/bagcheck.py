"""Validate a BagIt bag around an export: check the bag by its own rules, then data/ as the export.

The bag's manifests are claims: every payload and tag file is hashed here and compared with
them, and data/ is validated by every rule of the spec (VAL-09).
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from rexport.findings import Finding
from rexport.interop.bagpayload import check_payload, check_tags, labels, read_tag_file
from rexport.report import Report

DECLARATION = "bagit.txt"
PAYLOAD = "data"
VERSIONS = ("0.97", "1.0")
# the algorithms both BagIt tools and rexport.digests know
ALGORITHMS = {"sha512": 128, "sha256": 64, "sha1": 40, "md5": 32}
_MANIFEST = re.compile(r"^(tag)?manifest-([A-Za-z0-9]+)\.txt$")
_LINE_CAP = 64 << 10  # longest manifest line read: a path is capped far below (EXP-04)
_TAG_CAP = 1 << 20  # bagit.txt and bag-info.txt are a few lines
# a checksum, linear white space, a path (RFC 8493 2.1.3)
_LINE = re.compile(r"[ \t]*([0-9a-fA-F]+)[ \t]+(.+)")
_ENCODED = re.compile(r"%(25|0A|0D)", re.IGNORECASE)


def is_bag(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a folder holding bagit.txt and data/ and no rex.json of its own."""
    root = Path(path)
    return (root.is_dir() and (root / DECLARATION).is_file() and (root / PAYLOAD).is_dir()
            and not os.path.lexists(root / "rex.json"))


def validate_bag(path: str | os.PathLike[str], **options: Any) -> Report:
    """Check the bag at ``path`` and validate its data/ with rexport.validate(**options).

    Returns one Report: the bag's findings first, then the export's with paths under data/;
    its export_digest is that of the export inside, which bagging leaves unchanged.
    """
    from rexport.selection import code_filter
    from rexport.validation import validate

    keep = code_filter(options.get("select", ()), options.get("ignore", ()))
    root = os.fsdecode(path)
    if os.path.islink(os.path.join(root, PAYLOAD)):
        # the payload would be read wherever the link points: refused, never followed
        return Report(path=root, strict=options.get("strict", False), findings=[
            Finding.of("REX-X105", f"'{PAYLOAD}' is a symbolic link", file=PAYLOAD)])
    bag = check_bag(Path(root), max_files=options.get("max_files", 200_000),
                    max_bytes=options.get("max_bytes", 2**40))
    report = validate(os.path.join(root, PAYLOAD), **options)
    inside = [f if f.code.startswith("REX-U") else replace(f, file=f"{PAYLOAD}/{f.file}")
              for f in report.findings]
    report.path = root
    report.findings = [f for f in bag if keep(f.code)] + inside
    return report


def check_bag(root: Path, *, max_files: int, max_bytes: int) -> list[Finding]:
    """Every problem of the bag at ``root`` as findings of the family ``bag``."""
    found = _declaration(root)
    manifests = sorted(p.name for p in root.iterdir() if _MANIFEST.match(p.name))
    payload = [m for m in manifests if m.startswith("manifest-")]
    if not payload:
        found.append(Finding.of("REX-B101", "the bag has no payload manifest (manifest-ALG.txt)",
                                file=DECLARATION))
    listed: dict[str, dict[str, tuple[str, str, int]]] = {}  # path -> {alg: (hex, manifest, line)}
    tag_listed: dict[str, dict[str, tuple[str, str, int]]] = {}
    for name in manifests:
        algorithm = _MANIFEST.match(name).group(2).lower()  # type: ignore[union-attr]
        into = tag_listed if name.startswith("tag") else listed
        found += _read_manifest(root, name, algorithm, into, payload=into is listed,
                                cap=max_files)
    payload_algorithms = [_MANIFEST.match(m).group(2).lower()  # type: ignore[union-attr]
                          for m in payload]
    payload_algorithms = [a for a in payload_algorithms if a in ALGORITHMS]
    found += check_payload(root, listed, payload_algorithms, max_files=max_files,
                           max_bytes=max_bytes)
    found += check_tags(root, tag_listed)
    return found


def _declaration(root: Path) -> list[Finding]:
    text = read_tag_file(root / DECLARATION, _TAG_CAP)
    if text is None:
        return [Finding.of("REX-B101", "bagit.txt is not a readable UTF-8 file",
                           file=DECLARATION)]
    fields = dict(labels(text))
    found = []
    version = fields.get("BagIt-Version")
    if version not in VERSIONS:
        found.append(Finding.of("REX-B101", f"BagIt-Version {version!r} is not one of "
                                            f"{', '.join(VERSIONS)}", file=DECLARATION))
    encoding = fields.get("Tag-File-Character-Encoding", "")
    if encoding.upper().replace("_", "-") not in ("UTF-8", "UTF8"):
        found.append(Finding.of("REX-B101", f"Tag-File-Character-Encoding {encoding!r}: only "
                                            "UTF-8 is read", file=DECLARATION))
    return found


def decode_path(text: str) -> str:
    """Undo the percent-encoding RFC 8493 asks of %, CR and LF in manifest paths (only those)."""
    return _ENCODED.sub(lambda m: chr(int(m.group(1), 16)), text)


def _read_manifest(root: Path, name: str, algorithm: str,
                   into: dict[str, dict[str, tuple[str, str, int]]], *, payload: bool,
                   cap: int) -> list[Finding]:
    from rexport.paths import path_problems
    from rexport.sources.directory import open_regular

    if algorithm not in ALGORITHMS:
        return [Finding.of("REX-B102", f"{name}: algorithm {algorithm!r} is not supported "
                                       f"(only {', '.join(ALGORITHMS)})", file=name)]
    found: list[Finding] = []

    def bad(line: int, message: str) -> None:
        found.append(Finding.of("REX-B102", message, file=name, line=line))

    try:
        fp = open_regular(str(root / name))
    except OSError as exc:
        return [Finding.of("REX-B102", f"{name} cannot be read: {exc.strerror or exc}",
                           file=name)]
    with fp:
        for number, raw in enumerate(iter(lambda: fp.readline(_LINE_CAP + 1), b""), 1):
            if number > cap:
                bad(number, f"more than {cap} lines: reading stopped")
                break
            if len(raw) > _LINE_CAP:
                bad(number, "line too long: reading stopped")
                break
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                bad(number, "not UTF-8")
                continue
            if not line.strip():
                continue
            parts = _LINE.fullmatch(line)
            digest, path = (parts[1], decode_path(parts[2])) if parts else ("", "")
            if len(digest) != ALGORITHMS[algorithm] or not path:
                bad(number, f"line {number} is not a {algorithm} checksum and a path")
                continue
            inner = path[len(PAYLOAD) + 1:] if path.startswith(PAYLOAD + "/") else None
            problems = path_problems(path)
            if problems or (payload and not inner) or (not payload and inner is not None):
                why = problems[0][1] if problems else (
                    "a payload manifest lists only files under data/" if payload
                    else "a tag manifest lists only tag files")
                bad(number, f"{path!r}: {why}")
                continue
            entry = into.setdefault(path, {})
            if algorithm in entry:
                bad(number, f"{path!r} is listed twice")
                continue
            entry[algorithm] = (digest.lower(), name, number)
    return found
