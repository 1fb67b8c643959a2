"""Safe JSON and YAML loading: each parse problem is a finding with its place, never a traceback."""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterator
from itertools import accumulate
from typing import Any

import yaml

from rexport.findings import Finding, pointer

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
    """Return the nesting depth of JSON text (``{}`` is 1), ignoring brackets inside strings.

    Exact for valid JSON (for invalid JSON an estimate: the parser then names the syntax
    error). It runs before ``json.loads``, whose C parser recurses, in about 40 ms for 34 MB:
    a regex over every string costs ten times more, so strings are cancelled with
    ``bytes.replace`` instead.
    """
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
    aliases and tags are refused from the parser's events, before any node is built, so an
    alias bomb never expands. Scalars resolve to JSON types (strings, integers, floats,
    booleans, null): dates stay strings. The value is None when an error was found.
    """
    if len(data) > max_bytes:
        return None, [Finding.of("REX-P107", f"{len(data)} bytes, more than the cap of {max_bytes}",
                                 file=file)]
    text, findings = decode_utf8(data, file=file)
    if text is None:
        return None, findings
    try:
        findings.extend(_yaml_events(text, file, max_depth))
        if findings and any(f.code != "REX-P102" for f in findings):
            return None, findings
        loader = _YamlLoader(text)
        try:
            root = loader.get_single_node()
            value, problems = (None, []) if root is None else _yaml_build(root, loader, file)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        findings.append(_yaml_error(exc, text, file))
        return None, findings
    findings.extend(problems)
    return (None if problems else value), findings


_JSON_TAGS = {"tag:yaml.org,2002:" + t for t in ("bool", "int", "float", "null")}
# Dates, merge keys ("<<") and "=" would give non-JSON values or need aliases: resolve them as
# strings. The C parser is used when PyYAML was built with it, for speed.
_YamlLoader: Any = type("_YamlLoader", (getattr(yaml, "CSafeLoader", yaml.SafeLoader),), {
    "yaml_implicit_resolvers": {
        first: [(tag, rx) for tag, rx in resolvers if tag in _JSON_TAGS]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()},
})


def _yaml_events(text: str, file: str, max_depth: int) -> list[Finding]:
    """Check the event stream: one document, no anchor, alias or tag, depth within the cap."""
    out: list[Finding] = []
    # one frame per open collection: [is_mapping, current key or index, expecting a key]
    frames: list[list[Any]] = []
    documents = 0
    event: Any
    for event in yaml.parse(text, Loader=_YamlLoader):
        line, column = event.start_mark.line + 1, event.start_mark.column + 1
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                out.append(Finding.of("REX-P201", "more than one YAML document", file=file,
                                      line=line, column=column))
                break
        elif isinstance(event, yaml.CollectionEndEvent):
            frames.pop()
            _advance(frames, None)
        elif isinstance(event, yaml.NodeEvent):
            where = _frames_pointer(frames, event)
            if isinstance(event, yaml.AliasEvent):
                out.append(Finding.of("REX-P202", "alias refused", file=file, pointer=where,
                                      line=line, column=column))
            else:
                if event.anchor is not None:
                    out.append(Finding.of("REX-P202", "anchor refused", file=file, pointer=where,
                                          line=line, column=column))
                if getattr(event, "tag", None) is not None:
                    out.append(Finding.of("REX-P203", "explicit tag refused", file=file,
                                          pointer=where, line=line, column=column))
            if isinstance(event, yaml.CollectionStartEvent):
                if len(frames) >= max_depth:
                    out.append(Finding.of("REX-P106", f"nesting deeper than {max_depth} levels",
                                          file=file, pointer=where, line=line, column=column))
                    break
                is_map = isinstance(event, yaml.MappingStartEvent)
                frames.append([is_map, None if is_map else 0, True])
            else:
                _advance(frames, event.value if isinstance(event, yaml.ScalarEvent) else None)
        if len(out) > MAX_PER_CODE:
            break
    return out


def _frames_pointer(frames: list[list[Any]], event: Any) -> str:
    tokens = [f[1] for f in frames]
    if frames and frames[-1][0] and frames[-1][2]:  # the node is a key
        tokens[-1] = event.value if isinstance(event, yaml.ScalarEvent) else "?"
    return pointer(*tokens)


def _advance(frames: list[list[Any]], scalar: str | None) -> None:
    if not frames:
        return
    frame = frames[-1]
    if not frame[0]:
        frame[1] += 1
    elif frame[2]:
        frame[1], frame[2] = ("?" if scalar is None else scalar), False
    else:
        frame[2] = True


def _yaml_build(root: Any, loader: Any, file: str) -> tuple[Any, list[Finding]]:
    """Build the value from a node tree known to hold no alias, without recursion."""
    out: list[Finding] = []
    holder: list[Any] = [None]
    stack: list[tuple[Any, tuple[str | int, ...], Any, Any]] = [(root, (), holder, 0)]
    while stack:
        node, path, parent, slot = stack.pop()
        if isinstance(node, yaml.MappingNode):
            obj: dict[Any, Any] = {}
            parent[slot] = obj
            for key_node, value_node in node.value:
                key = _yaml_scalar(key_node, loader, path, file, out, key=True)
                if key is _BAD:
                    continue
                if key in obj:
                    out.append(Finding.of("REX-P204", "the key appears more than once",
                                          **_node_place(key_node, (*path, _token(key)), file)))
                obj[key] = None
                stack.append((value_node, (*path, _token(key)), obj, key))
        elif isinstance(node, yaml.SequenceNode):
            items: list[Any] = [None] * len(node.value)
            parent[slot] = items
            stack.extend((item, (*path, i), items, i) for i, item in enumerate(node.value))
        else:
            parent[slot] = _yaml_scalar(node, loader, path, file, out)
    return holder[0], sorted(out, key=lambda f: (f.line or 0, f.column or 0))


_BAD = object()


def _yaml_scalar(node: Any, loader: Any, path: tuple[str | int, ...], file: str,
                 out: list[Finding], *, key: bool = False) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        out.append(Finding.of("REX-P201", "a mapping key must be a scalar",
                              **_node_place(node, path, file)))
        return _BAD
    if node.tag == "tag:yaml.org,2002:int" and len(node.value) > _INT_DIGITS:
        out.append(Finding.of("REX-P201", f"integer longer than {_INT_DIGITS} digits",
                              **_node_place(node, path, file)))
        return _BAD
    value = loader.construct_object(node)
    if isinstance(value, float) and not math.isfinite(value):
        place = (*path, _token(value)) if key else path
        out.append(Finding.of("REX-P105", "NaN or infinity is not a JSON number",
                              **_node_place(node, place, file)))
    return value


def _token(key: Any) -> str:
    if isinstance(key, str):
        return key
    return json.dumps(key) if key is None or isinstance(key, bool) else str(key)


def _node_place(node: Any, path: tuple[str | int, ...], file: str) -> dict[str, Any]:
    mark = node.start_mark
    return dict(file=file, pointer=pointer(*path), line=mark.line + 1, column=mark.column + 1)


def _yaml_error(exc: yaml.YAMLError, text: str, file: str) -> Finding:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        line, column = mark.line + 1, mark.column + 1
    else:
        line, column = _place(text, getattr(exc, "position", -1))
    problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or "invalid YAML"
    return Finding.of("REX-P201", str(problem), file=file, line=line, column=column)
