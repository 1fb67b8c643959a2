"""Where the members that findings name sit in JSON or YAML text, found only when asked."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from rexport.findings import Finding
from rexport.parsing._text import BOM
from rexport.parsing.structure import SKIP_MIN, skip_items

# start line, start column, end line, end column: 1-based, the end column just past the member
Span = tuple[int, int, int, int]
_Tokens = tuple[str, ...]
_Trie = dict[str, "_Trie"]

_WS = re.compile(r"[ \t\n\r]*")
_WS_BYTES = re.compile(rb"[ \t\n\r]*")
# json's own scanner (in C where available) skips a value that no finding names at parse speed
_SCAN: Any = getattr(json.JSONDecoder(), "scan_once")  # noqa: B009  (not in the stubs)
_STRING: Any = getattr(json.decoder, "scanstring")  # noqa: B009
_YAML_SUFFIXES = (".yaml", ".yml")
_SUFFIXES = (".json", *_YAML_SUFFIXES)


def place_findings(findings: Sequence[Finding], documents: Mapping[str, bytes], *,
                   well_formed: Collection[str] = ()) -> list[Finding]:
    """Give each finding on one of ``documents`` (file name -> JSON or YAML bytes) the span of
    the member its pointer names (of its nearest existing ancestor when it names none).

    Returns the findings in the same order; a finding that already has a line keeps it, and
    findings on other files are returned unchanged. ``well_formed`` names the JSON documents
    known to parse with no key twice in an object (see locate).
    """
    wanted: dict[str, set[str]] = {}
    for f in findings:
        if f.line is None and f.file in documents and f.file.lower().endswith(_SUFFIXES):
            wanted.setdefault(f.file, set()).add(f.pointer)
    if not wanted:
        return list(findings)
    spans = {file: locate(documents[file], pointers, yaml=file.lower().endswith(_YAML_SUFFIXES),
                          well_formed=file in well_formed)
             for file, pointers in wanted.items()}
    out = []
    for f in findings:
        span = spans.get(f.file, {}).get(f.pointer) if f.line is None else None
        out.append(f if span is None else placed(f, span))
    return out


def placed(finding: Finding, span: Span) -> Finding:
    """``finding`` placed at ``span``."""
    return dataclasses.replace(finding, line=span[0], column=span[1], end_line=span[2],
                               end_column=span[3])


def locate(data: bytes, pointers: Iterable[str], *, yaml: bool = False,
           well_formed: bool = False) -> dict[str, Span]:
    """Map each JSON pointer to the span of its member in ``data`` (JSON, or YAML if ``yaml``).

    An object member spans from its key to the end of its value; an item, its value; the
    empty pointer, the whole document. A pointer naming nothing gets its nearest existing
    ancestor's span. Text that does not parse gives what was found before the fault.
    ``well_formed``: the JSON text is known to parse, with no key twice in an object (a
    manifest parsed without findings); then the walk ends once every pointer is found, and
    the whole document's span is its text's, blanks aside, found without a walk: in a large
    manifest the rest of the walk would cost as much as parsing it again.
    """
    paths = {p: _tokens(p) for p in pointers}
    if well_formed and not yaml and set(paths) == {""}:
        return {"": root_span(data)}
    text = (data[len(BOM):] if data.startswith(BOM) else data).decode("utf-8", "replace")
    trie: _Trie = {}
    for tokens in paths.values():
        node = trie
        for token in tokens:
            node = node.setdefault(token, {})
    offsets: dict[_Tokens, tuple[int, int]] = {}
    try:
        if yaml:
            _yaml_offsets(text, trie, offsets)
        elif well_formed:
            start = _WS.match(text).end()  # type: ignore[union-attr]
            offsets[()] = (start, len(text.rstrip(" \t\n\r")))
            unfound = _Unfound(set(paths.values()) - {()}, _READS * len(text))
            if unfound:
                _value(text, start, trie, (), offsets, unfound)
        else:
            start = _WS.match(text).end()  # type: ignore[union-attr]
            offsets[()] = (start, _value(text, start, trie, (), offsets))
    except _AllFound:
        pass
    except (ValueError, IndexError, StopIteration, RecursionError, LookupError):
        pass  # a parse error was reported with its own place; keep what was found
    except Exception as exc:  # the YAML scanner's errors, without importing it here
        if type(exc).__module__.split(".")[0] != "yaml":
            raise
    spans: dict[str, tuple[int, int]] = {}
    for pointer, tokens in paths.items():
        for cut in range(len(tokens), -1, -1):
            found = offsets.get(tokens[:cut])
            if found is not None:
                spans[pointer] = found
                break
    places = _places(text, [offset for span in spans.values() for offset in span])
    return {pointer: (*places[start], *places[end]) for pointer, (start, end) in spans.items()}


def _tokens(pointer: str) -> _Tokens:
    if not pointer:
        return ()
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/"))


def root_span(data: bytes) -> Span:
    """The whole document's span in a well-formed JSON text (no BOM, valid UTF-8), from its
    bytes: a finding on the whole of a large manifest needs no decoding of it all."""
    start = _WS_BYTES.match(data).end()  # type: ignore[union-attr]
    end = len(data)
    while end > start and data[end - 1] in b" \t\n\r":
        end -= 1
    return (*_byte_place(data, start), *_byte_place(data, end))


def _byte_place(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    head = data[line_start:offset]
    column = len(head) if head.isascii() else len(head.decode("utf-8", "replace"))
    return data.count(b"\n", 0, line_start) + 1, column + 1


def _places(text: str, offsets: list[int]) -> dict[int, tuple[int, int]]:
    """Each offset's 1-based line and column, found in one sweep of the text up to the last
    (no list of every line start: a large manifest has a million of them)."""
    out: dict[int, tuple[int, int]] = {}
    line, at, line_start = 1, 0, 0
    for offset in sorted(set(offsets)):
        newlines = text.count("\n", at, offset)
        if newlines:
            line += newlines
            line_start = text.rfind("\n", at, offset) + 1
        out[offset] = (line, offset - line_start + 1)
        at = offset
    return out


# --- JSON: walk down the wanted paths only, skipping every other value with json's scanner ---

# The search for array items (structure.skip_items) reads this many times the text at most,
# however its items fall: the scanner walks them past that.
_READS = 8


class _Unfound(set[_Tokens]):
    """The paths still to find in well-formed text, and how many more characters the search
    for array items may read."""

    def __init__(self, paths: set[_Tokens], reads: int) -> None:
        super().__init__(paths)
        self.reads = reads


class _AllFound(Exception):
    """Every pointer asked for is found: the rest of a well-formed text need not be walked."""


def _skip(text: str, at: int) -> int:
    end: int = _SCAN(text, at)[1]
    return end


def _found(here: _Tokens, span: tuple[int, int], offsets: dict[_Tokens, tuple[int, int]],
           unfound: _Unfound | None) -> None:
    offsets[here] = span
    if unfound is not None:
        unfound.discard(here)
        if not unfound:
            raise _AllFound


def _value(text: str, at: int, trie: _Trie, path: _Tokens,
           offsets: dict[_Tokens, tuple[int, int]], unfound: _Unfound | None = None) -> int:
    """Walk the value at ``at`` (no whitespace before it); return the offset just past it.
    ``unfound``: the paths still to find, when the walk may end as soon as it has them."""
    if not trie:
        return _skip(text, at)
    if text[at] == "{":
        return _object(text, at, trie, path, offsets, unfound)
    if text[at] == "[":
        return _array(text, at, trie, path, offsets, unfound)
    return _skip(text, at)


def _object(text: str, at: int, trie: _Trie, path: _Tokens,
            offsets: dict[_Tokens, tuple[int, int]], unfound: _Unfound | None) -> int:
    at = _WS.match(text, at + 1).end()  # type: ignore[union-attr]
    if text[at] == "}":
        return at + 1
    while True:
        key_at = at
        key, at = _STRING(text, at + 1)
        at = _WS.match(text, at).end()  # type: ignore[union-attr]
        at = _WS.match(text, at + 1).end()  # type: ignore[union-attr]  # past ':'
        below = trie.get(key)
        if below is None:
            at = _skip(text, at)
        else:
            here = (*path, key)
            at = _value(text, at, below, here, offsets, unfound)
            _found(here, (key_at, at), offsets, unfound)  # a key twice: the last one counts
        at = _WS.match(text, at).end()  # type: ignore[union-attr]
        if text[at] == "}":
            return at + 1
        at = _WS.match(text, at + 1).end()  # type: ignore[union-attr]  # past ','


def _array(text: str, at: int, trie: _Trie, path: _Tokens,
           offsets: dict[_Tokens, tuple[int, int]], unfound: _Unfound | None) -> int:
    wanted = {int(t): below for t, below in trie.items() if t.isdigit()}
    at = _WS.match(text, at + 1).end()  # type: ignore[union-attr]
    if text[at] == "]":
        return at + 1
    index, scan = 0, _SCAN
    for target in sorted(wanted):
        passed = target - index
        if unfound is not None and passed >= SKIP_MIN and unfound.reads > 0:
            # well-formed text: the items passed over are found at string-search speed
            jumped, read = skip_items(text, at, scan(text, at)[1], passed, unfound.reads)
            unfound.reads -= read
            if jumped is not None:
                at, passed = jumped, 0
        # else one call of the C scanner per item passed over
        for _ in range(passed):
            at = _next_item(text, scan(text, at)[1])
            if at < 0:
                return -at  # the array ends before the item wanted
        here = (*path, str(target))
        end = _value(text, at, wanted[target], here, offsets, unfound)
        _found(here, (at, end), offsets, unfound)
        at = _next_item(text, end)
        if at < 0:
            return -at
        index = target + 1
    while True:  # the rest holds nothing wanted: passed over to the array's end
        at = _next_item(text, scan(text, at)[1])
        if at < 0:
            return -at


def _next_item(text: str, end: int) -> int:
    """Where the item after the one ending at ``end`` starts; when the array ends there
    instead, minus the offset just past it."""
    if text[end] != ",":
        end = _WS.match(text, end).end()  # type: ignore[union-attr]
        if text[end] == "]":
            return -end - 1
    at = end + 1
    if text[at] in " \t\n\r":  # most often one blank: no regex for it
        at += 1
        if text[at] in " \t\n\r":
            at = _WS.match(text, at).end()  # type: ignore[union-attr]
    return at


# --- YAML: the parser's events, their marks, and the path they are at ------------------------

def _yaml_offsets(text: str, trie: _Trie, offsets: dict[_Tokens, tuple[int, int]]) -> None:
    import yaml

    from rexport.parsing.yaml_text import LOADER

    # one frame per open collection: [its path, is a mapping, next index or key, key's start]
    frames: list[list[Any]] = []
    opened: list[int] = []

    def where(event: Any) -> tuple[_Tokens, int] | None:
        """The path of the node that ``event`` starts, and where its member starts."""
        if not frames:
            return (), event.start_mark.index
        path, is_map, key, key_at = frames[-1]
        if not is_map:
            frames[-1][2] = key + 1
            return (*path, str(key)), event.start_mark.index
        if key is None:  # this node is a key
            frames[-1][2] = event.value if isinstance(event, yaml.ScalarEvent) else ""
            frames[-1][3] = event.start_mark.index
            return None
        frames[-1][2] = None
        return (*path, str(key)), key_at

    def wanted(path: _Tokens) -> bool:
        node = trie
        for token in path:
            if token not in node:
                return False
            node = node[token]
        return True

    event: Any
    for event in yaml.parse(text, Loader=LOADER):
        kind = type(event)
        if kind is yaml.ScalarEvent or kind is yaml.AliasEvent:
            here = where(event)
            if here is not None and wanted(here[0]):
                offsets[here[0]] = (here[1], event.end_mark.index)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            here = where(event)
            path = here[0] if here is not None else ("?",)
            frames.append([path, kind is yaml.MappingStartEvent,
                           None if kind is yaml.MappingStartEvent else 0, 0])
            opened.append(here[1] if here is not None else event.start_mark.index)
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            path = frames.pop()[0]
            start = opened.pop()
            if wanted(path):
                offsets[path] = (start, event.end_mark.index)
