"""Safe YAML loading (CFG-02): one document of plain mappings, sequences and scalars."""

from __future__ import annotations

import json
import math
from typing import Any

import yaml

from rexport.findings import Finding, pointer
from rexport.limits import CONFIG_CAP, MAX_DEPTH
from rexport.parsing._text import INT_DIGITS, MAX_PER_CODE, decode_utf8, place, too_large

_TAG = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT, _FLOAT = (_TAG + t for t in ("str", "null", "bool", "int", "float"))
# Plain scalars resolve as JSON would read them: null, booleans, integers, floats, else strings.
# Dates, merge keys ("<<") and "=" are left as strings: they would give non-JSON values.
_RESOLVERS: dict[Any, list[tuple[str, Any]]] = {
    first: [(tag, rx) for tag, rx in resolvers if tag in (_NULL, _BOOL, _INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# The C parser is used when PyYAML was built with it: it is several times faster.
LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CONSTRUCT = yaml.constructor.SafeConstructor()
_BAD = object()  # stands for a key that could not be built: its value is dropped


def load_yaml(data: bytes, *, file: str, max_depth: int = MAX_DEPTH, max_bytes: int = CONFIG_CAP,
              ) -> tuple[Any | None, list[Finding]]:
    """Parse ``data`` as one YAML document of plain scalars, lists and mappings.

    Returns ``(value, findings)`` with P102, P103, P105, P106, P107 and P201-P204 (line and
    column given; P201 also for a file with no document). The value is built from the parser's
    events in one pass: aliases are never resolved, so an alias bomb never expands, and tags
    never pick a constructor. Scalars resolve to JSON types; dates stay strings. The value is
    None when an error was found (and for an explicit empty document, ``---``).
    """
    big = too_large(len(data), max_bytes, file)
    if big is not None:
        return None, [big]
    text, findings = decode_utf8(data, file=file)
    if text is None:
        return None, findings
    builder = _Builder(file, max_depth)
    try:
        builder.run(text)
    except yaml.YAMLError as exc:
        builder.findings.append(_syntax_error(exc, text, file))
    findings.extend(builder.findings)
    if builder.findings:
        return None, findings
    return builder.value, findings


class _Frame:
    """An open mapping or sequence, and where the next node goes in it."""

    __slots__ = ("container", "expect_key", "is_map", "key", "path")

    def __init__(self, container: Any, path: tuple[Any, ...]) -> None:
        self.container = container
        self.is_map = isinstance(container, dict)
        self.path = path
        self.key: Any = None
        self.expect_key = True


class _Builder:
    def __init__(self, file: str, max_depth: int) -> None:
        self.file = file
        self.max_depth = max_depth
        self.findings: list[Finding] = []
        self.counts: dict[str, int] = {}
        self.frames: list[_Frame] = []
        self.value: Any = None

    def add(self, code: str, message: str, event: Any, path: tuple[Any, ...]) -> None:
        self.counts[code] = self.counts.get(code, 0) + 1
        if self.counts[code] <= MAX_PER_CODE:
            mark = event.start_mark
            self.findings.append(Finding.of(code, message, file=self.file,
                                            pointer=pointer(*map(_token, path)),
                                            line=mark.line + 1, column=mark.column + 1))

    def run(self, text: str) -> None:
        documents = 0
        for event in yaml.parse(text, Loader=LOADER):
            kind = type(event)
            if kind is yaml.ScalarEvent:
                self.check_node(event)
                self.put(self.scalar(event), event)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                self.check_node(event)
                if len(self.frames) >= self.max_depth:
                    self.add("REX-P106", f"nesting deeper than {self.max_depth} levels", event,
                             self.here())
                    return
                container: Any = {} if kind is yaml.MappingStartEvent else []
                self.frames.append(_Frame(container, self.here()))
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                self.put(self.frames.pop().container, event)
            elif kind is yaml.AliasEvent:
                self.add("REX-P202", "alias refused", event, self.here())
                self.put(None, event)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    self.add("REX-P201", "more than one YAML document", event, ())
                    return
        if documents == 0:
            # an empty file, or comments only: CFG-02 asks for exactly one document
            self.findings.append(Finding.of("REX-P201", "no YAML document (the file holds none)",
                                            file=self.file, line=1, column=1))

    def check_node(self, event: Any) -> None:
        if event.anchor is not None:
            self.add("REX-P202", "anchor refused", event, self.here(event))
        if event.tag is not None:
            self.add("REX-P203", "explicit tag refused", event, self.here(event))

    def here(self, event: Any = None) -> tuple[Any, ...]:
        """The path of the node that comes next (a key is shown by its own text)."""
        if not self.frames:
            return ()
        frame = self.frames[-1]
        if not frame.is_map:
            return (*frame.path, len(frame.container))
        if frame.expect_key:
            return (*frame.path, event.value if isinstance(event, yaml.ScalarEvent) else "?")
        return (*frame.path, frame.key)

    def scalar(self, event: Any) -> Any:
        value: str = event.value
        if not event.implicit[0]:  # quoted: always a string
            return value
        if value.isdecimal() and value.isascii() and (value[0] != "0" or len(value) == 1) \
                and len(value) <= INT_DIGITS:
            return int(value)  # the common case, without the resolvers' regexes
        tag = _STR
        for candidate, regex in _RESOLVERS.get(value[:1], ()):
            if regex.match(value):
                tag = candidate
                break
        if tag == _STR:
            return value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return _CONSTRUCT.bool_values[value.lower()]
        if tag == _INT:
            if len(value) > INT_DIGITS:
                self.add("REX-P201", f"integer longer than {INT_DIGITS} digits", event,
                         self.here(event))
                return _BAD
            return _CONSTRUCT.construct_yaml_int(yaml.ScalarNode(tag, value))
        number = _CONSTRUCT.construct_yaml_float(yaml.ScalarNode(tag, value))
        if not math.isfinite(number):
            self.add("REX-P105", "NaN or infinity is not a JSON number", event, self.here(event))
        return number

    def put(self, value: Any, event: Any) -> None:
        """Place a finished node: the document, an item, a key, or a key's value."""
        if not self.frames:
            self.value = value
            return
        frame = self.frames[-1]
        if not frame.is_map:
            frame.container.append(value)
        elif not frame.expect_key:
            if frame.key is not _BAD:
                frame.container[frame.key] = value
            frame.expect_key = True
        else:
            frame.expect_key = False
            frame.key = value
            if isinstance(value, (dict, list)):
                self.add("REX-P201", "a mapping key must be a scalar", event, frame.path)
                frame.key = _BAD
            elif value is not _BAD and value in frame.container:
                self.add("REX-P204", "the key appears more than once", event,
                         (*frame.path, value))


def _token(key: Any) -> str | int:
    if isinstance(key, (str, int)) and not isinstance(key, bool):
        return key
    return json.dumps(key) if key is None or isinstance(key, bool) else str(key)


def _syntax_error(exc: yaml.YAMLError, text: str, file: str) -> Finding:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        line, column = mark.line + 1, mark.column + 1
    else:
        line, column = place(text, getattr(exc, "position", -1))
    problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or "invalid YAML"
    return Finding.of("REX-P201", str(problem), file=file, line=line, column=column)
