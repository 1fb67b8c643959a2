"""Strict JSON loading (EXP-03): every problem a finding with its place, fast on large manifests."""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterator
from typing import Any

from rexport.findings import Finding, pointer
from rexport.json_values import json_type
from rexport.limits import MANIFEST_CAP, MAX_DEPTH
from rexport.parsing._text import BOM, INT_DIGITS, MAX_PER_CODE, decode_utf8, place, too_large
from rexport.parsing.structure import json_depth
from rexport.paths import MANIFEST


def load_json(data: bytes, *, file: str = MANIFEST, max_depth: int = MAX_DEPTH,
              max_bytes: int = MANIFEST_CAP, expect_object: bool | None = None,
              ) -> tuple[Any | None, list[Finding]]:
    """Parse ``data`` as strict JSON; return ``(value, findings)`` with P101-P108.

    The value is None when it cannot be used safely (syntax, encoding, non-finite numbers, depth,
    size, or a top level that is not an object where one is expected); a byte order mark (P102)
    and duplicate keys (P104, the last value kept) still give the value so later checks can run.
    ``expect_object`` defaults to True for the manifest (``file`` named ``rex.json``).
    """
    if expect_object is None:
        expect_object = file.rsplit("/", 1)[-1] == MANIFEST
    big = too_large(len(data), max_bytes, file)
    if big is not None:
        return None, [big]
    findings: list[Finding] = []
    text, early = decode_utf8(data, file=file)
    findings.extend(early)
    if text is None:
        return None, findings
    body = data[3:] if data.startswith(BOM) else data
    if json_depth(body) > max_depth:
        line, column = _deep_place(text, max_depth)
        findings.append(Finding.of("REX-P106", f"nesting deeper than {max_depth} levels",
                                   file=file, line=line, column=column))
        return None, findings
    hooks = _Hooks()
    try:
        value = _loads(text, hooks)
    except json.JSONDecodeError as exc:
        findings.append(Finding.of("REX-P101", exc.msg, file=file, line=exc.lineno,
                                   column=exc.colno))
        return None, findings
    except _LongInt as exc:
        line, column = place(text, text.find(exc.args[0]))
        findings.append(Finding.of("REX-P101", f"integer literal longer than {INT_DIGITS} digits",
                                   file=file, line=line, column=column))
        return None, findings
    except RecursionError:
        # the depth scan above should make this unreachable; keep the promise of no traceback
        findings.append(Finding.of("REX-P106", "nesting too deep to parse", file=file))
        return None, findings
    unusable = False
    if hooks.duplicates or hooks.nonfinite or _ESCAPED_SURROGATE.search(text):
        problems = _locate(value, hooks, file)
        findings.extend(problems)
        unusable = any(f.code != "REX-P104" for f in problems)
    if expect_object and not isinstance(value, dict):
        findings.append(Finding.of("REX-P108", f"the top level is a JSON {json_type(value)}",
                                   file=file))
        unusable = True
    return (None if unusable else value), findings


# --- depth: measured before parsing (structure.json_depth); placed only when too deep -------

_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def _deep_place(text: str, max_depth: int) -> tuple[int | None, int | None]:
    # only on the error path: a Python loop is acceptable to name the line and column
    depth = 0
    for m in _JSON_TOKEN.finditer(text):
        tok = m.group()
        if tok in "[{":
            depth += 1
            if depth > max_depth:
                return place(text, m.start())
        elif tok in "]}":
            depth -= 1
    return None, None


# --- parsing -------------------------------------------------------------------------------------

class _LongInt(ValueError):
    """An integer literal longer than Python converts."""


class _Hooks:
    """json.loads callbacks that note problems cheaply; the slow search for pointers runs only
    when one was noted."""

    def __init__(self) -> None:
        self.duplicates: dict[int, tuple[dict[str, Any], list[str]]] = {}
        self.nonfinite = False

    def pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            dups = [k for k, _ in pairs if k in seen or seen.add(k)]  # type: ignore[func-returns-value]
            self.duplicates[id(obj)] = (obj, list(dict.fromkeys(dups)))
        return obj

    def constant(self, name: str) -> float:
        self.nonfinite = True
        return math.nan

    def number(self, literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):  # 1e400 overflows to infinity
            self.nonfinite = True
        return value


def _checked_int(literal: str) -> int:
    if len(literal) > INT_DIGITS + 1:
        raise _LongInt(literal[:64])
    return int(literal)


# Use the C fast path for integers only while Python's own digit limit guards it.
_NATIVE_INT_LIMIT = getattr(sys, "get_int_max_str_digits", lambda: 0)()


def _loads(text: str, hooks: _Hooks) -> Any:
    parse_int = None if 0 < _NATIVE_INT_LIMIT <= INT_DIGITS else _checked_int
    try:
        return json.loads(text, object_pairs_hook=hooks.pairs, parse_constant=hooks.constant,
                          parse_float=hooks.number, parse_int=parse_int)
    except json.JSONDecodeError:
        raise
    except ValueError:
        # Python's digit limit fired: parse again to learn which literal
        return json.loads(text, parse_int=_checked_int, parse_constant=hooks.constant)


_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89abAB]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _walk(value: Any) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Yield ``(path, node)`` for every node in document order, without recursion."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while stack:
        path, node = stack.pop()
        yield path, node
        if isinstance(node, dict):
            stack.extend(((*path, k), v) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(node))))


def _locate(value: Any, hooks: _Hooks, file: str) -> list[Finding]:
    out: list[Finding] = []
    counts: dict[str, int] = {}

    def add(code: str, message: str, path: tuple[str | int, ...]) -> None:
        counts[code] = counts.get(code, 0) + 1
        if counts[code] <= MAX_PER_CODE:
            # a lone surrogate cannot be written as UTF-8: show it escaped in the pointer
            where = pointer(*path).encode("utf-8", "backslashreplace").decode("utf-8")
            out.append(Finding.of(code, message, file=file, pointer=where))

    for path, node in _walk(value):
        if isinstance(node, dict):
            entry = hooks.duplicates.get(id(node))
            if entry is not None and entry[0] is node:
                for key in entry[1]:
                    add("REX-P104", "the key appears more than once in this object", (*path, key))
            for key in node:
                if _SURROGATE.search(key):
                    add("REX-P103", "the key holds an unpaired UTF-16 surrogate escape",
                        (*path, key))
        elif isinstance(node, float) and not math.isfinite(node):
            add("REX-P105", "NaN or Infinity is not a JSON number", path)
        elif isinstance(node, str) and _SURROGATE.search(node):
            add("REX-P103", "the string holds an unpaired UTF-16 surrogate escape", path)
    for code, count in counts.items():
        if count > MAX_PER_CODE:
            out.append(Finding.of(code, f"{count - MAX_PER_CODE} more not listed", file=file))
    return out


