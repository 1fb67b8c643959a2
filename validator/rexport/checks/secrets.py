"""The secrets check: credentials in the manifest (K101, K103) and in embedded text files (K102)."""

from __future__ import annotations

import bisect
import codecs
import sys
from collections.abc import Iterator
from itertools import accumulate
from typing import Any

from rexport.checks.secret_patterns import REDACTED, find_secrets, is_secret_name
from rexport.digests import HEX, HEX_LENGTHS
from rexport.findings import Finding, pointer
from rexport.json_values import IndexColumns, as_list, get

__all__ = ["TextScanner", "scan_manifest"]

MAX_FINDINGS = 1000  # per manifest or file: a hostile input must not grow the report without end


def scan_manifest(manifest: Any, *, index: IndexColumns | None = None,
                  index_clean: bool | None = None) -> list[Finding]:
    """Return K101 for each string (value or key) that holds a credential, and K103 for each
    secret-named key or environment variable whose value is set and not ``"[REDACTED]"``.

    Messages name the kind of credential and the JSON pointer, never the value. ``index``:
    the manifest's ``files`` as columns (json_values.index_columns), when the caller has
    them, which spares a walk of every entry when the manifest holds no credential;
    ``index_clean``: what text_clean says of index_text(index), when the caller knows it.
    """
    if index is not None and isinstance(manifest, dict) and _clean(manifest, index,
                                                                    index_clean):
        return list(_variables(manifest, set()))[:MAX_FINDINGS]
    strings, keys, levels = _gather(manifest)
    text = "\n".join(strings)  # no pattern crosses a newline: one scan for every string
    hits = find_secrets(text)
    key_hits = {k for k in keys if isinstance(k, str) and find_secrets(k)}
    names = {k for k in keys if isinstance(k, str) and is_secret_name(k)}
    out: list[Finding] = []
    flagged: set[str] = set()
    if hits or key_hits or names:
        starts = list(accumulate((len(s) + 1 for s in strings), initial=0))
        numbers = {bisect.bisect_right(starts, start) - 1 for _, start, _ in hits}
        numbers |= _covered(strings, starts, hits, numbers)
        targets = _targets(levels, numbers)
        for path, owner, key, value in _located(manifest, targets, key_hits | names):
            where = pointer(*(_shown(t, key_hits) for t in path))
            if isinstance(value, str) and owner is None:
                for kind in dict.fromkeys(kind for kind, _, _ in find_secrets(value)):
                    out.append(Finding.of("REX-K101", f"the string looks like a {kind}",
                                          pointer=where))
                    flagged.add(where)
            elif key in key_hits:
                kinds = ", ".join(dict.fromkeys(kind for kind, _, _ in find_secrets(key)))
                out.append(Finding.of("REX-K101", f"a key of this object looks like a {kinds}",
                                      pointer=pointer(*(_shown(t, key_hits) for t in owner or ()))))
            if key in names and _set(value) and where not in flagged:
                out.append(Finding.of("REX-K103", f"{_shown(key, key_hits)!r} holds a value "
                                      "that is not redacted", pointer=where))
    out.extend(_variables(manifest, flagged))
    return out[:MAX_FINDINGS]


_HEX_BYTES = HEX.encode("ascii")
_INDEX_KEYS = frozenset({"files", "path", "size", "media_type", "role", "digests", "sha256"})


def index_text(index: IndexColumns) -> str:
    """The strings of a file index as one text to scan, each on its own line: a string holds
    a credential alone or not at all (find_secrets), so repeated values are given once, and
    digests of hex digits alone (which hold none, see _gather) not at all."""
    joined = "".join(index.sha256)
    hex_only = joined.isascii() and not joined.encode("ascii").translate(None, _HEX_BYTES)
    return "\n".join([*index.paths, *set(index.media_types), *set(index.roles),
                      *([] if hex_only else index.sha256)])


def text_clean(text: str) -> bool:
    """True when ``text`` holds no credential."""
    return not find_secrets(text)


def _clean(manifest: dict[str, Any], index: IndexColumns, index_clean: bool | None) -> bool:
    """True when no string, key or key name of the manifest is a credential, told at once:
    the index's text (index_text) and the other members' strings scanned as texts. False
    says nothing: scan_manifest then numbers every string to name where each credential is."""
    strings, keys, _ = _gather({k: v for k, v in manifest.items() if k != "files"})
    keys |= _INDEX_KEYS
    if index_clean is None:
        index_clean = text_clean(index_text(index))
    return index_clean and text_clean("\n".join(strings)) and not any(
        isinstance(k, str) and (is_secret_name(k) or find_secrets(k)) for k in keys)


def _covered(strings: list[str], starts: list[int], hits: list[tuple[str, int, int]],
             numbers: set[int]) -> set[int]:
    """Strings, among those a private key block's span runs over, that hold a credential
    of their own: in the joined text the block's span hides what overlaps it, alone not.

    Each string is looked at once at most, however many blocks cover it.
    """
    out: set[int] = set()
    seen: set[int] = set(numbers)
    for _, start, end in hits:
        first = bisect.bisect_right(starts, start) - 1
        last = bisect.bisect_right(starts, end - 1) - 1
        for number in range(first + 1, last + 1):
            if number not in seen:
                seen.add(number)
                if find_secrets(strings[number]):
                    out.add(number)
    return out


# the string values of one depth of the document: the number of the first, and the
# containers holding them (objects, then arrays), in the order their strings were taken
_Level = tuple[int, list[Any]]
_CONTAINERS = frozenset({dict, list})
# Digests and commit ids: a string of hex digits alone holds no credential (every pattern
# needs a letter past "f" or a punctuation mark), and these are half a manifest's text.
_HEX_SIZES = frozenset(HEX_LENGTHS.values())


def _gather(root: Any) -> tuple[list[str], set[Any], list[_Level]]:
    """Every string value, depth by depth, the set of keys, and where each depth starts.

    A depth at a time, with a list comprehension over all its containers: a manifest of
    100,000 files is 200,000 small objects, and a Python step per object costs more than
    the regex passes over all the text. Strings of hex digits only, of the lengths digests
    have, are left out.
    """
    strings: list[str] = []
    keys: set[Any] = set()
    levels: list[_Level] = []
    level = [root]
    while level:
        objects = [n for n in level if type(n) is dict]
        arrays = [n for n in level if type(n) is list]
        if objects:
            keys.update(*objects)
        values = [v for n in objects for v in n.values()]
        values.extend([v for n in arrays for v in n])
        levels.append((len(strings), objects + arrays))
        strings.extend([v for v in values if type(v) is str
                        and (len(v) not in _HEX_SIZES or v.strip(HEX))])
        level = [v for v in values if type(v) in _CONTAINERS]
    return strings, keys, levels


def _targets(levels: list[_Level], numbers: set[int]) -> set[tuple[int, Any]]:
    """(id of container, key or index) of the strings numbered ``numbers`` by _gather."""
    out: set[tuple[int, Any]] = set()
    bounds = [start for start, _ in levels[1:]] + [sys.maxsize]
    for (start, containers), end in zip(levels, bounds, strict=True):
        if not any(start <= n < end for n in numbers):
            continue
        number = start
        for node in containers:
            pairs = node.items() if type(node) is dict else enumerate(node)
            for token, value in pairs:
                if type(value) is str and (len(value) not in _HEX_SIZES or value.strip(HEX)):
                    if number in numbers:
                        out.add((id(node), token))
                    number += 1
    return out


def _located(root: Any, targets: set[tuple[int, Any]], keys: set[str],
             ) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...] | None, Any, Any]]:
    """Walk the document in order; yield ``(path, None, key, value)`` for the strings named
    in ``targets`` and ``(path, owner path, key, value)`` for each key of ``keys`` found,
    where owner is the path of the object holding it."""
    holders = {node for node, _ in targets}
    stack: list[tuple[Any, tuple[Any, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if type(node) is dict:
            pairs: Any = node.items()
        elif type(node) is list:
            pairs = enumerate(node)
        else:
            continue
        if id(node) in holders:
            for token, value in pairs:
                if type(value) is str and (id(node), token) in targets:
                    yield (*path, token), None, token, value
            pairs = node.items() if type(node) is dict else enumerate(node)
        if type(node) is dict and keys and not keys.isdisjoint(node):
            for token in node:
                if token in keys:
                    yield (*path, token), path, token, node[token]
        stack.extend(reversed([(v, (*path, t)) for t, v in pairs
                               if type(v) is dict or type(v) is list]))


def _shown(token: Any, secret_keys: set[str]) -> Any:
    # a key that is itself a credential is not repeated in a pointer
    return REDACTED if token in secret_keys else token


def _set(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip() not in ("", REDACTED)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _variables(manifest: Any, flagged: set[str]) -> Iterator[Finding]:
    """environment.variables holds {name, value} pairs: the name is the key to judge."""
    for i, var in enumerate(as_list(get(manifest, "environment", "variables"))):
        if not isinstance(var, dict) or not isinstance(var.get("name"), str):
            continue
        where = pointer("environment", "variables", i, "value")
        if is_secret_name(var["name"]) and _set(var.get("value")) and where not in flagged:
            yield Finding.of("REX-K103", f"variable {var['name']!r} holds a value that is not "
                             "redacted", pointer=where)


class TextScanner:
    """Scan a text file fed in chunks for credentials (K102), in bounded memory.

    Each window is the chunk plus a tail of the previous one, so that a credential cut by a
    chunk boundary is still found whole; matches are reported once, with their line number.
    """

    # Longer than any bounded pattern (a JSON Web Token is the longest, about 6 KiB).
    OVERLAP = 8192
    # Longer than what precedes a reported span: a key name, a URL's scheme and user.
    CONTEXT = 1024
    # Text is scanned in windows of this size at least, whatever the size of the chunks fed:
    # a window per tiny chunk would rescan the overlap each time. At most one SLICE is decoded
    # at a time, so memory stays near SLICE + WINDOW + 2 * OVERLAP + CONTEXT characters.
    WINDOW = 1 << 16
    SLICE = 1 << 20

    def __init__(self, file: str) -> None:
        self.file = file
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._carry = ""
        self._pending: list[str] = []
        self._pending_size = 0
        self._line = 1  # line number of the first character of the carry
        self._done = 0  # offset in the carry before which every match was decided
        self._findings: list[Finding] = []
        self._dropped = 0

    def feed(self, chunk: bytes | memoryview) -> None:
        """Scan the next bytes of the file."""
        for i in range(0, len(chunk), self.SLICE):
            text = self._decoder.decode(chunk[i:i + self.SLICE])
            self._pending.append(text)
            self._pending_size += len(text)
            if self._pending_size >= self.WINDOW:
                self._flush(final=False)

    def finish(self) -> list[Finding]:
        """Scan what is left and return the K102 findings, in file order."""
        self._pending.append(self._decoder.decode(b"", final=True))
        self._flush(final=True)
        found = list(self._findings)
        if self._dropped:
            found.append(Finding.of("REX-K102", f"{self._dropped} more credentials not listed",
                                    file=self.file))
        return found

    def _flush(self, *, final: bool) -> None:
        text = "".join(self._pending)
        self._pending, self._pending_size = [], 0
        self._scan(text, final=final)

    def _scan(self, text: str, *, final: bool) -> None:
        window = self._carry + text
        if final:
            bound = keep = len(window)
        else:
            # Report matches that start before `bound`: each has OVERLAP characters after it.
            # Keep from CONTEXT characters earlier (from a line start when one is near), so
            # that a match found later still has the name or scheme before its value.
            bound = max(0, len(window) - self.OVERLAP)
            keep = max(0, bound - self.CONTEXT)
            newline = window.rfind("\n", max(0, keep - self.OVERLAP), keep)
            keep = newline + 1 if newline >= 0 else keep
        done, line, counted = self._done, self._line, 0
        for kind, start, end in find_secrets(window):
            if start < done or start >= bound:
                continue  # decided in an earlier window, or to be seen whole in the next
            done = max(done, end)
            if len(self._findings) >= MAX_FINDINGS:
                self._dropped += 1
                continue
            line += window.count("\n", counted, start)
            counted = start
            self._findings.append(Finding.of("REX-K102", f"the file holds a {kind}",
                                             file=self.file, pointer="", line=line))
        self._done = max(done, bound) - keep
        self._line += window.count("\n", 0, keep)
        self._carry = window[keep:]
