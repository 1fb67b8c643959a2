"""Cases of versioning.md: rex_version, newer minors, other majors, unknown members, extensions."""

from __future__ import annotations

import json

from bases import full, minimal
from registry import Expect, case
from rexgen import Export, tar_of


@case("valid", "versioning", "version-1-0", "a 1.0 manifest, the oldest minor of 1.x",
      ["VER-01", "VER-02"])
def _v10(x: Expect) -> Export:
    """The full export as it is, rex_version 1.0."""
    x.never("REX-V103")
    return full()


@case("warning", "versioning", "newer-minor", "a 1.7 manifest: valid with a warning",
      ["VER-02", "VER-04"])
def _newer(x: Expect) -> Export:
    """The full export with rex_version 1.7 and an unknown member results.summary; re-sealed."""
    e = full()
    e.m["rex_version"] = "1.7"
    e.m["results"]["summary"] = "accuracy 0.83 on the test split"  # a member 1.7 might define
    x.find("REX-V103", "/rex_version")
    x.never("REX-S102")
    return e.seal()


@case("warning", "versioning", "newer-minor-two-digits", "1.12 is newer than 1.2", ["VER-01",
                                                                                     "VER-02"])
def _newer12(x: Expect) -> Export:
    """The minimal export with rex_version 1.12; re-sealed."""
    e = minimal()
    e.m["rex_version"] = "1.12"
    x.find("REX-V103", "/rex_version")
    return e.seal()


@case("invalid", "versioning", "newer-minor-strict", "a 1.7 manifest under --strict",
      ["VER-02", "VER-04"], strict=True)
def _newer_strict(x: Expect) -> Export:
    """The full export with rex_version 1.7 and an unknown member results.summary; re-sealed."""
    e = full()
    e.m["rex_version"] = "1.7"
    e.m["results"]["summary"] = "accuracy 0.83 on the test split"
    x.find("REX-V103", "/rex_version")
    x.find("REX-S102", "/results/summary")
    return e.seal()


@case("invalid", "versioning", "newer-minor-still-checked", "a 1.7 manifest is still checked "
      "by 1.0 rules", ["VER-02"])
def _newer_checked(x: Expect) -> Export:
    """The full export with rex_version 1.7, re-sealed, then one byte of data/iris.csv changed."""
    e = full()
    e.m["rex_version"] = "1.7"
    e.seal()
    e.files["data/iris.csv"] = e.files["data/iris.csv"].replace(b"5.1", b"5.2")
    x.find("REX-V103", "/rex_version")
    n = e.idx("data/iris.csv")
    for algorithm in e.m["files"][n]["digests"]:  # each recorded algorithm differs (DIG-02)
        x.find("REX-I102", f"/files/{n}/digests/{algorithm}")
    return e


def _major(name: str, version: str, description: str) -> None:
    @case("invalid", "versioning", name, description, ["VER-03"],
          mutation=f"The minimal export with rex_version {version} and files set to a string; "
                   "export digest kept.")
    def build(x: Expect) -> Export:
        e = minimal()
        e.m["rex_version"] = version
        e.m["files"] = "whatever this major says"
        x.find("REX-V102", "/rex_version")
        for code in ("REX-S101", "REX-C102", "REX-C103", "REX-I104"):
            x.never(code)
        return e  # the digest is stale too: not this major's business


_major("major-2", "2.0", "an unknown major version, 2.0")
_major("major-0", "0.9", "major version 0 is not 1")


@case("invalid", "versioning", "major-2-container-still-checked", "a 2.0 manifest in a damaged "
      "tar", ["VER-03", "EXP-11"])
def _major_container(x: Expect) -> dict[str, bytes]:
    """The minimal export with rex_version 2.0, re-sealed, as a tar followed by the bytes
    `trailing`."""
    e = minimal()
    e.m["rex_version"] = "2.0"
    x.find("REX-V102", "/rex_version")
    x.find("REX-X112", "", "export.tar")
    return {"export.tar": tar_of(e.seal()) + b"trailing"}


def _malformed(name: str, value: object, description: str) -> None:
    change = "removed" if value is None else f"set to {json.dumps(value)}"

    @case("invalid", "versioning", name, description, ["VER-01"],
          mutation=f"The minimal export with rex_version {change}; re-sealed.")
    def build(x: Expect) -> Export:
        e = minimal()
        if value is None:
            del e.m["rex_version"]
        else:
            e.m["rex_version"] = value
        x.find("REX-V101", "/rex_version")
        return e.seal()


_malformed("version-with-patch", "1.0.0", "rex_version 1.0.0 has a patch number")
_malformed("version-prefixed", "v1.0", "rex_version v1.0 has a prefix")
_malformed("version-major-only", "1", "rex_version 1 has no minor")
_malformed("version-leading-zero", "01.0", "rex_version 01.0 has a leading zero")
_malformed("version-number", 1.0, "rex_version is a number, not a string")
_malformed("version-missing", None, "rex_version is missing")


@case("valid", "versioning", "unknown-members", "unknown members are ignored by default",
      ["VER-04", "VER-06"])
def _unknown(x: Expect) -> Export:
    """The full export with unknown members results.summary, files[0].comment and future_section;
    re-sealed."""
    e = full()
    e.m["results"]["summary"] = "accuracy 0.83"
    e.m["files"][0]["comment"] = "the training script"
    e.m["future_section"] = {"anything": [1, 2, 3]}
    x.never("REX-S102")
    return e.seal()


@case("invalid", "versioning", "unknown-members-strict", "unknown members under --strict",
      ["VER-04"], strict=True)
def _unknown_strict(x: Expect) -> Export:
    """The full export with unknown members results.summary, files[0].comment and future_section;
    re-sealed."""
    e = full()
    e.m["results"]["summary"] = "accuracy 0.83"
    e.m["files"][0]["comment"] = "the training script"
    e.m["future_section"] = {"anything": [1, 2, 3]}
    x.find("REX-S102", "/results/summary")
    x.find("REX-S102", "/files/0/comment")
    x.find("REX-S102", "/future_section")
    return e.seal()


@case("valid", "versioning", "extensions-strict", "x- members are never reported, even strict",
      ["VER-05", "VER-06"], strict=True)
def _extensions(x: Expect) -> Export:
    """The full export with x- members at the top level, in a file entry, a digest set, a dataset,
    environment and seeds; re-sealed."""
    e = full()
    e.m["x-lab-run-id"] = "2026-01-15/0042"
    e.m["files"][0]["x-lab-origin"] = {"instrument": "caliper-7"}
    e.m["files"][0]["digests"]["x-lab-sha3"] = "not verified"
    e.m["data"]["datasets"][0]["x-rows"] = 6
    e.m["environment"]["x-r"] = {"version": "4.3.2"}
    e.m["config"]["seeds"]["x-note"] = "not a seed"
    x.never("REX-S102")
    return e.seal()


@case("invalid", "versioning", "undefined-member-strict", "a member 1.0 does not define, written "
      "without x-, under --strict", ["VER-06", "VER-04"], strict=True)
def _undefined_strict(x: Expect) -> Export:
    """The full export with a member rows, which 1.0 does not define, in the first dataset;
    re-sealed."""
    e = full()
    e.m["data"]["datasets"][0]["rows"] = 6
    x.find("REX-S102", "/data/datasets/0/rows")
    return e.seal()


@case("valid", "versioning", "free-form-objects-strict", "free-form objects have no unknown "
      "members", ["VER-04"], strict=True)
def _free_form(x: Expect) -> Export:
    """The full export with new members in hyperparameters, augmentation, logging, early_stopping,
    step parameters and replay.environment; re-sealed."""
    e = full()
    e.m["config"]["hyperparameters"]["anything"] = {"goes": True}
    e.m["config"]["augmentation"] = {"flip": 0.5}
    e.m["config"]["logging"] = {"level": "INFO", "every": 10}
    e.m["config"]["early_stopping"]["min_delta"] = 0.001
    e.m["lineage"]["steps"][0]["parameters"]["threshold"] = 3
    e.m["replay"]["environment"]["OMP_NUM_THREADS"] = "1"
    x.never("REX-S102")
    return e.seal()


@case("valid", "versioning", "seed-names-strict", "seed names are data, never unknown members",
      ["VER-04", "CFG-03"], strict=True)
def _seed_names(x: Expect) -> Export:
    """The full export with seeds for torch, torch.cuda and the experiment's own sampler added;
    re-sealed."""
    e = full()
    e.m["config"]["seeds"].update({"torch": 0, "torch.cuda": 7, "my_sampler": 3})
    x.never("REX-S102")
    return e.seal()


@case("valid", "versioning", "extension-any-value", "an extension's value is never checked",
      ["VER-05"])
def _extension_value(x: Expect) -> Export:
    """The minimal export with x-files set to a string and code.x-snapshot to an object; re-
    sealed."""
    e = minimal()
    e.m["x-files"] = "not a list, and that is fine"
    e.m["code"]["x-snapshot"] = {"root": 42}
    return e.seal()


@case("warning", "versioning", "misspelt-member", "a member one edit from a defined one: a "
      "warning in every mode", ["VER-04", "VER-07"])
def _misspelt(x: Expect) -> Export:
    """The full export with its first dataset's `description` spelt `descripton`; re-sealed."""
    e = full()
    e.m["data"]["datasets"][0]["descripton"] = "Fisher's iris measurements"
    x.find("REX-S103", "/data/datasets/0/descripton")
    x.never("REX-S102")
    return e.seal()


@case("invalid", "versioning", "misspelt-rex-version", "rex_verison for rex_version",
      ["VER-01", "VER-07"])
def _misspelt_version(x: Expect) -> Export:
    """The minimal export with `rex_version` renamed `rex_verison`; re-sealed."""
    e = minimal()
    e.m["rex_verison"] = e.m.pop("rex_version")
    x.find("REX-V101", "/rex_version")
    x.find("REX-V104", "/rex_verison")
    x.never("REX-S103")
    return e.seal()
