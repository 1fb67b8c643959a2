"""The conformance suite as data: where it lives, its cases, and how an answer is judged."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rexport.paths import MANIFEST

SUITE_DIR = "conformance-tests"
SUITE_MARKER = "case.schema.json"
OUTCOMES = ("valid", "invalid", "warning")
# the export of a case, in the order looked for; a case may name another input with "input"
EXPORT_NAMES = ("export", "export.tar", "export.tar.gz", "export.tgz", "export.zip", MANIFEST)
# the options the protocol passes to a validator under test (README "Protocol")
PROTOCOL_OPTIONS = ("--max-files", "--max-bytes")


class SuiteError(Exception):
    """The suite cannot be found or one of its case files cannot be read."""


@dataclass(frozen=True)
class ExpectedFinding:
    """A finding that must be reported: its code and, when given, its pointer and file."""

    code: str
    pointer: str | None = None
    file: str | None = None

    def matches(self, got: Mapping[str, Any]) -> bool:
        return (got.get("code") == self.code
                and (self.pointer is None or got.get("pointer") == self.pointer)
                and (self.file is None or got.get("file") == self.file))

    def __str__(self) -> str:
        where = "" if self.pointer is None else f" at {self.pointer or '(root)'}"
        return self.code + where + ("" if self.file is None else f" in {self.file}")


@dataclass(frozen=True)
class Case:
    """One conformance case: ``<version>/<outcome>/<area>/<name>/expected.json`` and its export."""

    directory: Path
    version: str
    outcome: str
    area: str
    name: str
    description: str
    valid: bool
    exit_code: int
    findings: tuple[ExpectedFinding, ...]
    absent: tuple[str, ...]
    sections: tuple[str, ...]
    strict: bool
    args: tuple[str, ...]
    input: str
    schema_valid: bool | None

    @property
    def id(self) -> str:
        return f"{self.outcome}-{self.area}-{self.name}"

    @property
    def input_path(self) -> Path:
        return self.directory / self.input

    @property
    def options(self) -> list[str]:
        """The protocol options for this case, as command-line tokens."""
        return (["--strict"] if self.strict else []) + list(self.args)

    @classmethod
    def load(cls, directory: Path) -> Case:
        """Read ``directory/expected.json``; raise SuiteError when it cannot be used."""
        try:
            data = json.loads((directory / "expected.json").read_text(encoding="utf-8"))
            name, area, outcome, version = (p.name for p in
                                            (directory, *list(directory.parents)[:3]))
            findings = tuple(ExpectedFinding(f["code"], f.get("pointer"), f.get("file"))
                             for f in data.get("findings", []))
            valid = bool(data["valid"])
            return cls(
                directory=directory, version=version, outcome=outcome, area=area, name=name,
                description=str(data["description"]), valid=valid,
                exit_code=int(data.get("exit_code", 0 if valid else 1)), findings=findings,
                absent=tuple(data.get("absent", [])), sections=tuple(data.get("sections", [])),
                strict=bool(data.get("strict", False)), args=tuple(data.get("args", [])),
                input=str(data.get("input") or _default_input(directory)),
                schema_valid=data.get("schema_valid"))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SuiteError(f"{directory}: unreadable case: {exc}") from exc


def _default_input(directory: Path) -> str:
    for name in EXPORT_NAMES:
        if (directory / name).exists():
            return name
    raise SuiteError(f"{directory}: no export ({', '.join(EXPORT_NAMES)})")


def is_suite(path: Path) -> bool:
    """True when ``path`` is a suite root: it holds case.schema.json."""
    return (path / SUITE_MARKER).is_file()


def suite_candidates(cwd: Path | None = None) -> Iterator[Path]:
    """Where a suite is looked for: conformance-tests/ in the working directory or any parent,
    then next to the package (a wheel that ships it) or in a parent (a source checkout)."""
    here = (cwd or Path.cwd()).resolve()
    for base in (here, *here.parents):
        yield base / SUITE_DIR
    package = Path(__file__).resolve().parent
    yield package / SUITE_DIR
    for base in package.parents:
        yield base / SUITE_DIR


def find_suite(explicit: str | os.PathLike[str] | None = None, *, cwd: Path | None = None
               ) -> Path:
    """The suite root: ``explicit`` when given, else the first of :func:`suite_candidates`."""
    if explicit is not None:
        path = Path(explicit)
        if not is_suite(path):
            raise SuiteError(f"{path}: not a conformance suite (no {SUITE_MARKER})")
        return path
    for candidate in suite_candidates(cwd):
        if is_suite(candidate):
            return candidate
    raise SuiteError(f"no {SUITE_DIR}/ found from the working directory or the package; "
                     "give --suite DIR (a checkout's conformance-tests/) or --suite-archive "
                     "FILE (made by `rexport conformance pack-suite`)")


def case_directories(suite: Path, version: str = "v1") -> list[Path]:
    """Every case folder of one suite version, sorted: the folders that hold expected.json."""
    root = suite / version
    return sorted(p.parent for p in root.glob("*/*/*/expected.json"))


def load_cases(suite: Path, version: str = "v1") -> list[Case]:
    """Every case of one suite version, in a stable order."""
    return [Case.load(d) for d in case_directories(suite, version)]


@dataclass(frozen=True)
class Answer:
    """What a validator did with one case: its exit code and the JSON report it printed."""

    exit_code: int | None
    report: Any = None
    error: str | None = None  # the validator could not be run, timed out or crashed

    def findings(self) -> list[Mapping[str, Any]]:
        items = self.report.get("findings") if isinstance(self.report, dict) else None
        return [f for f in items if isinstance(f, dict)] if isinstance(items, list) else []

    def summary(self) -> str:
        if self.error is not None:
            return self.error
        valid = self.report.get("valid") if isinstance(self.report, dict) else None
        found = [str(ExpectedFinding(str(f.get("code")), str(f.get("pointer", ""))))
                 for f in self.findings()]
        return (f"exit {self.exit_code}, valid={json.dumps(valid)}, findings: "
                + (", ".join(found) or "(none)"))


def expectation(case: Case) -> str:
    """One line stating what ``case`` expects."""
    text = f"exit {case.exit_code}, valid={json.dumps(case.valid)}"
    if case.findings:
        text += ", findings include " + ", ".join(str(f) for f in case.findings)
    if case.absent:
        text += ", never " + ", ".join(case.absent)
    return text


def judge(case: Case, answer: Answer) -> list[str]:
    """Why ``answer`` fails ``case``: an empty list when it passes.

    Judged by the exit code, the report's ``valid`` and the contains-semantics on findings; a
    report is optional only with exit code 2 (unreadable input), as the protocol allows.
    """
    if answer.error is not None:
        return [answer.error]
    problems: list[str] = []
    if answer.exit_code != case.exit_code:
        problems.append(f"exit code {answer.exit_code}, expected {case.exit_code}")
    report = answer.report
    if not isinstance(report, dict):
        if answer.exit_code == 2 == case.exit_code:
            return problems
        return [*problems, "stdout is not a JSON report object"]
    if report.get("valid") is not case.valid:
        problems.append(f"valid is {json.dumps(report.get('valid'))}, "
                        f"expected {json.dumps(case.valid)}")
    got = answer.findings()
    problems += [f"missing finding {want}" for want in case.findings
                 if not any(want.matches(f) for f in got)]
    problems += [f"reported {code}, which must not be" for code in case.absent
                 if any(f.get("code") == code for f in got)]
    return problems


def expand(template: Sequence[str], case: Case) -> list[str]:
    """The command for ``case``: ``{path}`` replaced by its input, ``{args}`` by its options
    (or, without an ``{args}`` token, the options put just before the token holding ``{path}``)."""
    path, options = str(case.input_path), case.options
    argv: list[str] = []
    placed = "{args}" in template
    for token in template:
        if token == "{args}":
            argv += options
            continue
        if "{path}" in token and not placed:
            argv += options
            placed = True
        argv.append(token.replace("{path}", path))
    return argv
