"""The conformance suite's own lint: case files valid, descriptions unique, codes catalogued."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rexport.conformance.suite import EXPORT_NAMES, OUTCOMES, SUITE_MARKER, case_problems
from rexport.findings import CATALOGUE, Severity
from rexport.paths import MANIFEST

NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
GENERATOR = ("tools", "generate.py")  # a suite that holds its generator makes every case with it
_TOP_LEVEL_DEF = re.compile(r"^def ([A-Za-z_][A-Za-z0-9_]*)\(", re.MULTILINE)
SECTION_MARK = re.compile(r"\*\*\[([A-Z]{3}-[0-9]{2})\]\*\*")
MAX_DESCRIPTION = 80
# the first bytes each archive kind starts with: a case named export.zip must be a zip
_MAGIC: dict[str, tuple[int, bytes]] = {
    "export.tar": (257, b"ustar"), "export.tar.gz": (0, b"\x1f\x8b"),
    "export.tgz": (0, b"\x1f\x8b"), "export.zip": (0, b"PK"),
}


def spec_sections(spec_dir: Path) -> set[str]:
    """Every section id written as ``**[AAA-NN]**`` in the markdown pages under ``spec_dir``."""
    ids: set[str] = set()
    for page in sorted(spec_dir.rglob("*.md")):
        ids.update(SECTION_MARK.findall(page.read_text(encoding="utf-8")))
    return ids


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise ValueError(f"duplicate key {dupes[0]!r}")
    return dict(pairs)


def lint(suite: Path, *, sections: Iterable[str] | None = None) -> list[str]:
    """Every problem of the suite at ``suite``, as ``"<relative path>: <what>"``; empty when clean.

    ``sections``: the spec's section ids, when known, to check that each case cites real ones.
    """
    import jsonschema_rs

    problems: list[str] = []
    try:
        schema = json.loads((suite / SUITE_MARKER).read_text(encoding="utf-8"))
        # building checks the schema against the Draft 2020-12 metaschema
        checker = jsonschema_rs.Draft202012Validator(schema)
    except (OSError, ValueError, jsonschema_rs.ValidationError) as exc:
        return [f"{SUITE_MARKER}: unusable: {exc}"]
    known = set(sections) if sections is not None else None
    seen: dict[str, str] = {}
    makers = _generator_functions(suite)
    versions = sorted(p for p in suite.glob("v*") if p.is_dir())
    if not versions:
        problems.append("no version folder (v1/)")
    for folder in (p for v in versions for p in _walk(v, problems)):
        where = folder.relative_to(suite).as_posix()
        problems += [f"{where}: {p}" for p in _case_problems(folder, checker, known, seen, where,
                                                             makers)]
    return problems


def _generator_functions(suite: Path) -> dict[str, set[str]] | None:
    """The top-level functions of each module of the suite's generator; None without one."""
    tools = suite.joinpath(*GENERATOR).parent
    if not suite.joinpath(*GENERATOR).is_file():
        return None
    return {module.name: set(_TOP_LEVEL_DEF.findall(module.read_text(encoding="utf-8")))
            for module in sorted(tools.glob("*.py"))}


def _maker_problems(data: dict[str, Any], makers: dict[str, set[str]] | None) -> list[str]:
    """In a suite that holds its generator, each case names the function that made it: a
    folder made by hand would be lost when the generator rewrites the suite."""
    if makers is None:
        return []
    made_by = data.get("generated_by")
    if made_by is None:
        return ["no generated_by: every case of this suite comes from tools/generate.py"]
    module, _, function = made_by.partition(":")
    if function not in makers.get(module, set()):
        return [f"generated_by {made_by}: no such function in tools/"]
    return []


def _walk(version: Path, problems: list[str]) -> Iterable[Path]:
    """The case folders of one version; folders out of place are reported on the way."""
    for outcome in sorted(version.iterdir()):
        if outcome.name not in OUTCOMES or not outcome.is_dir():
            problems.append(f"{version.name}/{outcome.name}: not one of {', '.join(OUTCOMES)}")
            continue
        for area in sorted(outcome.iterdir()):
            for case in sorted(area.iterdir()) if area.is_dir() else [area]:
                if not (NAME.match(area.name) and NAME.match(case.name) and case.is_dir()):
                    rel = case.relative_to(version.parent).as_posix()
                    problems.append(f"{rel}: not a case folder <area>/<name> (lowercase, -)")
                    continue
                yield case


def _case_problems(folder: Path, checker: Any, known: set[str] | None, seen: dict[str, str],
                   where: str, makers: dict[str, set[str]] | None) -> list[str]:
    try:
        data = json.loads((folder / "expected.json").read_text(encoding="utf-8"),
                          object_pairs_hook=_no_duplicates)
    except (OSError, ValueError) as exc:
        return [f"expected.json unreadable: {exc}"]
    errors = [f"expected.json{''.join(f'/{t}' for t in e.instance_path)}: {e.message}"
              for e in checker.iter_errors(data)]
    if errors:
        return sorted(errors)
    out: list[str] = []
    description = data["description"]
    if description in seen:
        out.append(f"description also used by {seen[description]}")
    seen.setdefault(description, where)
    out += _verdict_problems(folder.parent.parent.name, data)
    codes = [f["code"] for f in data.get("findings", []) + data.get("may_also", [])] + list(
        data.get("absent", []))
    out += [f"unknown finding code {c}" for c in codes if c not in CATALOGUE]
    if known is not None:
        out += [f"section {s} is not in the spec" for s in data["sections"] if s not in known]
    out += case_problems(data, folder)  # what the runner refuses to run: options, input
    out += _maker_problems(data, makers)
    out += _input_problems(folder, data)
    return out


def _verdict_problems(outcome: str, data: dict[str, Any]) -> list[str]:
    """The outcome folder, ``valid``, ``exit_code`` and the findings must tell one story."""
    valid, listed = data["valid"], [f["code"] for f in data.get("findings", [])]
    exit_code = data.get("exit_code", 0 if valid else 1)
    out = []
    if (outcome == "invalid") == valid:
        out.append(f"valid is {json.dumps(valid)} in an {outcome}/ case")
    unreadable = any(c.startswith("REX-U") for c in listed)
    if exit_code != (0 if valid else 2 if unreadable else 1):
        out.append(f"exit_code {exit_code} does not fit valid and the codes listed")
    if outcome == "invalid" and not listed:
        out.append("an invalid case names at least one finding code")
    severities = {CATALOGUE[c].severity for c in listed if c in CATALOGUE}
    if outcome == "warning" and Severity.WARNING not in severities:
        out.append("a warning/ case names at least one warning code")
    if outcome == "valid" and severities - {Severity.INFO}:
        out.append("a valid/ case lists only info codes (warnings go in warning/)")
    allowed = [f["code"] for f in data.get("may_also", [])]
    if set(listed + allowed) & set(data.get("absent", [])):
        out.append("a code is both expected (or allowed) and absent")
    if any(f in data.get("findings", []) for f in data.get("may_also", [])):
        out.append("a finding is both required and allowed (may_also)")
    if {CATALOGUE[c].severity for c in allowed if c in CATALOGUE} - {Severity.ERROR}:
        out.append("may_also lists only error codes (other severities are never judged)")
    # EXP-05's format grammar is REX's own and stricter than plain validators' format checks:
    # a value may pass them (schema_valid) and still be REX-S101
    format_only = "EXP-05" in (data.get("sections") or [])
    if data.get("schema_valid") is True and {"REX-S101", "REX-C104"} & set(listed) \
            and not format_only:
        out.append("schema_valid is true but a schema finding is expected")
    return out


def _input_problems(folder: Path, data: dict[str, Any]) -> list[str]:
    present = sorted(p.name for p in folder.iterdir() if p.name != "expected.json")
    name = data.get("input")
    if name is None:
        exports = [n for n in present if n in EXPORT_NAMES]
        if len(exports) != 1:
            return [f"holds {len(exports)} exports; exactly one of {', '.join(EXPORT_NAMES)}"]
        name = exports[0]
    top = name.split("/")[0]
    out = [f"stray entry {n} (only expected.json and the export)" for n in present if n != top]
    target = folder / name
    codes = {f["code"] for f in data.get("findings", [])}
    if not target.exists() and "REX-U101" not in codes:
        out.append(f"input {name} does not exist")
    # an input the case declares unreadable, or an archive it declares damaged (a name that
    # promises an archive the bytes are not, VAL-02), may be anything; an export must be what
    # it says
    damaged = "REX-X118" in codes or any(c.startswith("REX-U") for c in codes)
    if name in _MAGIC and target.is_file() and not damaged:
        offset, magic = _MAGIC[name]
        with target.open("rb") as fp:
            fp.seek(offset)
            if fp.read(len(magic)) != magic:
                out.append(f"{name} is not a {name.split('.', 1)[1]} archive")
    if name == "export" and not (target / MANIFEST).exists() and "REX-C101" not in codes:
        out.append("export/ has no rex.json and the case does not expect REX-C101")
    return out
