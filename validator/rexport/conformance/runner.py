"""Running the conformance suite against a validator (the reference in-process, or any command)."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rexport.conformance.suite import (
    PROTOCOL_OPTIONS,
    Answer,
    Case,
    SuiteError,
    expand,
    expectation,
    judge,
)
from rexport.limits import MAX_BYTES, MAX_FILES
from rexport.paths import display
from rexport.reporters import junit
from rexport.versions import SPEC_VERSION

Validator = Callable[[Case], Answer]
REFERENCE = "rexport (in-process)"
RESULT_KIND = "rex-conformance-result"


@dataclass(frozen=True)
class Outcome:
    """One case run: the answer that came and why it failed (nothing when it passed)."""

    case: Case
    answer: Answer
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems


def option_values(args: Sequence[str]) -> dict[str, int]:
    """The protocol options of a case as keyword arguments: ``--max-files 3`` -> max_files=3."""
    values: dict[str, int] = {}
    tokens = list(args)
    for flag, value in zip(tokens[::2], tokens[1::2], strict=False):
        if flag not in PROTOCOL_OPTIONS or not value.isdigit():
            raise SuiteError(f"option {flag} {value} is not part of the protocol")
        values[flag.lstrip("-").replace("-", "_")] = int(value)
    if len(tokens) % 2:
        raise SuiteError(f"option {tokens[-1]} has no value")
    return values


REFUSED = "not run: the case is malformed or asks for more than the protocol allows"


def reference(case: Case) -> Answer:
    """Run the reference validator in-process through its Python API (`rexport.validate`)."""
    from rexport.validation import validate

    if case.problems:
        return Answer(None, error=REFUSED)
    try:
        caps = option_values(case.args)
        report = validate(case.input_path, strict=case.strict,
                          max_files=caps.get("max_files", MAX_FILES),
                          max_bytes=caps.get("max_bytes", MAX_BYTES))
    except Exception as exc:  # a traceback is a failed case, never a crashed run
        return Answer(None, error=f"the validator raised {type(exc).__name__}: {exc}")
    return Answer(report.exit_code, report.to_json())


def command_validator(template: str, *, timeout: float = 120.0) -> Validator:
    """A validator that runs ``template`` (``{path}``, optionally ``{args}``) for each case."""
    tokens = shlex.split(template)
    if not any("{path}" in token for token in tokens):
        raise SuiteError(f"validator command {template!r} has no {{path}}")
    if shutil.which(tokens[0]) is None:
        raise SuiteError(f"validator command not found: {tokens[0]}")

    def run(case: Case) -> Answer:
        if case.problems:
            return Answer(None, error=REFUSED)
        argv = expand(tokens, case)
        try:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return Answer(None, error=f"timed out after {timeout:g} s")
        except OSError as exc:
            return Answer(None, error=f"could not run the validator: {exc}")
        try:
            report = json.loads(done.stdout)
        except ValueError:
            report = None
        return Answer(done.returncode, report)

    return run


def run(cases: Sequence[Case], validator: Validator, *, jobs: int = 1, exact: bool = True
        ) -> list[Outcome]:
    """Run every case (``jobs`` at a time) and judge each answer; results in case order.
    ``exact``: error-level findings the case does not allow fail it (see suite.judge).

    A case with problems (see Case.load: invalid against case.schema.json, an option or an
    input the protocol does not allow) fails with them, and the validator never sees it.
    """
    def answer(case: Case) -> Answer:
        return Answer(None, error=REFUSED) if case.problems else validator(case)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        answers = list(pool.map(answer, cases))
    return [Outcome(case, got, case.problems or tuple(judge(case, got, exact=exact)))
            for case, got in zip(cases, answers, strict=True)]


def describe_failure(outcome: Outcome, suite: Path) -> str:
    """A failing case for people: its id and folder, what was expected, what came and why."""
    case = outcome.case
    lines = [f"FAIL {case.id} ({_relative(case.directory, suite)})",
             f"  {case.description}",
             *([f"  changed:  {case.mutation}"] if case.mutation else []),
             f"  expected: {expectation(case)}",
             f"  got:      {outcome.answer.summary()}"]
    lines += [f"  - {problem}" for problem in outcome.problems]
    # descriptions, paths and what a validator printed come from outside: escaped
    return "\n".join(display(line, None) for line in lines)


def summary_line(outcomes: Sequence[Outcome]) -> str:
    passed = sum(o.passed for o in outcomes)
    return f"{passed} passed, {len(outcomes) - passed} failed"


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def result_document(outcomes: Sequence[Outcome], *, suite: Path, validator: str
                    ) -> dict[str, Any]:
    """The run as JSON (what ``--json`` writes and ``rexport badge`` reads)."""
    passed = sum(o.passed for o in outcomes)
    return {
        "kind": RESULT_KIND,
        "spec_version": SPEC_VERSION,
        "validator": validator,
        "passed": passed,
        "failed": len(outcomes) - passed,
        "cases": [{
            "id": o.case.id,
            "path": _relative(o.case.directory, suite),
            "description": o.case.description,
            "sections": list(o.case.sections),
            "passed": o.passed,
            "problems": list(o.problems),
            "expected": expectation(o.case),
            "got": o.answer.summary(),
        } for o in outcomes],
    }


def junit_xml(outcomes: Sequence[Outcome], *, name: str = "rex-conformance") -> bytes:
    """The run as a JUnit XML document: one testcase per case, a failure element per failed one
    (the writer of `rexport validate -o junit`)."""
    cases = tuple(
        junit.Case(o.case.id, f"{o.case.version}.{o.case.outcome}.{o.case.area}",
                   failure=None if o.passed else junit.Problem(
                       "conformance", o.problems[0],
                       f"{o.case.description}\nexpected: {expectation(o.case)}\n"
                       f"got: {o.answer.summary()}\n" + "\n".join(o.problems)))
        for o in outcomes)
    return junit.write([junit.Suite(name, cases)], name=name).encode("utf-8")
