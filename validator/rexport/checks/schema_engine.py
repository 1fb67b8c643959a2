"""Applying an experiment's JSON Schema with bounded regular expressions, here or in a child
process held to a deadline and a memory cap (CFG-05)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rexport.checks.secret_patterns import REDACTED

# A result is a dict: {"path", "keyword", "evaluation", "location"} for a value that breaks
# the schema, or {"unusable": location, "reason"} when the schema cannot be applied.
Result = dict[str, Any]
# the paths of the listed redaction markers in the instance, as lists of string tokens
Exempt = Sequence[list[str]]

DRAFTS = {"json-schema.org/draft/2020-12/schema": 202012,
          "json-schema.org/draft/2019-09/schema": 201909,
          "json-schema.org/draft-07/schema": 7,
          "json-schema.org/draft-06/schema": 6,
          "json-schema.org/draft-04/schema": 4}
MAX_VIOLATIONS = 1000
SECONDS = 4.0  # the child's deadline
MEMORY = 1 << 30  # the child's address space (at most what this process may have)
# Patterns run in a linear-time engine; only backreferences and look-around need the
# backtracking one, whose steps per match are capped. Compiled programs are capped too.
_BACKTRACK_LIMIT = 100_000
_SIZE_LIMIT = 2 << 20
_BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); "
         "from rexport.checks.schema_engine import main; main()")


def evaluate(schema: Any, instance: Any, draft: int, exempt: Exempt = ()) -> list[Result]:
    """Apply ``schema`` (Draft ``draft``: 4, 6, 7, 201909 or 202012) to ``instance``: the
    values that break it (at most MAX_VIOLATIONS, leaving out each redaction marker whose
    path, as string tokens, is in ``exempt``), or one result saying why the schema cannot be
    applied."""
    import jsonschema_rs

    from rexport.schema.formats import FORMATS

    cls = {4: jsonschema_rs.Draft4Validator, 6: jsonschema_rs.Draft6Validator,
           7: jsonschema_rs.Draft7Validator, 201909: jsonschema_rs.Draft201909Validator,
           202012: jsonschema_rs.Draft202012Validator}[draft]
    options = jsonschema_rs.FancyRegexOptions(backtrack_limit=_BACKTRACK_LIMIT,
                                              size_limit=_SIZE_LIMIT,
                                              dfa_size_limit=_SIZE_LIMIT)
    try:
        validator = cls(schema, formats=dict(FORMATS), validate_formats=True,
                        pattern_options=options, offline=True)  # never retrieves
    except jsonschema_rs.ValidationError as exc:  # the metaschema, a pattern, a $ref
        return [{"unusable": list(exc.instance_path),
                 "reason": f"not a valid schema: {_rule(exc.kind)}"}]
    except (ValueError, TypeError, OverflowError, RecursionError, MemoryError) as exc:
        return [{"unusable": [], "reason": f"the schema cannot be read ({type(exc).__name__})"}]
    found: list[Result] = []
    exempted = {tuple(p) for p in exempt}
    try:
        for error in validator.iter_errors(instance):
            name = type(error.kind).__name__
            if name in ("BacktrackLimitExceeded", "RegexEngineFailure"):
                return [{"unusable": list(error.schema_path),
                         "reason": "matching this pattern exceeds the regular-expression "
                                   "engine's limits"}]
            path = list(error.instance_path)
            if _at(instance, path) == REDACTED and tuple(map(str, path)) in exempted:
                continue  # a listed redaction is known to be unknown (SEC-04)
            # the evaluation path goes through each $ref, as python-jsonschema's
            # absolute_schema_path did; the schema path is where the keyword is in the file
            found.append({"path": path, "keyword": str(error.kind.name),
                          "evaluation": list(getattr(error, "evaluation_path",
                                                     error.schema_path)),
                          "location": list(error.schema_path)})
            if len(found) >= MAX_VIOLATIONS:
                break
    except (ValueError, TypeError, OverflowError, RecursionError, MemoryError) as exc:
        return [{"unusable": [], "reason": f"the schema cannot be applied ({type(exc).__name__})"}]
    return found


def _rule(kind: Any) -> str:
    name = getattr(kind, "name", None)
    return f"its metaschema's {name!r} rule" if isinstance(name, str) else "its metaschema"


def _at(instance: Any, path: list[str | int]) -> Any:
    for token in path:
        try:
            instance = instance[token]
        except (KeyError, IndexError, TypeError):
            return None
    return instance


def evaluate_isolated(schema: Any, instance: Any, draft: int, exempt: Exempt = (), *,
                      seconds: float | None = None, memory: int | None = None) -> list[Result]:
    """:func:`evaluate` in a child process that is killed after ``seconds`` (SECONDS) and may
    use at most ``memory`` (MEMORY) bytes of address space: whatever the schema makes it
    do, this returns."""
    seconds = SECONDS if seconds is None else seconds
    memory = MEMORY if memory is None else memory
    try:
        payload = json.dumps({"schema": schema, "instance": instance, "draft": draft,
                              "exempt": list(exempt), "memory": memory}).encode()
    except (ValueError, TypeError, RecursionError) as exc:  # not JSON data, or nested too deep
        return [{"unusable": [], "reason": f"the schema cannot be applied ({type(exc).__name__})"}]
    package = str(Path(__file__).resolve().parents[2])
    try:
        done = subprocess.run([sys.executable, "-I", "-B", "-c", _BOOT, package], input=payload,
                              capture_output=True, timeout=seconds, check=False)
    except subprocess.TimeoutExpired:
        return [_beyond_limits(seconds, memory)]
    except OSError as exc:
        return [{"unusable": [], "reason": f"no process could apply the schema: {exc.strerror}"}]
    try:
        results = json.loads(done.stdout)
    except ValueError:
        results = None
    if done.returncode == 0 and isinstance(results, list):
        return results
    if results == _BEYOND or done.returncode in _KILLED:
        return [_beyond_limits(seconds, memory)]  # out of memory, in Python or in the engine
    return [{"unusable": [], "reason": "applying the schema failed (a crash of the schema "
                                       f"engine: exit {done.returncode})"}]


_BEYOND = "beyond limits"  # what the child says when it ran out of memory
# how a child out of memory in the engine's own allocations ends (an abort), or killed
_KILLED = {-getattr(signal, name) for name in ("SIGABRT", "SIGKILL") if hasattr(signal, name)}


def _beyond_limits(seconds: float, memory: int) -> Result:
    # which limit a schema reaches first depends on how busy the machine is: one message for
    # both, so that a report does not change from one run to the next
    return {"unusable": [], "reason": f"applying the schema needs more than {seconds:g} s or "
                                      f"{memory >> 20} MiB"}


def main() -> None:
    """The child's side of :func:`evaluate_isolated`: a payload on stdin, results on stdout."""
    # the cap comes first, before the payload is read: nothing below may exceed it
    memory = _limit_memory(MEMORY)
    try:
        payload = json.loads(sys.stdin.buffer.read())
        if int(payload.get("memory", memory)) < memory:
            _limit_memory(int(payload["memory"]))
        results = evaluate(payload["schema"], payload["instance"], int(payload["draft"]),
                           [list(map(str, p)) for p in payload.get("exempt", [])])
        text = json.dumps(results)
    except MemoryError:
        text = json.dumps(_BEYOND)
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        text = json.dumps([{"unusable": [], "reason": "the schema cannot be applied "
                                                      f"({type(exc).__name__})"}])
    sys.stdout.write(text)
    sys.stdout.flush()


def _limit_memory(limit: int) -> int:
    try:
        import resource
    except ImportError:  # not on Windows: the deadline still holds
        return limit
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    for bound in (soft, hard):
        if bound != resource.RLIM_INFINITY:
            limit = min(limit, bound)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    return limit
