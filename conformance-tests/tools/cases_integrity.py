"""Cases of file-index.md and digests.md: completeness, sizes, digests, the export digest."""

from __future__ import annotations

import json

from bases import full, minimal
from registry import Expect, case
from rexgen import Export, digest, dump, gzip_bytes, tar_of, zip_of

# --- the index (IDX) -------------------------------------------------------------------------


@case("invalid", "file-index", "unlisted-file", "a file that the index does not list",
      ["IDX-02"])
def _unlisted(x: Expect) -> Export:
    """The full export plus notes.txt, a file the index does not list."""
    x.find("REX-C103", "", "notes.txt")
    e = full()
    e.files["notes.txt"] = b"not in the index\n"
    return e


@case("invalid", "file-index", "unlisted-file-zip", "a zip member that the index does not list",
      ["IDX-02", "EXP-01"])
def _unlisted_zip(x: Expect) -> dict[str, bytes]:
    """The full export as a zip plus results/extra.bin, a member the index does not list."""
    x.find("REX-C103", "", "results/extra.bin")
    e = full()
    e.files["results/extra.bin"] = b"\x00\x01"
    return {"export.zip": zip_of(e)}


@case("invalid", "file-index", "listed-file-missing", "an indexed file is not in the export",
      ["IDX-03"])
def _missing(x: Expect) -> Export:
    """The full export without the file narrative/README.md; its index entry kept."""
    e = full()
    x.find("REX-C102", f"/files/{e.idx('narrative/README.md')}/path")
    del e.files["narrative/README.md"]
    return e


@case("invalid", "file-index", "listed-file-missing-tar", "an indexed member is not in the tar",
      ["IDX-03", "EXP-01"])
def _missing_tar(x: Expect) -> dict[str, bytes]:
    """The full export as a tar without the member results/model.pkl; its index entry kept."""
    e = full()
    x.find("REX-C102", f"/files/{e.idx('results/model.pkl')}/path")
    del e.files["results/model.pkl"]
    return {"export.tar": tar_of(e)}


@case("invalid", "file-index", "listed-path-is-directory", "an indexed path names a directory",
      ["IDX-03"])
def _directory(x: Expect) -> Export:
    """The minimal export plus data/inside.txt, indexed, and an index entry for the folder data;
    re-sealed."""
    e = minimal()
    e.add("data/inside.txt", b"x\n", "text/plain", "data")
    e.index()
    e.m["files"].append({"path": "data", "size": 0, "media_type": "application/octet-stream",
                         "role": "data", "digests": {"sha256": digest(b"")}})
    x.find("REX-C102", f"/files/{len(e.m['files']) - 1}/path")
    return e.seal()


@case("invalid", "file-index", "manifest-indexed", "rex.json lists itself", ["IDX-01"])
def _self(x: Expect) -> Export:
    """The minimal export with an index entry for rex.json put first in files; re-sealed."""
    e = minimal()
    e.m["files"].insert(0, {"path": "rex.json", "size": 2, "media_type": "application/json",
                            "role": "other", "digests": {"sha256": "0" * 64}})
    x.find("REX-C102", "/files/0/path")
    return e.seal()


@case("invalid", "file-index", "duplicate-entry", "the same path listed twice", ["IDX-04"])
def _duplicate(x: Expect) -> Export:
    """The full export with the index entry of data/iris.csv repeated right after it; re-sealed."""
    e = full()
    n = e.idx("data/iris.csv")
    e.m["files"].insert(n + 1, dict(e.m["files"][n]))
    x.find("REX-C105", f"/files/{n + 1}/path")
    return e.seal()


@case("invalid", "file-index", "size-larger", "a size larger than the file", ["IDX-05"])
def _size_larger(x: Expect) -> Export:
    """The full export with the size of data/iris.csv raised by one; re-sealed."""
    e = full()
    n = e.idx("data/iris.csv")
    e.m["files"][n]["size"] += 1
    x.find("REX-I101", f"/files/{n}/size")
    return e.seal()


@case("invalid", "file-index", "size-smaller", "a size smaller than the file, in a tar.gz",
      ["IDX-05"])
def _size_smaller(x: Expect) -> dict[str, bytes]:
    """The full export as a tar.gz with the size of results/model.pkl lowered by 10; re-sealed."""
    e = full()
    n = e.idx("results/model.pkl")
    e.m["files"][n]["size"] -= 10
    x.find("REX-I101", f"/files/{n}/size")
    return {"export.tar.gz": gzip_bytes(tar_of(e.seal()))}


@case("invalid", "file-index", "role-unknown", "a role that is not in the list", ["IDX-01"])
def _role(x: Expect) -> Export:
    """The minimal export with files[0].role set to source; re-sealed."""
    e = minimal()
    e.m["files"][0]["role"] = "source"
    x.find("REX-S101", "/files/0/role")
    return e.seal()


@case("invalid", "file-index", "size-not-integer", "a size that is not an integer", ["IDX-01"])
def _size_float(x: Expect) -> Export:
    """The minimal export with 0.5 added to files[0].size; re-sealed."""
    e = minimal()
    e.m["files"][0]["size"] = e.m["files"][0]["size"] + 0.5
    x.find("REX-S101", "/files/0/size")
    return e.seal()


@case("invalid", "file-index", "size-beyond-2-53", "a size of 2^53, beyond the schema's maximum",
      ["IDX-01", "EXP-05"])
def _size_too_large(x: Expect) -> Export:
    """The minimal export with files[0].size set to 2^53; export digest kept (the manifest has no
    canonical form)."""
    e = minimal()
    e.m["files"][0]["size"] = 2**53
    x.find("REX-S101", "/files/0/size")  # the schema's maximum, as IDX-01 says
    x.find("REX-I104", "/export_digest")
    x.find("REX-I101", "/files/0/size")  # an integer size is compared, refused or not (IDX-05)
    return e


@case("invalid", "file-index", "size-at-2-53-minus-1", "the largest size the schema allows",
      ["IDX-01", "IDX-05"])
def _size_largest(x: Expect) -> Export:
    """The minimal export with files[0].size set to 2^53-1; re-sealed."""
    e = minimal()
    e.m["files"][0]["size"] = 2**53 - 1
    x.find("REX-I101", "/files/0/size")  # allowed, and wrong for this file
    x.never("REX-S101")
    return e.seal()


@case("invalid", "file-index", "media-type-malformed", "a media type without a subtype",
      ["IDX-01"])
def _media(x: Expect) -> Export:
    """The minimal export with files[0].media_type set to python; re-sealed."""
    e = minimal()
    e.m["files"][0]["media_type"] = "python"
    x.find("REX-S101", "/files/0/media_type")
    return e.seal()


@case("invalid", "file-index", "entry-without-digests", "an index entry without digests",
      ["IDX-01", "DIG-01"])
def _no_digests(x: Expect) -> Export:
    """The minimal export with the digests of files[0] removed; re-sealed."""
    e = minimal()
    del e.m["files"][0]["digests"]
    x.find("REX-S101", "/files/0")
    return e.seal()


@case("valid", "file-index", "role-is-a-hint", "a role that does not match its use is fine",
      ["IDX-01"])
def _role_hint(x: Expect) -> Export:
    """The full export with code/prep.py's role other (media type with a charset) and
    data/iris.csv's role narrative; re-sealed."""
    e = full()
    e.kinds["code/prep.py"] = ("text/x-python; charset=utf-8", "other")
    e.kinds["data/iris.csv"] = ("text/csv", "narrative")
    return e.index().seal()


@case("valid", "file-index", "empty-file", "a file of zero bytes", ["IDX-01", "IDX-05"])
def _empty(x: Expect) -> Export:
    """The minimal export plus code/__init__.py, an empty indexed file; re-sealed."""
    e = minimal()
    e.add("code/__init__.py", b"", "text/x-python", "code")
    return e.index().seal()


# --- digests (DIG) ---------------------------------------------------------------------------


def _mismatch(algorithm: str, path: str) -> None:
    @case("invalid", "digests", f"{algorithm}-mismatch", f"a recorded {algorithm} differs",
          ["DIG-02"], mutation=f"The full export with the first hex digit of the {algorithm} "
                               f"recorded for {path} changed; re-sealed.")
    def build(x: Expect) -> Export:
        e = full()
        n = e.idx(path)
        recorded = e.m["files"][n]["digests"]
        recorded[algorithm] = ("0" if recorded[algorithm][0] != "0" else "1") + \
            recorded[algorithm][1:]
        x.find("REX-I102", f"/files/{n}/digests/{algorithm}")
        return e.seal()


for _algorithm, _path in (("sha256", "code/prep.py"), ("sha512", "data/iris.csv"),
                          ("blake2b", "results/model.pkl"), ("md5", "code/train.py"),
                          ("sha1", "code/train.py")):
    _mismatch(_algorithm, _path)


@case("invalid", "digests", "content-changed", "one byte of a file changed after packing",
      ["DIG-02", "IDX-05"])
def _tampered(x: Expect) -> Export:
    """The full export with one bit of byte 10 of data/clean.csv flipped after packing;
    index kept."""
    e = full()
    n = e.idx("data/clean.csv")
    data = bytearray(e.files["data/clean.csv"])
    data[10] ^= 0x01
    e.files["data/clean.csv"] = bytes(data)
    x.find("REX-I102", f"/files/{n}/digests/sha256")
    x.never("REX-I101")
    return e


@case("invalid", "digests", "content-changed-zip", "one byte of a zip member changed",
      ["DIG-02"])
def _tampered_zip(x: Expect) -> dict[str, bytes]:
    """The full export as a zip with seed(0) changed to seed(1) in code/train.py after packing;
    index kept."""
    e = full()
    n = e.idx("code/train.py")
    e.files["code/train.py"] = e.files["code/train.py"].replace(b"seed(0)", b"seed(1)")
    for algorithm in ("sha256", "sha512", "blake2b", "md5", "sha1"):
        x.find("REX-I102", f"/files/{n}/digests/{algorithm}")
    return {"export.zip": zip_of(e)}


@case("invalid", "digests", "uppercase-hex", "a digest in upper-case hex", ["DIG-01"])
def _upper(x: Expect) -> Export:
    """The minimal export with files[0]'s sha256 written in upper case; re-sealed."""
    e = minimal()
    e.m["files"][0]["digests"]["sha256"] = e.m["files"][0]["digests"]["sha256"].upper()
    x.find("REX-S101", "/files/0/digests/sha256")
    return e.seal()


@case("invalid", "digests", "wrong-length", "a sha512 of 127 hex digits", ["DIG-01"])
def _length(x: Expect) -> Export:
    """The full export with the last hex digit of data/iris.csv's sha512 removed; re-sealed."""
    e = full()
    n = e.idx("data/iris.csv")
    e.m["files"][n]["digests"]["sha512"] = e.m["files"][n]["digests"]["sha512"][:-1]
    x.find("REX-S101", f"/files/{n}/digests/sha512")
    return e.seal()


@case("invalid", "digests", "weak-only", "md5 and sha1 alone", ["DIG-01"])
def _weak(x: Expect) -> Export:
    """The full export with code/train.py's digest set cut down to md5 and sha1; re-sealed."""
    e = full()
    n = e.idx("code/train.py")
    digests = e.m["files"][n]["digests"]
    e.m["files"][n]["digests"] = {"md5": digests["md5"], "sha1": digests["sha1"]}
    x.find("REX-I103", f"/files/{n}/digests")
    x.find("REX-S101", f"/files/{n}/digests")  # the schema requires sha256 too
    return e.seal()


@case("valid", "digests", "extension-digest-ignored", "an x- digest member is never verified",
      ["DIG-01", "VER-05"])
def _x_digest(x: Expect) -> Export:
    """The minimal export with an x-sha3-256 member of plain text in files[0].digests; re-sealed."""
    e = minimal()
    e.m["files"][0]["digests"]["x-sha3-256"] = "not checked by validators"
    x.never("REX-I102")
    x.never("REX-S102")
    return e.seal()


@case("valid", "digests", "unknown-digest-ignored", "an unknown digest member is not verified",
      ["DIG-01", "VER-04"])
def _unknown_digest(x: Expect) -> Export:
    """The minimal export with a sha3_256 member of 64 zeros in files[0].digests; re-sealed."""
    e = minimal()
    e.m["files"][0]["digests"]["sha3_256"] = "0" * 64
    x.never("REX-I102")
    return e.seal()


@case("valid", "digests", "reference-not-fetched", "referenced data is never fetched",
      ["DIG-02", "DAT-04"])
def _reference(x: Expect) -> Export:
    """The full export with the referenced dataset's URI on a host that does not resolve; re-
    sealed."""
    e = full()
    # the URI does not resolve; a validator that fetched it would fail
    e.m["data"]["datasets"][1]["reference"]["uri"] = "https://invalid.invalid/iris-extra.csv"
    return e.seal()


@case("invalid", "digests", "export-digest-stale", "title changed, export digest kept",
      ["DIG-03", "DIG-04"])
def _stale(x: Expect) -> Export:
    """The full export with " (edited)" appended to the title; export digest kept."""
    e = full()
    e.m["title"] += " (edited)"
    x.find("REX-I104", "/export_digest")
    return e


@case("invalid", "digests", "export-digest-stale-manifest-only",
      "a stale export digest, given only rex.json", ["DIG-04", "VAL-03"], input="rex.json")
def _stale_bare(x: Expect) -> dict[str, bytes]:
    """The minimal export's rex.json alone, with the metric value changed to 0.8334; export digest
    kept."""
    e = minimal()
    e.m["results"]["metrics"][0]["value"] = 0.8334
    x.find("REX-I104", "/export_digest")
    return {"rex.json": e.manifest_bytes()}


@case("invalid", "digests", "export-digest-of-index", "a file digest changed, export digest kept",
      ["DIG-03", "DIG-04"])
def _index_changed(x: Expect) -> Export:
    """The full export with a line added to code/prep.py and its index entry updated; export digest
    kept."""
    e = full()
    e.files["code/prep.py"] += b"# changed\n"
    e.index()
    x.find("REX-I104", "/export_digest")
    x.never("REX-I102")
    return e


@case("invalid", "digests", "export-digest-malformed", "export_digest without its sha256: prefix",
      ["DIG-03"])
def _malformed(x: Expect) -> Export:
    """The minimal export with the sha256: prefix cut from export_digest."""
    e = minimal()
    e.m["export_digest"] = e.m["export_digest"].removeprefix("sha256:")
    x.find("REX-S101", "/export_digest")
    x.find("REX-I104", "/export_digest")  # a malformed value differs from every digest
    return e


@case("valid", "digests", "annotations-changed", "annotations are outside the export digest",
      ["DIG-03", "NAR-04"])
def _annotations(x: Expect) -> Export:
    """The full export with a tag and a review added to annotations; export digest kept."""
    e = full()
    e.m["annotations"]["tags"].append("reviewed")
    e.m["annotations"]["reviews"].append({"author": "R3", "date": "2026-04-01",
                                           "text": "added later"})
    return e


@case("valid", "digests", "canonical-numbers", "1.0 and 1 give the same digest", ["DIG-03"])
def _numbers(x: Expect) -> Export:
    """The full export's rex.json with 1.0 written 1.000 and 0.8333 written 8.333e-1; export digest
    kept."""
    e = full()
    e.seal()
    text = dump(e.m).decode().replace('"C": 1.0', '"C": 1.000').replace('"value": 0.8333',
                                                                           '"value": 8.333e-1')
    assert json.loads(text) == e.m
    e.raw_manifest = text.encode()
    return e


@case("valid", "digests", "extensions-covered", "x- members are part of the digest",
      ["DIG-03", "VER-05"])
def _extensions(x: Expect) -> Export:
    """The minimal export with a top-level x-lab object; re-sealed."""
    e = minimal()
    e.m["x-lab"] = {"queue": "gpu-long", "ticket": 4711}
    return e.seal()
