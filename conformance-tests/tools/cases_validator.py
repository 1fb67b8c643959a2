"""Cases of validator.md: inputs, the bare manifest, collecting every finding, strict mode."""

from __future__ import annotations

from bases import full, minimal
from registry import Expect, case
from rexgen import Export


@case("invalid", "validator", "input-not-found", "the path does not exist", ["VAL-02", "VAL-05"],
      input="missing.tgz")
def _missing(x: Expect) -> dict[str, bytes]:
    """No export at all: the input names missing.tgz, which does not exist."""
    x.find("REX-U101", "")
    return {}


@case("invalid", "validator", "input-unsupported", "a .rar is no REX input", ["VAL-02"],
      input="export.rar")
def _rar(x: Expect) -> dict[str, bytes]:
    """No export: a file export.rar holding a RAR signature and zero bytes."""
    x.find("REX-U102", "")
    return {"export.rar": b"Rar!\x1a\x07\x00" + bytes(64)}


@case("invalid", "validator", "input-not-an-archive", "a .zip that holds plain text",
      ["VAL-02", "EXP-11"], input="export.zip", schema_valid=None)
def _text_zip(x: Expect) -> dict[str, bytes]:
    """No export: a file export.zip holding plain text."""
    # a name that promises an archive the file does not hold: an invalid export, not an
    # input error (VAL-02), so exit code 1
    x.find("REX-X118", "", "export.zip")
    x.may_also("REX-C101", "", "rex.json")  # nothing was read: the tree has no manifest
    return {"export.zip": b"this file is not a zip archive at all\n" * 4}


@case("valid", "validator", "manifest-only", "a bare rex.json: payload checks skipped",
      ["VAL-03", "VAL-02"], input="rex.json")
def _bare(x: Expect) -> dict[str, bytes]:
    """The full export's rex.json alone."""
    x.find("REX-C106", "", "rex.json")
    return {"rex.json": full().manifest_bytes()}


@case("valid", "validator", "manifest-only-other-name", "a bare manifest is any .json file",
      ["VAL-02", "VAL-03"], input="manifest.json")
def _other_name(x: Expect) -> dict[str, bytes]:
    """The minimal export's rex.json alone, named manifest.json."""
    x.find("REX-C106", "")
    return {"manifest.json": minimal().manifest_bytes()}


@case("invalid", "validator", "every-finding-collected", "two problems in one run",
      ["VAL-01", "VAL-08"])
def _both(x: Expect) -> Export:
    """The full export with a row added to data/iris.csv and an unlisted notes.txt; index kept."""
    e = full()
    e.files["data/iris.csv"] += b"5.0,3.6,1.4,0.2,setosa\n"
    e.files["notes.txt"] = b"forgotten\n"
    x.find("REX-I101", f"/files/{e.idx('data/iris.csv')}/size", "rex.json")
    x.find("REX-C103", "", "notes.txt")
    return e


@case("invalid", "validator", "warning-counts-under-strict", "a warning makes --strict invalid",
      ["VAL-04", "VAL-05"], strict=True)
def _strict(x: Expect) -> Export:
    """The minimal export with rex_version 1.3; re-sealed."""
    e = minimal()
    e.m["rex_version"] = "1.3"
    x.find("REX-V103", "/rex_version")
    return e.seal()


@case("valid", "validator", "info-never-fails", "an info finding leaves --strict valid",
      ["VAL-04"], strict=True, input="rex.json")
def _info(x: Expect) -> dict[str, bytes]:
    """The minimal export's rex.json alone."""
    x.find("REX-C106", "")
    return {"rex.json": minimal().manifest_bytes()}
