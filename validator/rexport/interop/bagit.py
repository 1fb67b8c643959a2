"""Write an export as a BagIt 1.0 bag (RFC 8493): data/ is the export, byte for byte, and
the same export always gives the same bytes."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rexport.interop.export import (
    MANIFEST,
    Checked,
    InteropError,
    checked_export,
    epoch_of,
    unpack_payload,
    walk_tree,
)
from rexport.report import EXIT_INVALID

ALGORITHMS = ("sha256", "sha512")
DECLARATION = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
PAYLOAD = "data"
# Characters RFC 8493 makes a manifest percent-encode. bagit-python writes `%` as it is and
# decodes nothing, so a bag naming one would fail there or in a tool that follows the RFC:
# such exports are refused rather than written as bags that half of the tools misread.
REFUSED = {"%": "a percent sign", "\n": "a line feed", "\r": "a carriage return"}


@dataclass(frozen=True)
class Bagged:
    """What convert_to_bag wrote: where, the export digest of data/, payload octets and files."""

    path: Path
    export_digest: str
    octets: int
    files: int


def refused_names(names: Iterable[str]) -> list[str]:
    """The names a bag manifest could not carry plainly, each with the reason."""
    out = []
    for name in names:
        found = [what for char, what in REFUSED.items() if char in name]
        if found:
            out.append(f"{name!r} holds {' and '.join(found)}")
    return out


def convert_to_bag(export: str | os.PathLike[str], out: Path, *, overwrite: bool = False,
                   max_files: int = 200_000, max_bytes: int = 2**40) -> Bagged:
    """Validate the export at ``export`` and write it as a bag in the new folder ``out``.

    Raise InteropError (exit 1: the export is invalid or names a file a bag cannot hold;
    exit 2: unreadable input or an unwritable ``out``). Nothing is left at ``out`` on failure.
    """
    from rexport.pack.errors import PackError
    from rexport.pack.writers import atomic_output

    checked = checked_export(export, max_files=max_files, max_bytes=max_bytes)
    refused = refused_names([MANIFEST, *checked.files()])
    if refused:
        raise InteropError("cannot write a bag that BagIt tools read alike: "
                           + "; ".join(refused[:5]), EXIT_INVALID)
    try:
        with atomic_output(out, is_dir=True, overwrite=overwrite) as tmp:
            tmp.mkdir()
            (tmp / PAYLOAD).mkdir()
            unpack_payload(checked, tmp / PAYLOAD, max_files=max_files, max_bytes=max_bytes)
            octets, count = write_tag_files(tmp, checked)
            _settle(tmp, epoch_of(checked.manifest))
    except PackError as exc:
        raise InteropError(str(exc)) from None
    return Bagged(out, checked.export_digest, octets, count)


def write_tag_files(bag: Path, checked: Checked) -> tuple[int, int]:
    """Write bagit.txt, the manifests, bag-info.txt and the tag manifests beside data/.

    Return the payload's (octets, file count).
    """
    from rexport.digests import digest_bytes, hash_stream
    from rexport.sources.directory import open_regular

    names = sorted([MANIFEST, *checked.files()], key=lambda n: n.encode("utf-8"))
    sums: dict[str, dict[str, str]] = {}
    octets = 0
    for name in names:
        with open_regular(str(bag / PAYLOAD / name)) as fp:
            size, sums[name] = hash_stream(fp, ALGORITHMS)
        octets += size
    tags: dict[str, bytes] = {"bagit.txt": DECLARATION}
    for algorithm in ALGORITHMS:
        tags[f"manifest-{algorithm}.txt"] = "".join(
            f"{sums[name][algorithm]}  {PAYLOAD}/{name}\n" for name in names).encode("utf-8")
    tags["bag-info.txt"] = bag_info(checked, octets, len(names))
    tag_sums = {name: digest_bytes(data, ALGORITHMS) for name, data in tags.items()}
    for algorithm in ALGORITHMS:
        tags[f"tagmanifest-{algorithm}.txt"] = "".join(
            f"{tag_sums[name][algorithm]}  {name}\n" for name in sorted(tag_sums)
        ).encode("utf-8")
    for name, data in tags.items():
        (bag / name).write_bytes(data)
    return octets, len(names)


def bag_info(checked: Checked, octets: int, count: int) -> bytes:
    """bag-info.txt in a fixed order and without Bagging-Date: the export fixes every value."""
    from rexport import __version__

    title = checked.manifest.get("title")
    lines = [("Bag-Software-Agent", f"rexport {__version__}"),
             ("External-Identifier", checked.export_digest)]
    if isinstance(title, str) and title.strip():
        # a tag value is one line here: breaks would read as continuation lines or new labels
        lines.append(("External-Description", " ".join(title.split())))
    lines.append(("Payload-Oxum", f"{octets}.{count}"))
    return "".join(f"{label}: {value}\n" for label, value in lines).encode("utf-8")


def _settle(root: Path, epoch: int) -> None:
    # fixed modes and times: the umask and the clock must not show in an archive of the bag
    for path in walk_tree(root):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
        os.utime(path, (epoch, epoch))
    os.chmod(root, 0o755)
    os.utime(root, (epoch, epoch))
