"""The case registry: each case is a function that builds its folder and states what to expect."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rexgen import Export, as_directory

CASES: list[CaseDef] = []
_UNSET: Any = object()


@dataclass
class Expect:
    """What a case's function declares while it builds the export: findings that must come."""

    findings: list[dict[str, str]] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)

    def find(self, code: str, pointer: str | None = None, file: str | None = None) -> None:
        item = {"code": code}
        if pointer is not None:
            item["pointer"] = pointer
        if file is not None:
            item["file"] = file
        self.findings.append(item)

    def never(self, code: str) -> None:
        self.absent.append(code)


@dataclass
class CaseDef:
    outcome: str
    area: str
    name: str
    description: str
    sections: list[str]
    build: Callable[[Expect], dict[str, bytes] | Export]
    strict: bool = False
    args: list[str] = field(default_factory=list)
    schema_valid: Any = _UNSET
    input: str | None = None
    comment: str | None = None

    def render(self) -> tuple[dict[str, bytes], dict[str, Any]]:
        """The folder's files (relative name -> bytes) and its expected.json."""
        expect = Expect()
        built = self.build(expect)
        files = as_directory(built) if isinstance(built, Export) else built
        codes = {f["code"] for f in expect.findings}
        valid = self.outcome != "invalid"
        doc: dict[str, Any] = {"description": self.description, "valid": valid}
        if any(c.startswith("REX-U") for c in codes):
            doc["exit_code"] = 2
        if expect.findings:
            doc["findings"] = expect.findings
        if expect.absent:
            doc["absent"] = expect.absent
        doc["sections"] = self.sections
        if self.strict:
            doc["strict"] = True
        if self.args:
            doc["args"] = self.args
        if self.input is not None:
            doc["input"] = self.input
        schema_valid = (_schema_validity(codes) if self.schema_valid is _UNSET
                        else self.schema_valid)
        if schema_valid is not None:
            doc["schema_valid"] = schema_valid
        if self.comment:
            doc["comment"] = self.comment
        return files, doc


def _schema_validity(codes: set[str]) -> bool | None:
    """What a plain JSON Schema validator says of the manifest, judged from the codes expected."""
    if codes & {"REX-C101", "REX-P101", "REX-P102", "REX-P103", "REX-P104", "REX-P105",
                "REX-P106", "REX-P107", "REX-U101", "REX-U102", "REX-U103", "REX-X120"}:
        # no manifest, text that JSON parsers read differently, or an archive that common
        # extractors read as another tree (a pax global header renames its members)
        return None
    return not codes & {"REX-S101", "REX-C104", "REX-P108", "REX-V101", "REX-V102", "REX-I103"}


def case(outcome: str, area: str, name: str, description: str, sections: list[str],
         **options: Any) -> Callable[[Callable[[Expect], Any]], Callable[[Expect], Any]]:
    """Register the decorated function as the case ``<outcome>/<area>/<name>``."""
    def register(build: Callable[[Expect], Any]) -> Callable[[Expect], Any]:
        CASES.append(CaseDef(outcome, area, name, description, sections, build, **options))
        return build
    return register
