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
# the options the protocol passes to a validator under test (spec/v1/validator.md VAL-10)
PROTOCOL_OPTIONS = ("--max-files", "--max-bytes")
MAX_CASE_BYTES = 1 << 20  # an expected.json is a few hundred bytes


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
    problems: tuple[str, ...] = ()  # why the case is refused unrun; empty for a usable case
    mutation: str | None = None  # what was changed from the base export, for people
    may_also: tuple[ExpectedFinding, ...] = ()  # errors the spec lets a validator add (VAL-11)

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
    def load(cls, directory: Path, checker: Any = None) -> Case:
        """Read ``directory/expected.json``.

        A case that cannot be used (unreadable, invalid against the suite's case schema when
        ``checker`` is given, or asking for an option or an input the protocol does not
        allow) comes back with its ``problems``: it fails, and nothing is run for it.
        """
        try:
            with (directory / "expected.json").open("rb") as fp:
                raw = fp.read(MAX_CASE_BYTES + 1)
            data: Any = json.loads(raw) if len(raw) <= MAX_CASE_BYTES else None
        except (OSError, ValueError, RecursionError) as exc:
            return cls._refused(directory, {}, [f"expected.json unreadable: {exc}"])
        problems = case_problems(data, directory, checker)
        if problems:
            return cls._refused(directory, data, problems)
        try:
            findings = _expected(data.get("findings", []))
            valid = bool(data["valid"])
            name, area, outcome, version = _place(directory)
            return cls(
                directory=directory, version=version, outcome=outcome, area=area, name=name,
                description=str(data["description"]), valid=valid,
                exit_code=int(data.get("exit_code", 0 if valid else 1)), findings=findings,
                absent=tuple(data.get("absent", [])), sections=tuple(data.get("sections", [])),
                strict=bool(data.get("strict", False)), args=tuple(data.get("args", [])),
                input=str(data.get("input") or _default_input(directory)),
                schema_valid=data.get("schema_valid"),
                mutation=str(data["mutation"]) if "mutation" in data else None,
                may_also=_expected(data.get("may_also", [])))
        except (SuiteError, ValueError, KeyError, TypeError, AttributeError) as exc:
            return cls._refused(directory, data, [f"unusable case: {exc}"])

    @classmethod
    def _refused(cls, directory: Path, data: Any, problems: Sequence[str]) -> Case:
        description = data.get("description") if isinstance(data, dict) else None
        name, area, outcome, version = _place(directory)
        return cls(directory=directory, version=version, outcome=outcome, area=area, name=name,
                   description=description if isinstance(description, str) else "",
                   valid=False, exit_code=1, findings=(), absent=(), sections=(), strict=False,
                   args=(), input="", schema_valid=None, problems=tuple(problems))


def _expected(items: Sequence[Mapping[str, Any]]) -> tuple[ExpectedFinding, ...]:
    return tuple(ExpectedFinding(f["code"], f.get("pointer"), f.get("file")) for f in items)


def _place(directory: Path) -> tuple[str, str, str, str]:
    """(name, area, outcome, version) of a case folder ``<version>/<outcome>/<area>/<name>``."""
    names = [p.name for p in (directory, *list(directory.parents)[:3])] + ["", "", ""]
    return names[0], names[1], names[2], names[3]


def case_problems(data: Any, directory: Path, checker: Any = None) -> list[str]:
    """Why the case ``data`` (its expected.json) in ``directory`` must not be run: invalid
    against ``checker`` (a validator of case.schema.json), an option the protocol does not
    pass, or an input outside the case folder. Empty when it may run."""
    if not isinstance(data, dict):
        return [f"expected.json is not a JSON object of at most {MAX_CASE_BYTES} bytes"]
    if checker is not None:
        errors = sorted(f"expected.json{''.join(f'/{t}' for t in e.instance_path)}: "
                        f"{e.message}" for e in checker.iter_errors(data))
        if errors:
            return errors
    args = data.get("args", [])
    out = option_problems(args if isinstance(args, list) else [args])
    name = data.get("input")
    if name is None:
        name = next((n for n in EXPORT_NAMES if (directory / n).exists()), None)
    if isinstance(name, str) and not _inside(directory, name):
        out.append(f"input {name!r} is not inside the case folder")
    return out


def option_problems(args: Sequence[Any]) -> list[str]:
    """A problem when ``args`` is not pairs of a protocol option and a count (README)."""
    pairs = list(zip(args[::2], args[1::2], strict=False))
    if len(args) % 2 or any(f not in PROTOCOL_OPTIONS or not isinstance(v, str)
                            or not v.isascii() or not v.isdigit() for f, v in pairs):
        return [f"args must be pairs of {' / '.join(PROTOCOL_OPTIONS)} and a number"]
    return []


def _inside(directory: Path, name: str) -> bool:
    # lexically first (no absolute path, no "..", no backslash), then after links
    parts = name.split("/")
    if not name or "\\" in name or name.startswith("/") or ".." in parts or "\0" in name:
        return False
    base = os.path.realpath(directory)
    target = os.path.realpath(directory / name)
    return os.path.commonpath([base, target]) == base and target != base


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
    """Every case of one suite version, in a stable order, each checked against the suite's
    case.schema.json (a case that fails it is refused, see Case.load); raise SuiteError when
    that schema cannot be used."""
    checker = case_checker(suite)
    return [Case.load(d, checker) for d in case_directories(suite, version)]


def case_checker(suite: Path) -> Any:
    """A Draft 2020-12 validator of the suite's case.schema.json; raise SuiteError when the
    file cannot be read or is not a valid schema."""
    import jsonschema_rs

    try:
        schema = json.loads((suite / SUITE_MARKER).read_text(encoding="utf-8"))
        # building checks the schema against the Draft 2020-12 metaschema
        return jsonschema_rs.Draft202012Validator(schema)
    except (OSError, ValueError, RecursionError, jsonschema_rs.ValidationError) as exc:
        raise SuiteError(f"{suite / SUITE_MARKER}: unusable: {exc}") from exc


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
    if case.may_also:
        text += ", may also " + ", ".join(str(f) for f in case.may_also)
    if case.absent:
        text += ", never " + ", ".join(case.absent)
    return text


def judge(case: Case, answer: Answer, *, exact: bool = True) -> list[str]:
    """Why ``answer`` fails ``case``: an empty list when it passes.

    Judged by the exit code, the report's ``valid`` and the findings (spec/v1/validator.md
    VAL-11): each expected one must be reported; with ``exact``, every error-level finding
    reported must match an expected one or one the case allows (``may_also``). A report is
    optional only with exit code 2 (unreadable input), as the protocol allows.
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
    if exact:
        allowed = case.findings + case.may_also
        problems += [f"reported {_described(f)}, which the case does not allow" for f in got
                     if f.get("severity") not in NOT_ERRORS
                     and not any(want.matches(f) for want in allowed)]
    return problems


# what exact matching leaves to contains semantics; a finding without a known severity is an
# error, so that leaving the severity out never hides a finding
NOT_ERRORS = ("warning", "info")


def _described(finding: Mapping[str, Any]) -> str:
    text = str(ExpectedFinding(str(finding.get("code")), str(finding.get("pointer", ""))))
    return text + f" in {finding.get('file')}" if "file" in finding else text


def expand(template: Sequence[str], case: Case) -> list[str]:
    """The command for ``case``: ``{path}`` replaced by its input, ``{args}`` by its options
    (or, without an ``{args}`` token, the options put just before the token holding ``{path}``)."""
    if case.problems:
        raise ValueError(f"case {case.id} was refused: it is never run")
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
