"""Cases that tell apart the readings of the sentences the 1.0 clarifications settled."""

from __future__ import annotations

import hashlib
import io
import itertools
import tarfile

from bases import full, minimal
from registry import Expect, case
from rexgen import Export, Member, as_directory, gzip_bytes, tar_bytes, tar_of, zip_bytes

# --- the index (IDX-01, IDX-02, IDX-05) and digests (DIG-02) ---------------------------------


@case("valid", "file-index", "manifest-lists-rex-json", "a bare manifest whose index lists "
      "rex.json", ["IDX-01", "VAL-03"], input="rex.json")
def _lists_manifest(x: Expect) -> dict[str, bytes]:
    """The minimal export plus rex.json in its own index, given as rex.json alone; re-sealed."""
    e = minimal()
    e.add("rex.json", b"{}\n", "application/json", "other")
    x.find("REX-C106", "")  # whether an indexed file exists is not checked without the tree
    return {"rex.json": e.index().seal().manifest_bytes()}


@case("invalid", "file-index", "size-negative-not-compared", "a negative size is a schema "
      "error alone", ["IDX-05", "EXP-05"])
def _size_negative(x: Expect) -> Export:
    """The minimal export with files[0].size set to -1; re-sealed."""
    e = minimal()
    e.m["files"][0]["size"] = -1
    x.find("REX-S101", "/files/0/size")
    return e.seal()


@case("invalid", "digests", "upper-case-not-compared", "an upper-case digest is a schema error, "
      "never compared", ["DIG-01", "DIG-02"])
def _upper(x: Expect) -> Export:
    """The minimal export with code/train.py's sha256 written in upper case; re-sealed."""
    e = minimal()
    digests = e.m["files"][e.idx("code/train.py")]["digests"]
    digests["sha256"] = digests["sha256"].upper()
    x.find("REX-S101", f"/files/{e.idx('code/train.py')}/digests/sha256")
    return e.seal()


@case("valid", "parse", "exponent-number-canonical", "1e300 is a number with a canonical form",
      ["EXP-03", "DIG-04"])
def _exponent(x: Expect) -> Export:
    """The minimal export with the hyperparameter scale set to 1e300; re-sealed."""
    e = minimal()
    e.m["config"]["hyperparameters"] = {"scale": 1e300}
    return e.seal()


# --- versions (VER-01) ------------------------------------------------------------------------


@case("invalid", "versioning", "version-minor-ten-digits", "a minor version of ten digits is "
      "malformed", ["VER-01"],
      # the nine-digit limit is VER-01's own: the schema's pattern lets the value through
      schema_valid=True)
def _ten_digits(x: Expect) -> Export:
    """The minimal export with rex_version 1.1234567890; re-sealed."""
    e = minimal()
    e.m["rex_version"] = "1.1234567890"
    x.find("REX-V101", "/rex_version")
    return e.seal()


@case("warning", "versioning", "version-minor-nine-digits", "a minor version of nine digits is "
      "a newer minor", ["VER-01", "VER-02"])
def _nine_digits(x: Expect) -> Export:
    """The minimal export with rex_version 1.123456789; re-sealed."""
    e = minimal()
    e.m["rex_version"] = "1.123456789"
    x.find("REX-V103", "/rex_version")
    return e.seal()


# --- lineage (LIN-03) -------------------------------------------------------------------------


@case("invalid", "lineage", "cycles-joined", "two loops through one set of steps are one cycle",
      ["LIN-03"])
def _joined(x: Expect) -> Export:
    """The full export with results/model.pkl added to the clean step's inputs and
    results/metrics.json to the train step's; re-sealed."""
    e = full()
    steps = e.m["lineage"]["steps"]
    steps[0]["inputs"].append({"file": "results/model.pkl"})
    steps[1]["inputs"].append({"file": "results/metrics.json"})
    x.find("REX-R101", "/lineage/steps/0")
    return e.seal()


# --- paths (EXP-04, EXP-08, EXP-10) -----------------------------------------------------------


@case("invalid", "paths", "manifest-root-slash", "the path / is absolute, nothing more",
      ["EXP-08"], input="rex.json", schema_valid=False)
def _root_slash(x: Expect) -> dict[str, bytes]:
    """The minimal export plus a file indexed as "/", given as rex.json alone; re-sealed."""
    e = minimal()
    e.add("x.txt", b"x\n").index()
    n = e.idx("x.txt")
    e.m["files"][n]["path"] = "/"
    x.find("REX-X102", f"/files/{n}/path")
    x.find("REX-S101", f"/files/{n}/path")
    return {"rex.json": e.seal().manifest_bytes()}


@case("invalid", "paths", "directory-reserved-name", "a directory's own name breaks a rule",
      ["EXP-08", "EXP-04"])
def _reserved_directory(x: Expect) -> Export:
    """The minimal export plus the indexed file aux/x.txt, as a directory; re-sealed."""
    e = minimal()
    e.add("aux/x.txt", b"x\n").index().seal()
    x.find("REX-X111", f"/files/{e.idx('aux/x.txt')}/path", "rex.json")
    x.find("REX-X111", "", "aux")
    x.find("REX-X111", "", "aux/x.txt")
    return e


@case("invalid", "paths", "unlisted-reserved-name", "an unlisted file whose name breaks a rule "
      "is not C103", ["EXP-08", "IDX-02"])
def _unlisted_reserved(x: Expect) -> dict[str, bytes]:
    """The minimal export as a directory with an unlisted file con.txt."""
    files = as_directory(minimal())
    files["export/con.txt"] = b"x\n"
    x.find("REX-X111", "", "con.txt")
    return files


@case("invalid", "archives", "duplicate-member-first-counts", "of a repeated member the first "
      "is the file", ["EXP-10", "DIG-02"])
def _first_counts(x: Expect) -> dict[str, bytes]:
    """The minimal export as a zip whose code/train.py comes first with other bytes of the same
    length, then as indexed."""
    e = minimal()
    members = e.members()
    first = Member(members[1].name, bytes(len(members[1].data)))
    x.find("REX-X107", "", members[1].name)
    x.find("REX-I102", f"/files/{e.idx(members[1].name)}/digests/sha256")
    return {"export.zip": zip_bytes([members[0], first, *members[1:]])}


def _headers_not_counted(name: str, description: str, fmt: int, headers: str) -> None:
    @case("valid", "limits", name, description, ["EXP-04", "EXP-13"], args=["--max-files", "3"],
          mutation=f"The minimal export plus a file with a 150-character name, as a tar of 3 "
                   f"members whose long name is in {headers}; the entry cap is lowered to 3 by "
                   f"args.")
    def build(x: Expect) -> dict[str, bytes]:
        e = minimal()
        e.add("d/" + "a" * 150 + ".txt", b"x\n").index().seal()
        members = [Member(m.name, m.data) for m in e.members()]
        return {"export.tar": tar_bytes(members, fmt=fmt)}


_headers_not_counted("extended-headers-not-entries", "pax headers are no entries of their own",
                     tarfile.PAX_FORMAT, "a pax extended header")
_headers_not_counted("gnu-long-name-not-an-entry", "a GNU long-name header is no entry of its "
                     "own", tarfile.GNU_FORMAT, "a GNU long-name header (L)")


# --- the compression ratio of a .tar.gz (EXP-04, EXP-13) -------------------------------------


def _noise(size: int, seed: str) -> bytes:
    """``size`` bytes that deflate cannot shrink, the same in every generation."""
    return hashlib.shake_256(seed.encode()).digest(size)


def _gzip_cut(tar: bytes, *cuts: int) -> bytes:
    """``tar`` gzipped as one gzip member per stretch between ``cuts`` (EXP-13)."""
    bounds = [0, *cuts, len(tar)]
    return b"".join(gzip_bytes(tar[a:b]) for a, b in itertools.pairwise(bounds))


def _data_start(tar: bytes, name: str) -> int:
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        return archive.getmember(name).offset_data


@case("invalid", "limits", "compression-bomb-tar-gz", "a tar member over 1,000:1 in a stream "
      "under it", ["EXP-04", "EXP-13"],
      comment="The stream is about 475:1, its gzip members about 5:1 and 650:1, the tar member "
              "data/zeros.bin about 1,025:1.")
def _tar_member_over(x: Expect) -> dict[str, bytes]:
    """The full export plus data/zeros.bin (8,232 KiB of zeros) and results/weights.bin (4 KiB
    of random bytes), indexed, as a tar.gz of two gzip members, the second from zeros.bin's
    data."""
    e = full()
    # a size that is no multiple of 64 KiB: an inflater may read the next block's input while
    # it makes a member's last piece, which then is not the member's alone (EXP-04)
    e.add("data/zeros.bin", bytes((8 << 20) + (40 << 10)), "application/octet-stream", "data")
    e.add("results/weights.bin", _noise(4 << 10, "weights"), "application/octet-stream",
          "result")
    tar = tar_of(e.index().seal())
    x.find("REX-X115", "", "data/zeros.bin")
    return {"export.tar.gz": _gzip_cut(tar, _data_start(tar, "data/zeros.bin"))}


@case("valid", "limits", "gzip-member-over-ratio", "a gzip member over 1,000:1 in a tar member "
      "under it", ["EXP-04", "EXP-13"],
      comment="The second gzip member is about 1,023:1, the tar member data/sparse.bin about "
              "340:1 as a whole and over 1,000:1 in its first 4 MiB, a prefix too short to "
              "judge.")
def _gzip_member_over(x: Expect) -> dict[str, bytes]:
    """The minimal export plus data/sparse.bin (4 MiB of zeros, 8 KiB of random bytes, 64 KiB
    of zeros), indexed, as a tar.gz of three gzip members, the second the 4 MiB of zeros."""
    e = minimal()
    e.add("data/sparse.bin", bytes(4 << 20) + _noise(8 << 10, "sparse") + bytes(64 << 10),
          "application/octet-stream", "data")
    tar = tar_of(e.index().seal())
    start = _data_start(tar, "data/sparse.bin")
    return {"export.tar.gz": _gzip_cut(tar, start, start + (4 << 20))}


@case("invalid", "limits", "compression-bomb-tar-gz-prefix", "a tar member's first 64 MiB over "
      "1,000:1", ["EXP-04", "EXP-11"],
      comment="data/padded.bin is about 680:1 as a whole, over 1,000:1 in its first 64 MiB.")
def _prefix_over(x: Expect) -> dict[str, bytes]:
    """The minimal export plus data/padded.bin (65 MiB of zeros, 32 KiB of random bytes, 128 KiB
    of zeros), indexed, as a tar.gz."""
    e = minimal()
    # the random bytes stand inside the member, not in a 64 KiB piece it shares (EXP-04)
    e.add("data/padded.bin", bytes(65 << 20) + _noise(32 << 10, "padded") + bytes(128 << 10),
          "application/octet-stream", "data")
    e.index().seal()
    x.find("REX-X115", "", "data/padded.bin")
    # reading stops in the member: what follows from it is the validator's choice (EXP-11)
    n = e.idx("data/padded.bin")
    x.may_also("REX-I101", f"/files/{n}/size", "rex.json")
    x.may_also("REX-I102", f"/files/{n}/digests/sha256", "rex.json")
    x.may_also("REX-C102", f"/files/{n}/path", "rex.json")
    return {"export.tar.gz": gzip_bytes(tar_of(e))}


# --- secret-looking names (SEC-06) ------------------------------------------------------------


@case("warning", "secrets", "secret-named-lone-token", "a name that is token alone looks secret",
      ["SEC-06", "SEC-03"])
def _lone_token(x: Expect) -> Export:
    """The minimal export with the hyperparameter token set to a 20-character string; re-sealed."""
    e = minimal()
    e.m["config"]["hyperparameters"] = {"token": "q8Vw2LmZr4Tx9KbN3sYd"}
    x.find("REX-K103", "/config/hyperparameters/token")
    return e.seal()


@case("valid", "secrets", "lone-key-names", "key and key2 alone do not look secret",
      ["SEC-06", "SEC-03"], strict=True)
def _lone_key(x: Expect) -> Export:
    """The minimal export with the hyperparameters key and key2 set to 20-character strings;
    re-sealed."""
    e = minimal()
    e.m["config"]["hyperparameters"] = {"key": "q8Vw2LmZr4Tx9KbN3sYd",
                                        "key2": "q8Vw2LmZr4Tx9KbN3sYe"}
    return e.seal()
