"""Hash a bag's payload and tag files and hold them against the bag's manifests and Payload-Oxum."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from rexport.findings import Finding

PAYLOAD = "data"
BAG_INFO = "bag-info.txt"
# path -> {algorithm: (hex, manifest name, line)}
Claims = dict[str, dict[str, tuple[str, str, int]]]
_OXUM = re.compile(r"([0-9]{1,20})\.([0-9]{1,20})")


def read_tag_file(path: Path, cap: int) -> str | None:
    """A small tag file's text (a UTF-8 byte order mark dropped); None when unreadable."""
    from rexport.sources.base import read_capped
    from rexport.sources.directory import open_regular

    try:
        with open_regular(str(path)) as fp:
            data = read_capped(fp, cap)
        return data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


def labels(text: str) -> Iterable[tuple[str, str]]:
    """(label, value) of each tag line; a line opening with white space continues a value."""
    label, value = None, ""
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and label is not None:
            value += " " + line.strip()
            continue
        if label is not None:
            yield label, value
        label, sep, rest = line.partition(":")
        label, value = (label.strip(), rest.strip()) if sep else (None, "")
    if label is not None:
        yield label, value


def payload_oxum(text: str) -> str | None:
    """The Payload-Oxum value of a bag-info.txt text, None when it has none."""
    values = [v for label, v in labels(text) if label == "Payload-Oxum"]
    return values[0] if values else None


def _compare(path: str, claims: dict[str, tuple[str, str, int]],
             sums: dict[str, str]) -> list[Finding]:
    return [Finding.of("REX-B105", f"{path}: {algorithm} differs from the bag manifest",
                       file=manifest, line=line)
            for algorithm, (expected, manifest, line) in sorted(claims.items())
            if sums.get(algorithm) != expected]


def _missing(claims: Claims, seen: set[str]) -> list[Finding]:
    return [Finding.of("REX-B103", f"{path} is listed but not in the bag", file=manifest,
                       line=line)
            for path in sorted(set(claims) - seen)
            for _, manifest, line in sorted(claims[path].values())[:1]]


def check_payload(root: Path, listed: Claims, algorithms: list[str], *, max_files: int,
                  max_bytes: int) -> list[Finding]:
    """Hash every file under data/ against the payload manifests (``listed``) and the
    Payload-Oxum; links, special files and unsafe names are left to the export's checks."""
    from rexport.digests import hash_stream
    from rexport.sources import InputError, open_source

    found: list[Finding] = []
    seen: set[str] = set()
    octets = count = 0
    try:
        source = open_source(root / PAYLOAD, max_files=max_files, max_bytes=max_bytes)
    except InputError:
        return found  # the export's validation reports why data/ cannot be read
    with source:
        for entry in source.entries():
            if entry.kind != "file" or not entry.safe:
                continue
            path = f"{PAYLOAD}/{entry.path}"
            seen.add(path)
            count += 1
            claims = listed.get(path, {})
            if any(a not in claims for a in algorithms):
                found.append(Finding.of("REX-B104", f"{path} is not listed in every payload "
                                                    "manifest", file=path))
            try:
                with entry.open() as fp:
                    size, sums = hash_stream(fp, sorted(claims) or ["sha256"])
            except OSError as exc:
                found.append(Finding.of("REX-B103", f"{path} cannot be read: "
                                                    f"{exc.strerror or exc}", file=path))
                continue
            octets += size
            found += _compare(path, claims, sums)
    found += _missing(listed, seen)
    return found + _oxum(root, octets, count)


def _oxum(root: Path, octets: int, count: int) -> list[Finding]:
    if not (root / BAG_INFO).exists():
        return []
    text = read_tag_file(root / BAG_INFO, 1 << 20)
    value = payload_oxum(text) if text is not None else None
    if value is None:
        return []  # Payload-Oxum is optional (RFC 8493 2.2.2)
    match = _OXUM.fullmatch(value)
    if match is None:
        return [Finding.of("REX-B106", f"Payload-Oxum {value!r} is not OCTETS.COUNT",
                           file=BAG_INFO)]
    if (int(match[1]), int(match[2])) != (octets, count):
        return [Finding.of("REX-B106", f"Payload-Oxum {value} but the payload holds {octets} "
                                       f"octets in {count} files", file=BAG_INFO)]
    return []


def check_tags(root: Path, listed: Claims) -> list[Finding]:
    """Hash every tag file a tag manifest lists (never through a link, never outside the bag)."""
    from rexport.digests import hash_stream
    from rexport.sources.directory import open_regular

    found: list[Finding] = []
    seen: set[str] = set()
    top = root.resolve()
    for path in sorted(listed):
        target = root.joinpath(*path.split("/"))
        if not target.parent.resolve().is_relative_to(top):
            continue  # reported as missing below: a folder that leads out of the bag
        try:
            with open_regular(str(target)) as fp:
                _, sums = hash_stream(fp, sorted(listed[path]))
        except OSError:
            continue
        seen.add(path)
        found += _compare(path, listed[path], sums)
    return found + _missing(listed, seen)
