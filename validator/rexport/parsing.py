"""Safe JSON and YAML loading: every parse problem becomes a finding with its place, never a traceback."""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterator
from itertools import accumulate
from typing import Any

from rexport.findings import Finding, pointer
from rexport.yaml_loading import load_yaml_text

__all__ = ["MAX_PER_CODE", "load_json", "load_yaml"]

# Hostile input can hold a million duplicate keys; the report keeps the first ones and a count.
MAX_PER_CODE = 1000
_BOM = b"\xef\xbb\xbf"
_WIDE_BOMS = (b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff")
# Python refuses to convert longer digit strings (CVE-2020-10735); refuse them ourselves first.
_INT_DIGITS = 4300


def load_json(data: bytes, *, file: str = "rex.json", max_depth: int = 64,
              max_bytes: int = 128 << 20, expect_object: bool | None = None,
              ) -> tuple[Any | None, list[Finding]]:
    """Parse ``data`` as strict JSON; return ``(value, findings)`` with P101-P108.

    The value is None when it cannot be used safely (syntax, encoding, non-finite numbers, depth,
    size, or a top level that is not an object where one is expected); a byte order mark (P102)
    and duplicate keys (P104, the last value kept) still give the value so later checks can run.
    ``expect_object`` defaults to True for the manifest (``file`` named ``rex.json``).
    """
    if expect_object is None:
        expect_object = file.rsplit("/", 1)[-1] == "rex.json"
    if len(data) > max_bytes:
        return None, [Finding.of("REX-P107", f"{len(data)} bytes, more than the cap of {max_bytes}",
                                 file=file)]
    findings: list[Finding] = []
    text, early = decode_utf8(data, file=file)
    findings.extend(early)
    if text is None:
        return None, findings
    body = data[3:] if data.startswith(_BOM) else data
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
        line, column = _place(text, text.find(exc.args[0]))
        findings.append(Finding.of("REX-P101", f"integer literal longer than {_INT_DIGITS} digits",
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
        findings.append(Finding.of("REX-P108", f"the top level is a JSON {_json_type(value)}",
                                   file=file))
        unusable = True
    return (None if unusable else value), findings


def decode_utf8(data: bytes, *, file: str) -> tuple[str | None, list[Finding]]:
    """Decode ``data`` as UTF-8: a UTF-8 byte order mark gives P102 and is skipped; other byte
    order marks give P102 and invalid UTF-8 gives P103 (with line and column), with text None."""
    if data.startswith(_BOM):
        found = [Finding.of("REX-P102", "the file starts with a UTF-8 byte order mark",
                            file=file, line=1, column=1)]
        data = data[3:]
    elif data.startswith(_WIDE_BOMS):
        return None, [Finding.of("REX-P102", "the file starts with a UTF-16 or UTF-32 byte order "
                                 "mark; only UTF-8 is accepted", file=file, line=1, column=1)]
    else:
        found = []
    try:
        return data.decode("utf-8"), found
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8", "replace")) + 1
        found.append(Finding.of(
            "REX-P103", f"invalid UTF-8 byte 0x{data[exc.start]:02x} ({exc.reason})", file=file,
            line=data.count(b"\n", 0, exc.start) + 1, column=column))
        return None, found


# --- depth: measured before parsing, with C-speed byte operations only ----------------------------

_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_STEP = [0] * 256
for _c in b"[{":
    _STEP[_c] = 1
for _c in b"]}":
    _STEP[_c] = -1
_QUOTED = re.compile(rb'"[^"]*"')


def json_depth(data: bytes) -> int:
    """Return the nesting depth of the JSON text ``data`` (``{}`` is 1), ignoring brackets in strings.

    Exact for valid JSON; for invalid JSON a number that never hides real nesting. It runs
    before ``json.loads`` (whose C parser recurses) at about 40 ms for 40 MB: a regex over every
    string costs ten times more, so strings are cancelled with ``bytes.replace`` instead.
    """
    if data.count(b"[") + data.count(b"{") == 0:
        return 0
    if b"\\" in data:
        # escapes live only in strings: drop escaped backslashes, then escaped quotes
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    # Keep quotes and brackets. Removing two adjacent quotes keeps the parity of the quotes
    # before every other byte, and parity is what says whether a bracket lies inside a string.
    tokens = data.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in tokens:
        tokens = _QUOTED.sub(b"", tokens)
        cut = tokens.find(b'"')  # an unterminated string runs to the end
        if cut >= 0:
            tokens = tokens[:cut]
    return max(accumulate(map(_STEP.__getitem__, tokens)), default=0)


_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def _deep_place(text: str, max_depth: int) -> tuple[int | None, int | None]:
    # only on the error path: a Python loop is acceptable to name the line and column
    depth = 0
    for m in _JSON_TOKEN.finditer(text):
        tok = m.group()
        if tok in "[{":
            depth += 1
            if depth > max_depth:
                return _place(text, m.start())
        elif tok in "]}":
            depth -= 1
    return None, None


def _place(text: str, offset: int) -> tuple[int | None, int | None]:
    if offset < 0:
        return None, None
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


# --- parsing ----------------------------------------------------------------------------------------

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
    if len(literal) > _INT_DIGITS + 1:
        raise _LongInt(literal[:64])
    return int(literal)


# Use the C fast path for integers only while Python's own digit limit guards it.
_NATIVE_INT_LIMIT = getattr(sys, "get_int_max_str_digits", lambda: 0)()


def _loads(text: str, hooks: _Hooks) -> Any:
    parse_int = None if 0 < _NATIVE_INT_LIMIT <= _INT_DIGITS else _checked_int
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
            stack.extend((path + (k,), v) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((path + (i,), v) for i, v in reversed(list(enumerate(node))))


def _locate(value: Any, hooks: _Hooks, file: str) -> list[Finding]:
    out: list[Finding] = []
    counts: dict[str, int] = {}

    def add(code: str, message: str, path: tuple[str | int, ...]) -> None:
        counts[code] = counts.get(code, 0) + 1
        if counts[code] <= MAX_PER_CODE:
            out.append(Finding.of(code, message, file=file, pointer=pointer(*path)))

    for path, node in _walk(value):
        if isinstance(node, dict):
            entry = hooks.duplicates.get(id(node))
            if entry is not None and entry[0] is node:
                for key in entry[1]:
                    add("REX-P104", "the key appears more than once in this object", path + (key,))
            for key in node:
                if _SURROGATE.search(key):
                    add("REX-P103", "the key holds an unpaired UTF-16 surrogate escape",
                        path + (key,))
        elif isinstance(node, float) and not math.isfinite(node):
            add("REX-P105", "NaN or Infinity is not a JSON number", path)
        elif isinstance(node, str) and _SURROGATE.search(node):
            add("REX-P103", "the string holds an unpaired UTF-16 surrogate escape", path)
    for code, count in counts.items():
        if count > MAX_PER_CODE:
            out.append(Finding.of(code, f"{count - MAX_PER_CODE} more not listed", file=file))
    return out


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def load_yaml(data: bytes, *, file: str, max_depth: int = 64, max_bytes: int = 16 << 20,
              ) -> tuple[Any | None, list[Finding]]:
    """Parse ``data`` as one YAML document of plain scalars, lists and mappings.

    Returns ``(value, findings)`` with P102, P103, P105, P106, P107 and P201-P204. Anchors,
    aliases and tags are refused before anything is built, so an alias bomb never expands.
    Scalars resolve as in JSON (strings, integers, floats, booleans, null): dates stay strings.
    The value is None when any error was found (and for an empty document).
    """
    if len(data) > max_bytes:
        return None, [Finding.of("REX-P107", f"{len(data)} bytes, more than the cap of {max_bytes}",
                                 file=file)]
    text, findings = decode_utf8(data, file=file)
    if text is None:
        return None, findings
    value, problems = load_yaml_text(text, file=file, max_depth=max_depth)
    findings.extend(problems)
    return value, findings
