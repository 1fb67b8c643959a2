"""The format checks (email, uri, date-time, date) take memory linear in the string, whatever
its length, and still give the verdicts of the RFC grammars they implement."""

from __future__ import annotations

import re
import tracemalloc
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rexport.schema.formats import FORMATS, is_email, is_uri

SIZE = 1 << 20
HOSTILE = {
    "email-dot-atom": "a." * (SIZE // 2) + "a@example.org",
    "email-quoted": '"' + "a" * SIZE + '"@example.org',
    "email-domain": "a@" + "a." * (SIZE // 2) + "org",
    "uri-path": "https://example.org/" + "a/" * (SIZE // 2),
    "uri-percent": "x:" + "%41" * (SIZE // 3),
    "uri-query": "x:?" + "a?" * (SIZE // 2),
    "uri-fragment": "x:#" + "a/" * (SIZE // 2),
    "uri-userinfo": "x://" + "a:" * (SIZE // 2) + "@host",
    "uri-ip-literal": "x://[" + ":" * SIZE + "]/",
    "date-time": "2026-01-15T10:00:00." + "1" * SIZE + "Z",
}


def _peak(check: Callable[[object], bool], value: str) -> int:
    tracemalloc.start()
    try:
        check(value)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("name", sorted(FORMATS))
@pytest.mark.parametrize("item", sorted(HOSTILE))
def test_memory_is_linear_in_the_string(name: str, item: str) -> None:
    # the pattern engines of these checks once kept state for each repeated group: 70 to
    # 190 times the string's size, a MemoryError on a few megabytes
    value = HOSTILE[item]
    assert _peak(FORMATS[name], value) < 4 * len(value) + (1 << 20)


def test_long_values_keep_their_verdicts() -> None:
    assert is_uri(HOSTILE["uri-path"]) and is_uri(HOSTILE["uri-percent"])
    assert not is_uri(HOSTILE["uri-ip-literal"])
    assert not is_email(HOSTILE["email-dot-atom"])  # longer than a mailbox may be
    assert is_email("a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 61)  # 254 chars
    assert not is_email("a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 62)


# The RFC 3986 ABNF written as one pattern, as the check was before it was taken apart:
# the oracle for the verdicts on short strings.
_SUB = r"A-Za-z0-9\-._~!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_SUB}:@]|{_PCT})"
_ORACLE = re.compile(
    rf"[A-Za-z][A-Za-z0-9+.-]*:"
    rf"(?://(?:(?:[{_SUB}:]|{_PCT})*@)?"
    rf"(\[[^\[\]/?#@]*\]|(?:[{_SUB}]|{_PCT})*)"
    rf"(?::[0-9]*)?(?:/{_PCHAR}*)*"
    rf"|/(?:{_PCHAR}+(?:/{_PCHAR}*)*)?"
    rf"|{_PCHAR}+(?:/{_PCHAR}*)*"
    rf"|)"
    rf"(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?")
_FUTURE = re.compile(rf"[vV][0-9A-Fa-f]+\.[{_SUB}:]+")


def _oracle(value: str) -> bool:
    import ipaddress

    match = _ORACLE.fullmatch(value)
    if match is None:
        return False
    host = match.group(1)
    if host and host.startswith("["):
        inner = host[1:-1]
        if _FUTURE.fullmatch(inner):
            return True
        try:
            return ipaddress.ip_address(inner).version == 6
        except ValueError:
            return False
    return True


_PIECES = ["a", "Z", "0", "9", "-", ".", "_", "~", "!", "$", "&", "'", "(", "*", "+", ",", ";",
           "=", ":", "@", "/", "?", "#", "[", "]", "%", "%4", "%41", "%zz", " ", "\u00e9", "//",
           "::1", "v1.x", "fe80::1%eth0", "http:", "x:", "1.2.3.4", "[::1]", ":80", "\\"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12))
def test_uri_verdicts_match_the_abnf(pieces: list[str]) -> None:
    value = "".join(pieces)
    for candidate in (value, "http:" + value, "http://" + value, "x:/" + value):
        assert is_uri(candidate) == _oracle(candidate), candidate
