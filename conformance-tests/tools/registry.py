"""The case registry: each case is a function that builds its folder and states what to expect."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rexgen import Export, as_directory

CASES: list[CaseDef] = []
_UNSET: Any = object()


@dataclass
class Expect:
    """What a case's function declares while it builds the export: the findings that must
    come (with those the spec lets a validator add, every error it may report) and codes that
    must not."""

    findings: list[dict[str, str]] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    allowed: list[dict[str, str]] = field(default_factory=list)

    def find(self, code: str, pointer: str | None = None, file: str | None = None) -> None:
        self.findings.append(_finding(code, pointer, file))

    def may_also(self, code: str, pointer: str | None = None, file: str | None = None) -> None:
        """An error the spec lets a validator report here, or not (a choice it leaves open)."""
        self.allowed.append(_finding(code, pointer, file))

    def never(self, code: str) -> None:
        self.absent.append(code)


def _finding(code: str, pointer: str | None, file: str | None) -> dict[str, str]:
    item = {"code": code}
    if pointer is not None:
        item["pointer"] = pointer
    if file is not None:
        item["file"] = file
    return item


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
    mutation: str | None = None  # what was changed; else the build function's docstring

    @property
    def generated_by(self) -> str:
        """``<module>.py:<function>``: the function that made the case (a factory's own name)."""
        name = self.build.__qualname__.split(".<locals>.")[0]
        return f"{self.build.__module__}.py:{name}"

    @property
    def what_changed(self) -> str:
        """The mutation in one line: the ``mutation`` option, else the function's docstring."""
        line = " ".join((self.mutation or inspect.getdoc(self.build) or "").split())
        if not line:
            where = f"{self.outcome}/{self.area}/{self.name} ({self.generated_by})"
            raise SystemExit(f"{where}: say what the case changes (docstring or mutation=)")
        return line

    def render(self) -> tuple[dict[str, bytes], dict[str, Any]]:
        """The folder's files (relative name -> bytes) and its expected.json."""
        expect = Expect()
        built = self.build(expect)
        files = as_directory(built) if isinstance(built, Export) else built
        codes = {f["code"] for f in expect.findings}
        valid = self.outcome != "invalid"
        doc: dict[str, Any] = {"description": self.description, "mutation": self.what_changed,
                               "valid": valid}
        if any(c.startswith("REX-U") for c in codes):
            doc["exit_code"] = 2
        if expect.findings:
            doc["findings"] = expect.findings
        if expect.allowed:
            doc["may_also"] = expect.allowed
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
        doc["generated_by"] = self.generated_by
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


def shown(value: object, limit: int = 60) -> str:
    """``value`` written for a mutation line, cut at ``limit`` characters.

    Bytes (a file's content) are shown between backticks as the text they decode to, with line
    ends, control characters and undecodable bytes escaped; other values as ASCII JSON.
    """
    if isinstance(value, bytes):
        text = "`" + repr(value.decode("utf-8", "backslashreplace"))[1:-1] + "`"
    else:
        text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= limit else text[:limit - 5] + "[...]"


def dotted(tokens: tuple[str | int, ...]) -> str:
    """A member of the manifest in words: ("data", "splits", 0, "path") is data.splits[0].path."""
    return "".join(f"[{t}]" if isinstance(t, int) else f".{t}" for t in tokens).lstrip(".")
