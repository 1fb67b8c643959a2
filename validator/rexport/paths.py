"""The one path-safety rule set for export paths and archive member names (spec EXP-08, EXP-10)."""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable
from itertools import repeat

from rexport.limits import MAX_PATH_BYTES, MAX_SEGMENTS

MANIFEST = "rex.json"  # the manifest's path, at the root of every export

# Windows refuses these as a file name with any extension ("con.txt"), and ignores trailing
# spaces before the dot ("CON .txt"); the superscript digits are reserved as well.
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"{stem}{digit}" for stem in ("COM", "LPT") for digit in "123456789\u00b9\u00b2\u00b3"]
)

# The common case, checked in one C-level match: ASCII segments of word characters and
# "-+@=,~" joined by single dots, an optional leading dot, no reserved stem. Anything that
# does not match goes through the full rules below, so this only ever says "no problem"
# for names the full rules also pass (a property test holds the two together).
_CHAR = r"[A-Za-z0-9_\-+@=,~]"
_SEGMENT = rf"(?!(?i:con|prn|aux|nul|com[1-9]|lpt[1-9])(?:[./]|$))\.?{_CHAR}+(?:\.{_CHAR}+)*"
_FAST = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")

# Many names at once, joined by newlines: the same rules in one match over all of them, for
# the reserved stems a second search. Possessive quantifiers (Python >= 3.11): no
# backtracking, so the match runs at the speed of a character-class scan. Python 3.10 has no
# possessive quantifiers: there a lookahead captures each run and a backreference consumes it,
# which the engine cannot give back either (the classic atomic-group emulation).
if sys.version_info >= (3, 11):
    _PLAIN_LINES = re.compile(rf"(?:\.?{_CHAR}++(?:\.{_CHAR}++)*+[/\n])*+")
else:  # pragma: no cover - exercised by the Python 3.10 job
    _PLAIN_LINES = re.compile(rf"(?=((?:\.?(?=({_CHAR}+))\2(?:\.(?=({_CHAR}+))\3)*[/\n])*))\1")
_RESERVED_STEM = re.compile(r"[/\n](?:con|prn|aux|nul|com[1-9]|lpt[1-9])[./\n]")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# C0 and C1 controls, line and paragraph separators, bidirectional marks, embeddings,
# overrides and isolates, and lone surrogates: what display() escapes
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_DRIVE = re.compile(r"[A-Za-z]:")
_SEPARATORS = re.compile(r"[/\\]")

X101, X102, X103, X104 = "REX-X101", "REX-X102", "REX-X103", "REX-X104"
X108, X109, X110, X111 = "REX-X108", "REX-X109", "REX-X110", "REX-X111"
X116, X117, X119 = "REX-X116", "REX-X117", "REX-X119"


def display(text: str, limit: int | None = 200) -> str:
    """Return ``text`` safe to print: control, line-separator and bidirectional characters and
    undecodable bytes written as escapes (``\\x1b``, ``\\u2028``, ``\\xff``), and, when
    ``limit`` is given, shortened to that many characters.

    The one escaping function for every text that rexport prints or reports, so that a
    hostile name or value cannot drive a terminal, break a line or flood a report.
    """
    if _UNSAFE.search(text):
        text = _UNSAFE.sub(_escape, text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


def path_problems(name: str) -> list[tuple[str, str]]:
    """Return [(code, message)] for every rule ``name`` breaks, one per code; [] when safe.

    ``name`` is a path as written in ``files[].path`` or an archive member name (after its
    one leading "./" was stripped). Undecodable bytes (surrogate escapes) count as control
    characters: no manifest can name such a path.
    """
    if (
        len(name) <= MAX_PATH_BYTES
        and name.count("/") < MAX_SEGMENTS
        and _FAST.fullmatch(name) is not None
    ):
        return []
    return _full_problems(name)


def plain(names: list[str]) -> bool:
    """True when every name certainly passes the path rules (path_problems gives [] for
    each): names of the common form, judged all at once. False says nothing about any one
    name: ask path_problems then."""
    if not names:
        return True
    text = "\n".join(names) + "\n"
    longest = max(map(len, names))
    return (
        text.count("\n") == len(names)  # a newline within a name is a control character
        and longest <= MAX_PATH_BYTES  # ASCII only, when this is to hold
        # MAX_SEGMENTS separators take a name of twice as many characters and more
        and (longest <= 2 * MAX_SEGMENTS or max(map(str.count, names, repeat("/"))) < MAX_SEGMENTS)
        and _PLAIN_LINES.fullmatch(text) is not None
        and _RESERVED_STEM.search("\n" + text.lower()) is None
    )


def _full_problems(name: str) -> list[tuple[str, str]]:
    found: dict[str, str] = {}

    def add(code: str, message: str) -> None:
        found.setdefault(code, message)

    shown = display(name)
    if name == "":
        add(X116, "the path is empty")
        return list(found.items())
    if _CONTROL.search(name):
        add(X110, f"'{shown}' contains a NUL or control character")
    if _SURROGATE.search(name):
        add(X110, f"'{shown}' is not valid UTF-8")
    if "\\" in name:
        add(X104, f"'{shown}' contains a backslash")
    if name.startswith(("/", "\\")):
        add(X102, f"'{shown}' is absolute")
    elif _DRIVE.match(name):
        add(X103, f"'{shown}' starts with a drive letter")
    # A backslash is a separator on Windows, so "..\\x" climbs out there: judge the
    # segments as any extractor might split them.
    for segment in _SEPARATORS.split(name):
        if segment == "..":
            add(X101, f"'{shown}' has a '..' segment")
        elif segment not in ("", ".") and _reserved(segment):
            add(X111, f"'{shown}' has a Windows reserved name or a segment ending in "
                      "'.' or space")
    segments = name.split("/")
    inner = segments[1:] if name.startswith("/") else segments
    while name.startswith("//") and inner and inner[0] == "":
        inner = inner[1:]  # "//host/share" is absolute, reported once as such
    if name.endswith("/") and len(name) > 1:
        add(X116, f"'{shown}' ends with '/'")
    if any(s in ("", ".") for s in inner[:-1]) or (inner and inner[-1] == "."):
        add(X116, f"'{shown}' has an empty or '.' segment")
    if not _SURROGATE.search(name) and not unicodedata.is_normalized("NFC", name):
        add(X117, f"'{shown}' is not in Unicode NFC")
    size = len(name.encode("utf-8", "surrogatepass"))
    if size > MAX_PATH_BYTES or len(segments) > MAX_SEGMENTS:
        add(X119, f"'{shown}' is {size} bytes in {len(segments)} segments "
                  f"(at most {MAX_PATH_BYTES} bytes and {MAX_SEGMENTS} segments)")
    return list(found.items())


def _reserved(segment: str) -> bool:
    if segment.endswith((".", " ")):
        return True
    stem = segment.split(".", 1)[0].rstrip(" ").upper()
    return stem in _RESERVED


def fold(name: str) -> str:
    """The key under which two paths collide: NFC, then case-folded, then NFC again."""
    if name.isascii():
        return name.lower()  # case folding an ASCII string is lower-casing it
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())


def _utf8(name: str) -> bytes:
    # undecodable bytes kept by surrogateescape sort as those bytes; other lone surrogates
    # (no real name holds one) as their own encoding
    try:
        return name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogatepass")


class TwinFinder:
    """Finds names equal after NFC + case folding, one name at a time, in O(1) each.

    In the manifest's index the later of two twins is the one listed later; in the tree of a
    container (``by_bytes``) it is the one whose UTF-8 bytes sort later, so that a directory,
    whose listing order is the file system's, and an archive of it agree (EXP-10).
    """

    def __init__(self, *, by_bytes: bool = False) -> None:
        self._seen: dict[str, str] = {}
        self._by_bytes = by_bytes

    def add(self, name: str) -> tuple[str, str] | None:
        """Record ``name``; return (REX-X108 or REX-X109, the earlier name) when it is a twin.

        An exact repeat is a duplicate, not a twin, and gives None (reported elsewhere).
        """
        hit = self.meet(name)
        return None if hit is None else (hit[0], hit[2])

    def meet(self, name: str) -> tuple[str, str, str] | None:
        """Record ``name``; return (REX-X108 or REX-X109, the later name, the earlier name)
        when it is a twin of a name met before, else None. The later one is reported."""
        key = fold(name)
        earlier = self._seen.setdefault(key, name)
        if earlier == name:
            return None
        same_nfc = unicodedata.normalize("NFC", earlier) == unicodedata.normalize("NFC", name)
        code = X109 if same_nfc else X108
        if self._by_bytes and _utf8(name) < _utf8(earlier):
            self._seen[key] = name  # the least of the twins is the one every other names
            return code, earlier, name
        return code, name, earlier


def twins(names: Iterable[str]) -> list[tuple[str, str, str]]:
    """Return [(REX-X108 | REX-X109, name, earlier_name)] for every name colliding with an
    earlier one: X109 when the two are equal after NFC alone, X108 when case differs."""
    finder = TwinFinder()
    out: list[tuple[str, str, str]] = []
    for name in names:
        hit = finder.add(name)
        if hit is not None:
            out.append((hit[0], name, hit[1]))
    return out
