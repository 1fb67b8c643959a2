"""The structure of JSON text read at byte-search speed: its depth, and where array items start."""

from __future__ import annotations

import re
from itertools import accumulate

# Below this many items to pass over, json's scanner, an item at a time, is as quick.
SKIP_MIN = 64
# Found back one by one from where they were expected, at most this many separators.
_BACK_MAX = 64
# The text passed over is read this many characters at a time (a few copies of it at once
# would add to the peak of a large manifest).
_PIECE = 1 << 20

_QUOTED = re.compile(rb'"[^"]*"')
_BETWEEN = re.compile(r"[ \t\n\r]*,[ \t\n\r]*")
_BACKSLASHES = re.compile(r"\\*")
_KEY = re.compile(r'[ \t\n\r]*"[^"\\{}\[\],]{0,64}"')


def _deleting(kept: bytes) -> bytes:
    return bytes(b for b in range(256) if b not in kept)


_NOT_BRACKETS = _deleting(b'"[]{}')
_NOT_MEMBERS = _deleting(b'",:[]{}')
_STEP = [0] * 256
for _c in b"[{":
    _STEP[_c] = 1
for _c in b"]}":
    _STEP[_c] = -1
_ONE_KIND = bytes.maketrans(b"{}", b"[]")


def _tokens(data: bytes, deleted: bytes, table: bytes | None = None) -> bytes:
    """The bytes of JSON text ``data`` that ``deleted`` keeps (the quote among them), escapes
    dropped: they live only in strings, escaped backslashes first, then escaped quotes."""
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    return data.translate(table, deleted)


def _outside_strings(tokens: bytes) -> tuple[bytes, bool]:
    """``tokens`` (see _tokens) without those in strings, and whether the text ends in a
    string (they then end where it opens).

    Exact for valid JSON, without a Python step per string: a regex over every string costs
    ten times more. Quotes side by side open and close a string, there being a comma or a
    colon between two strings; removing them keeps the parity of the quotes before every
    other byte, and parity is what says whether a byte lies inside a string.
    """
    if tokens.count(b'"') == 2 * tokens.count(b'""'):
        # two strings are never side by side in JSON: here no string holds a token
        return tokens.translate(None, b'"'), False
    tokens = tokens.replace(b'""', b"")
    tokens = _QUOTED.sub(b"", tokens)
    cut = tokens.find(b'"')  # an unterminated string runs to the end
    return (tokens, False) if cut < 0 else (tokens[:cut], True)


def json_depth(data: bytes) -> int:
    """Return the nesting depth of JSON text (``{}`` is 1), ignoring brackets inside strings.

    Exact for valid JSON (for invalid JSON an estimate: the parser then names the syntax
    error). It runs before ``json.loads``, whose C parser recurses, in about 40 ms for 34 MB.
    """
    # braces counted as brackets: the depth counts both alike
    tokens, _ = _outside_strings(_tokens(data, _NOT_BRACKETS, _ONE_KIND))
    # Of balanced brackets each round of removing "[]" takes one level off: as many rounds
    # as levels, each at the speed of bytes.replace. Unbalanced brackets (invalid JSON), or
    # a round that takes off little (a hostile tower of one bracket a level), are counted
    # one by one instead.
    rest, depth = tokens, 0
    while rest:
        shorter = rest.replace(b"[]", b"")
        if len(shorter) > len(rest) * 3 // 4:
            return max(accumulate(map(_STEP.__getitem__, tokens)), default=0)
        rest, depth = shorter, depth + 1
    return depth


def skip_items(text: str, at: int, end: int, count: int, allowance: int
               ) -> tuple[int | None, int]:
    """Where the item ``count`` items after the one at ``at`` (which ends at ``end``) starts,
    in an array of well-formed JSON ``text``, or None when it is not found this way (the
    items are then to be walked one by one); and how many characters were read for it,
    about ``allowance`` at most.

    Items that are objects are told apart by the text between the first two (a comma, its
    blanks and an object's brace), searched for as a string; the text passed over is then
    checked to hold exactly ``count`` items. A large file index is passed over some five
    times faster than by json's scanner, which builds every value it passes.
    """
    between = _BETWEEN.match(text, end)
    if between is None or not text.startswith("{", between.end()):
        return None, 0
    # the end of the item before, and the next one's first key where it is short: a longer
    # needle is found faster, and if some item starts otherwise the count below says so
    key = _KEY.match(text, between.end() + 1)
    separator = text[end - 1:key.end() if key is not None else between.end() + 1]
    found, reached = _nth(text, separator, count, end - 1, between.end() - at,
                          min(len(text), end - 1 + allowance // 3))
    read = 3 * (reached - end)  # each character counted at most three times
    if found < 0:
        return None, read
    start = found + between.end() - end + 1
    return (start if _holds_items(text, at, start, count) else None), read + start - at


def _nth(text: str, needle: str, n: int, lo: int, step: int, limit: int) -> tuple[int, int]:
    """Where the ``n``-th occurrence of ``needle`` from ``lo`` starts (-1 if not before
    ``limit``), and how far the text was counted; ``step``: the characters expected from one
    to the next. Counted up to where it is expected, then a few found back from there, or
    counted in halves where the guess was far out (a needle cannot overlap itself: it holds
    one comma and one closing brace, its first character)."""
    span = len(needle) - 1
    while True:
        hi = min(limit, lo + n * step + step)
        below = text.count(needle, lo, hi + span)  # those starting before hi
        if below >= n:
            break
        if hi == limit:
            return -1, hi
        n, lo, step = n - below, hi, (hi - lo) // below + 1 if below else step * 2
    reached = hi
    while below - n > _BACK_MAX:
        mid = (lo + hi) // 2
        half = text.count(needle, lo, mid + span)
        if half >= n:
            hi, below = mid, half
        else:
            n, lo, below = n - half, mid, below - half
    found = hi
    for _ in range(below - n + 1):
        found = text.rfind(needle, lo, found + span)  # the last one starting before found
        if found < 0:
            break
    return found, reached


def _holds_items(text: str, at: int, start: int, count: int) -> bool:
    """Whether ``text`` from ``at`` (an item of an array in well-formed JSON) to ``start``
    holds exactly ``count`` items, each followed by its comma (and blanks).

    Told by counts alone, where no array lies inside: the commas in objects part their
    members (as many as colons, less one an object that has any), the others the items.
    The text ends after a comma that no key follows: one of the array's, where no item
    is cut.
    """
    pieces = []
    while at < start:
        cut = min(at + _PIECE, start)
        if text[cut - 1] == "\\":  # an escape is not cut in two: the piece ends past them
            cut = min(_BACKSLASHES.match(text, cut).end() + 1, start)  # type: ignore[union-attr]
        pieces.append(_tokens(text[at:cut].encode("utf-8", "surrogatepass"), _NOT_MEMBERS))
        at = cut
    tokens, open_string = _outside_strings(b"".join(pieces))
    if open_string or b"[" in tokens or b"]" in tokens or not tokens.endswith(b","):
        return False
    filled = tokens.count(b"{") - tokens.count(b"{}")
    return tokens.count(b",") - (tokens.count(b":") - filled) == count
