"""Cases of export.md EXP-08 and EXP-10 beyond files[]: every member holding a path, and twins."""

from __future__ import annotations

from typing import Any

from bases import full, minimal
from registry import Expect, case, dotted, shown
from rexgen import Export, as_directory, tar_bytes

# (case name, member, a path breaking one rule, the code): rules that the schema's path pattern
# lets through where it can, so that the X code is what refuses the value
_MEMBERS: tuple[tuple[str, tuple[str | int, ...], str, str], ...] = (
    ("snapshot-root", ("code", "snapshot", "root"), "code./", "REX-X111"),
    ("vcs-diff", ("code", "vcs", "diff"), "C:/code/uncommitted.diff", "REX-X103"),
    ("entry-point", ("code", "entry_points", 0, "path"), "code/aux.py", "REX-X111"),
    ("embedded-dataset", ("data", "datasets", 0, "embedded", "paths", 0),
     "data/iris\u0301.csv", "REX-X117"),
    ("split", ("data", "splits", 0, "path"), "data/splits/train.idx ", "REX-X111"),
    ("step-code", ("lineage", "steps", 0, "code", "path"), "code/../code/prep.py", "REX-X101"),
    ("step-input", ("lineage", "steps", 1, "inputs", 0, "file"), "c:data/clean.csv",
     "REX-X103"),
    ("step-output", ("lineage", "steps", 0, "outputs", 0, "file"), "data/clean.csv.",
     "REX-X111"),
    ("lockfile", ("environment", "lockfiles", 0, "path"), "environment\\requirements.lock",
     "REX-X104"),
    ("reproduce", ("environment", "reproduce", "path"), "/environment/reproduce.sh",
     "REX-X102"),
    ("config", ("config", "path"), "config//config.yaml", "REX-X116"),
    ("hyperparameters-schema", ("config", "hyperparameters_schema"), "config/NUL.json",
     "REX-X111"),
    ("artifact", ("results", "artifacts", 0, "path"), "a/" * 64 + "model.pkl", "REX-X119"),
    ("working-directory", ("replay", "working_directory"), "LPT1", "REX-X111"),
    ("metrics-file", ("replay", "metrics_file"), "C:/metrics.json", "REX-X103"),
)


# what else each such value is, by other rules that hold whatever the path rules say: the
# schema's path pattern (S101), and the reference to a file the index does not list (R102,
# R103, R105, R109, R110)
_ALSO: dict[str, tuple[str, ...]] = {
    "snapshot-root": ("REX-R110",), "vcs-diff": ("REX-R109",), "entry-point": ("REX-R109",),
    "embedded-dataset": ("REX-R109",), "split": ("REX-R109",),
    "step-code": ("REX-S101", "REX-R103"), "step-input": ("REX-R102",),
    "step-output": ("REX-R102",), "lockfile": ("REX-S101", "REX-R109"),
    "reproduce": ("REX-S101", "REX-R109"), "config": ("REX-S101", "REX-R109"),
    "hyperparameters-schema": ("REX-R109",), "artifact": ("REX-R109",),
    "working-directory": ("REX-R105",),
}


def _member(name: str, where: tuple[str | int, ...], value: str, code: str) -> None:
    @case("invalid", "export", f"member-path-{name}", f"{dotted(where)} breaks a path rule",
          ["EXP-08"], mutation=f"The full export with {dotted(where)} set to {shown(value)}; "
                               "re-sealed.")
    def build(x: Expect) -> Export:
        e = full()
        holder: Any = e.m
        for token in where[:-1]:
            holder = holder[token]
        holder[where[-1]] = value
        x.find(code, "".join(f"/{t}" for t in where))
        for also in _ALSO.get(name, ()):
            x.find(also, "".join(f"/{t}" for t in where))
        return e.seal()


for _args in _MEMBERS:
    _member(*_args)


def _manifest_twin() -> Export:
    e = minimal()
    e.add("REX.json", b"{}\n", "application/json", "other")
    return e.index().seal()


@case("invalid", "export", "manifest-twin-directory", "REX.json beside rex.json in a directory",
      ["EXP-10", "EXP-01"])
def _twin_directory(x: Expect) -> dict[str, bytes]:
    """The minimal export plus an indexed REX.json, a case-fold twin of the manifest's name;
    re-sealed. The later of the two in UTF-8 byte order is rex.json."""
    x.find("REX-X108", "", "rex.json")
    return as_directory(_manifest_twin())


@case("invalid", "archives", "manifest-twin-tar", "REX.json after rex.json in a tar",
      ["EXP-10", "EXP-01"])
def _twin_tar(x: Expect) -> dict[str, bytes]:
    """The minimal export plus an indexed REX.json, stored after rex.json in a tar; re-sealed.
    The twin is reported at rex.json, as in the directory, whatever the members' order."""
    e = _manifest_twin()
    members = e.members()
    first = [m for m in members if m.name == "rex.json"]
    x.find("REX-X108", "", "rex.json")
    return {"export.tar": tar_bytes(first + [m for m in members if m.name != "rex.json"])}

