"""Cases of export.md: the manifest file, required members, identifiers, paths in the manifest."""

from __future__ import annotations

import json
import unicodedata

from bases import full, minimal
from registry import Expect, case, shown
from rexgen import Export, dump

# --- containers and the manifest file (EXP-01, EXP-02, EXP-06) -------------------------------


@case("valid", "export", "minimal", "the least that is valid, as a directory",
      ["EXP-01", "EXP-02", "EXP-06", "VAL-01", "VAL-05"])
def _minimal(x: Expect) -> Export:
    """The minimal export as a directory; nothing changed."""
    return minimal()


@case("valid", "export", "full", "every object filled, as a directory",
      ["EXP-01", "EXP-06", "VAL-06"])
def _full(x: Expect) -> Export:
    """The full export as a directory; nothing changed."""
    return full()


@case("valid", "export", "rex-json-elsewhere", "a rex.json below the root is an ordinary file",
      ["EXP-02"])
def _rex_json_elsewhere(x: Expect) -> Export:
    """The minimal export plus code/rex.json, an ordinary indexed file; re-sealed."""
    e = minimal()
    e.add("code/rex.json", b'{"not": "a manifest"}\n', "application/json", "code")
    return e.index().seal()


@case("valid", "export", "title-and-description", "optional title and description",
      ["EXP-06"])
def _title(x: Expect) -> Export:
    """The minimal export with a title and a description added; re-sealed."""
    e = minimal()
    e.m["title"] = "A title"
    e.m["description"] = "A longer description of the run."
    return e.seal()


@case("invalid", "export", "no-manifest", "a directory without rex.json", ["EXP-02"])
def _no_manifest(x: Expect) -> dict[str, bytes]:
    """The minimal export as a directory without its rex.json."""
    x.find("REX-C101")
    e = minimal()
    return {f"export/{p}": d for p, d in e.files.items()}


def _missing(member: str, section: str) -> None:
    @case("invalid", "export", f"missing-{member.replace('_', '-')}",
          f"required member {member} is missing", sorted({"EXP-06", section}),
          mutation=f"The minimal export without its top-level member {member}; re-sealed.")
    def build(x: Expect) -> Export:
        x.find("REX-C104", f"/{member}")
        e = minimal()
        del e.m[member]
        return e.seal()


for _member, _section in (("created", "EXP-06"), ("producer", "NAR-01"), ("files", "IDX-01"),
                          ("code", "COD-01"), ("environment", "ENV-01"), ("config", "CFG-01"),
                          ("results", "RES-01")):
    _missing(_member, _section)


@case("invalid", "export", "created-not-rfc3339", "created is not an RFC 3339 date-time",
      ["EXP-05", "EXP-06"])
def _created(x: Expect) -> Export:
    """The minimal export with created set to "15/01/2026 10:00"; re-sealed."""
    x.find("REX-S101", "/created")
    e = minimal()
    e.m["created"] = "15/01/2026 10:00"
    return e.seal()


@case("invalid", "export", "negative-size", "a file size is negative", ["EXP-05", "IDX-01"])
def _negative_size(x: Expect) -> Export:
    """The minimal export with files[0].size set to -1; re-sealed."""
    x.find("REX-S101", "/files/0/size")
    e = minimal()
    e.m["files"][0]["size"] = -1
    return e.seal()


@case("invalid", "export", "duplicate-dataset-id", "two datasets share an id", ["EXP-07",
                                                                                 "DAT-01"])
def _dup_dataset(x: Expect) -> Export:
    """The full export with the second dataset's id set to iris-raw, the first one's, and the
    splits pointed at it; re-sealed."""
    x.find("REX-R108", "/data/datasets/1/id")
    e = full()
    e.m["data"]["datasets"][1]["id"] = "iris-raw"
    for split in e.m["data"]["splits"]:
        split["dataset"] = "iris-raw"
    return e.seal()


@case("invalid", "export", "duplicate-split-name", "two splits share a name", ["EXP-07",
                                                                                "DAT-05"])
def _dup_split(x: Expect) -> Export:
    """The full export with the second split renamed train and the references to test dropped; re-
    sealed."""
    x.find("REX-R108", "/data/splits/1/name")
    e = full()
    e.m["data"]["splits"][1]["name"] = "train"
    e.m["config"]["splits"] = ["train"]
    e.m["replay"]["metrics"][0].pop("split")
    e.m["results"]["metrics"][0].pop("split")
    return e.seal()


@case("invalid", "export", "duplicate-step-id", "two lineage steps share an id", ["EXP-07",
                                                                                   "LIN-01"])
def _dup_step(x: Expect) -> Export:
    """The full export with the third lineage step's id set to train, the second one's; re-
    sealed."""
    x.find("REX-R108", "/lineage/steps/2/id")
    e = full()
    e.m["lineage"]["steps"][2]["id"] = "train"
    return e.seal()


@case("valid", "export", "identifiers-differ-by-case", "ids that differ only by case are unique",
      ["EXP-07"])
def _ids_case(x: Expect) -> Export:
    """The full export with the test split renamed Train and every reference to it following; re-
    sealed."""
    e = full()
    e.m["data"]["splits"][1]["name"] = "Train"
    e.m["config"]["splits"] = ["train", "Train"]
    e.m["replay"]["metrics"][0]["split"] = "Train"
    e.m["results"]["metrics"][0]["split"] = "Train"
    return e.seal()


# --- the manifest text (EXP-03, EXP-04) ---------------------------------------------------


def _text(name: str, description: str, code: str, text: bytes, sections: list[str],
          pointer: str | None = None, *, mutation: str | None = None) -> None:
    @case("invalid", "parse", name, description, sections, mutation=mutation)
    def build(x: Expect) -> Export:
        x.find(code, pointer)
        if code == "REX-P104":  # the checks go on with the last value, which was not sealed
            x.find("REX-I104", "/export_digest")
        e = minimal()
        e.raw_manifest = text
        return e


def _manifest_text(e: Export) -> str:
    return dump(e.m).decode("utf-8")


_base = _manifest_text(minimal())
_text("not-json", "rex.json is not JSON", "REX-P101",
      _base.replace('"code": {', '"code" {', 1).encode(), ["EXP-03", "VAL-04"], "",
      mutation="The minimal export with the colon after \"code\" removed from rex.json's text.")
_text("trailing-content", "a second value after the manifest object", "REX-P101",
      (_base + "{}\n").encode(), ["EXP-03"], "",
      mutation="The minimal export with {} written after the manifest object.")
_text("byte-order-mark", "rex.json starts with a UTF-8 byte order mark", "REX-P102",
      b"\xef\xbb\xbf" + _base.encode(), ["EXP-03"], "",
      mutation="The minimal export with the bytes EF BB BF put before rex.json's text.")
_text("invalid-utf8", "rex.json holds bytes that are not UTF-8", "REX-P103",
      _base.replace("Linux", "Lin\udcffux").encode("utf-8", "surrogateescape"), ["EXP-03"], "",
      mutation="The minimal export with the byte FF put inside the string \"Linux\".")
_text("lone-surrogate", "a string holds an escaped lone surrogate", "REX-P103",
      _base.replace('"Linux"', '"Linux \\ud800"').encode(), ["EXP-03"], "/environment/os/name",
      mutation="The minimal export with the escape \\ud800 added to the string \"Linux\".")
_text("duplicate-key", "an object has the same member twice", "REX-P104",
      _base.replace('"architecture": "x86_64"',
                    '"architecture": "x86_64", "architecture": "arm64"').encode(), ["EXP-03"],
      "/environment/architecture",
      mutation="The minimal export with a second member \"architecture\" written in environment.")
_text("duplicate-key-escaped", "duplicate member names spelled with escapes", "REX-P104",
      _base.replace('"architecture": "x86_64"',
                    '"architecture": "x86_64", "\\u0061rchitecture": "arm64"').encode(),
      ["EXP-03"], "/environment/architecture",
      mutation="The minimal export with a second member \"\\u0061rchitecture\" written in "
               "environment.")
_text("nan", "a number is NaN", "REX-P105",
      _base.replace('"value": 0.8333', '"value": NaN').encode(), ["EXP-03"],
      "/results/metrics/0/value",
      mutation="The minimal export with the metric value 0.8333 written NaN.")
_text("infinity", "a number is -Infinity", "REX-P105",
      _base.replace('"value": 0.8333', '"value": -Infinity').encode(), ["EXP-03"],
      "/results/metrics/0/value",
      mutation="The minimal export with the metric value 0.8333 written -Infinity.")
_text("number-overflow", "a number overflows a double", "REX-P105",
      _base.replace('"value": 0.8333', '"value": 1e400').encode(), ["EXP-03"],
      "/results/metrics/0/value",
      mutation="The minimal export with the metric value 0.8333 written 1e400.")
# valid JSON, yet without an RFC 8785 form: no export digest can match it (EXP-03, DIG-04)
_text("integer-too-large", "an integer beyond 2^53-1", "REX-I104",
      _base.replace('"python": 0', '"python": 9007199254740993').encode(), ["EXP-03", "DIG-04"],
      "/export_digest", mutation="The minimal export with the python seed 0 written "
                                 "9007199254740993 (2^53+1); export digest kept.")
_text("integer-too-small", "an integer below -(2^53-1)", "REX-I104",
      _base.replace('"python": 0', '"python": -9007199254740992').encode(), ["EXP-03", "DIG-04"],
      "/export_digest", mutation="The minimal export with the python seed 0 written "
                                 "-9007199254740992 (-2^53); export digest kept.")
_text("top-level-array", "the manifest is an array", "REX-P108",
      ("[" + _base + "]\n").encode(), ["EXP-03"], "",
      mutation="The minimal export with its manifest object put inside an array.")
_nested = "[" * 70 + "]" * 70
_text("too-deep", "the manifest nests 70 arrays", "REX-P106",
      _base.replace('"value": 0.8333', '"value": 0.8333, "x-deep": ' + _nested).encode(),
      ["EXP-04"], "", mutation="The minimal export with a member x-deep of 70 nested arrays "
                               "written in the metric; export digest kept.")



@case("invalid", "parse", "byte-order-mark-checks-go-on", "after a byte order mark the manifest "
      "is still checked", ["EXP-03", "VAL-01"])
def _bom_goes_on(x: Expect) -> Export:
    """The minimal export with files[0].size set to -1, re-sealed, then the bytes EF BB BF put
    before rex.json's text."""
    e = minimal()
    e.m["files"][0]["size"] = -1
    e.raw_manifest = b"\xef\xbb\xbf" + dump(e.seal().m)
    x.find("REX-P102", "")
    x.find("REX-S101", "/files/0/size")
    return e


@case("invalid", "parse", "duplicate-key-last-value", "after a repeated member the checks go on "
      "with its last value", ["EXP-03", "VAL-01"])
def _duplicate_last(x: Expect) -> Export:
    """The minimal export with a second member "architecture" written in environment, whose value
    is the number 5; export digest kept."""
    e = minimal()
    e.raw_manifest = dump(e.m).replace(b'"architecture": "x86_64"',
                                       b'"architecture": "x86_64", "architecture": 5')
    x.find("REX-P104", "/environment/architecture")
    x.find("REX-S101", "/environment/architecture")  # the last value, not the first
    x.find("REX-I104", "/export_digest")  # nor was it sealed
    return e


@case("invalid", "parse", "nan-stops-checks", "after a NaN the manifest is not checked further",
      ["EXP-03", "VAL-01"])
def _nan_stops(x: Expect) -> Export:
    """The minimal export with files[0].size set to -1, re-sealed, then the metric value 0.8333
    written NaN."""
    e = minimal()
    e.m["files"][0]["size"] = -1
    e.raw_manifest = dump(e.seal().m).replace(b'"value": 0.8333', b'"value": NaN')
    x.find("REX-P105", "/results/metrics/0/value")
    x.never("REX-S101")
    return e


@case("valid", "parse", "escapes-and-order", "member order, whitespace and escapes are free",
      ["EXP-03", "DIG-03"])
def _escapes(x: Expect) -> Export:
    """The minimal export with a non-ASCII title, re-sealed, then written with members reversed,
    ASCII escapes and "t\\u0069tle"."""
    e = minimal()
    e.m["title"] = "Caf\u00e9 run"
    e.seal()
    text = json.dumps(dict(reversed(list(e.m.items()))), ensure_ascii=True, indent=None)
    e.raw_manifest = text.replace('"title"', '"t\\u0069tle"').encode()
    return e


@case("valid", "parse", "max-depth", "nesting of exactly 64 is allowed", ["EXP-04"])
def _max_depth(x: Expect) -> Export:
    """The minimal export with hyperparameters holding 61 nested arrays, reaching depth 64; re-
    sealed."""
    e = minimal()
    # top level is depth 1, config 2, hyperparameters 3: 61 more arrays reach 64
    e.m["config"]["hyperparameters"] = {"deep": json.loads("[" * 61 + "]" * 61)}
    return e.seal()


# --- paths written in the manifest (EXP-08, EXP-10) -----------------------------------------


def _manifest_path(name: str, description: str, code: str, path: str,
                   schema_valid: bool) -> None:
    @case("invalid", "paths", f"manifest-{name}", description, ["EXP-08"],
          schema_valid=schema_valid, input="rex.json",
          mutation=f"The minimal export plus a file indexed as {shown(path)}, given as rex.json "
                   "alone; re-sealed.")
    def build(x: Expect) -> dict[str, bytes]:
        e = minimal()
        e.add(path, b"x\n", "text/plain", "other")
        e.index().seal()
        x.find(code, f"/files/{e.idx(path)}/path")
        if not schema_valid:  # the schema's path pattern refuses it too (EXP-05)
            x.find("REX-S101", f"/files/{e.idx(path)}/path")
        return {"rex.json": e.manifest_bytes()}


_manifest_path("traversal", "files lists a path with ..", "REX-X101", "data/../../etc/passwd",
               False)
_manifest_path("absolute", "files lists an absolute path", "REX-X102", "/etc/passwd", False)
_manifest_path("drive-letter", "files lists a drive-letter path", "REX-X103", "C:/temp/x.txt",
               True)
_manifest_path("backslash", "files lists a path with a backslash", "REX-X104",
               "code\\train.py", False)
_manifest_path("control-character", "files lists a path with a control character", "REX-X110",
               "notes\n.txt", False)
_manifest_path("reserved-name", "files lists a Windows reserved name", "REX-X111",
               "out/aux.txt", True)
_manifest_path("trailing-dot", "a path segment ends in a dot", "REX-X111", "notes./a.txt", True)
_manifest_path("dot-segment", "files lists a path with a . segment", "REX-X116",
               "code/./train2.py", False)
_manifest_path("double-slash", "files lists a path with an empty segment", "REX-X116",
               "code//train2.py", False)
_manifest_path("not-nfc", "files lists a path not in NFC", "REX-X117",
               unicodedata.normalize("NFD", "data/caf\u00e9.txt"), True)
_manifest_path("too-long", "files lists a path longer than 1,024 bytes", "REX-X119",
               "data/" + "\u00e9" * 600 + ".txt", True)
_manifest_path("too-many-segments", "files lists a path of 65 segments", "REX-X119",
               "/".join(["d"] * 64 + ["f.txt"]), True)


@case("invalid", "paths", "manifest-case-twins", "files lists two paths equal after case folding",
      ["EXP-10"], input="rex.json")
def _case_twins(x: Expect) -> dict[str, bytes]:
    """The minimal export plus results/Model.pkl and results/model.pkl in the index, given as
    rex.json alone; re-sealed."""
    e = minimal()
    e.add("results/Model.pkl", b"abc", "application/octet-stream", "artifact")
    e.add("results/model.pkl", b"abd", "application/octet-stream", "artifact")
    e.index().seal()
    x.find("REX-X108", f"/files/{e.idx('results/model.pkl')}/path")
    return {"rex.json": e.manifest_bytes()}


@case("invalid", "paths", "manifest-sharp-s-twins", "Strasse and Straße are case-fold twins",
      ["EXP-10"], input="rex.json")
def _sharp_s(x: Expect) -> dict[str, bytes]:
    """The minimal export plus data/STRASSE.txt and data/Straße.txt in the index, given as rex.json
    alone; re-sealed."""
    e = minimal()
    sharp = "data/Stra\u00dfe.txt"
    e.add("data/STRASSE.txt", b"a", "text/plain", "data")
    e.add(sharp, b"b", "text/plain", "data")
    e.index().seal()
    later = max(e.idx(sharp), e.idx("data/STRASSE.txt"))
    x.find("REX-X108", f"/files/{later}/path")
    return {"rex.json": e.manifest_bytes()}


@case("invalid", "paths", "manifest-nfc-twins", "files lists two paths equal after NFC",
      ["EXP-10", "EXP-08"], input="rex.json")
def _nfc_twins(x: Expect) -> dict[str, bytes]:
    """The minimal export plus data/café.txt spelled in NFC and in NFD in the index, given as
    rex.json alone; re-sealed."""
    e = minimal()
    nfc, nfd = "data/caf\u00e9.txt", unicodedata.normalize("NFD", "data/caf\u00e9.txt")
    e.add(nfc, b"a", "text/plain", "data")
    e.add(nfd, b"b", "text/plain", "data")
    e.index().seal()
    later = max(e.idx(nfc), e.idx(nfd))
    x.find("REX-X109", f"/files/{later}/path")
    x.find("REX-X117", f"/files/{e.idx(nfd)}/path")  # every rule a path breaks (EXP-08)
    return {"rex.json": e.manifest_bytes()}


@case("valid", "paths", "unicode-path", "a non-ASCII NFC path is portable", ["EXP-08"])
def _unicode_path(x: Expect) -> Export:
    """The minimal export plus the indexed file "data/raw/iris ☘ sample.csv"; re-sealed."""
    e = minimal()
    e.add("data/raw/iris \u2618 sample.csv", b"a,b\n1,2\n", "text/csv", "data")
    return e.index().seal()
