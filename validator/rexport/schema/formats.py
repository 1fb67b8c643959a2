"""The `format` checks of the REX schemas (date-time, date, email, uri), shared by both engines."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import datetime, timedelta

# ASCII classes are spelled out: Python's \d also matches non-ASCII digits.
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATE_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)?"
    r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))"
)


_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _valid_date(year: str, month: str, day: str) -> bool:
    # the proleptic Gregorian calendar of RFC 3339, years 0000 to 9999 (0000 is a leap year)
    y, m, d = int(year), int(month), int(day)
    if not 1 <= m <= 12 or d < 1:
        return False
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    return d <= _DAYS[m - 1] + (m == 2 and leap)


def is_date(value: object) -> bool:
    """RFC 3339 full-date: YYYY-MM-DD, a real calendar day (EXP-05)."""
    if not isinstance(value, str):
        return True
    match = _DATE.fullmatch(value)
    return match is not None and _valid_date(*match.groups())


def is_date_time(value: object) -> bool:
    """RFC 3339 date-time with a mandatory offset; a leap second only at 23:59:60 UTC (EXP-05)."""
    if not isinstance(value, str):
        return True
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second, zulu, sign, off_h, off_m = match.groups()
    if not _valid_date(year, month, day):
        return False
    if int(hour) > 23 or int(minute) > 59 or int(second) > 60:
        return False
    if not zulu and (int(off_h) > 23 or int(off_m) > 59):
        return False
    if int(second) == 60:
        offset = timedelta(0) if zulu else timedelta(hours=int(off_h), minutes=int(off_m))
        local = datetime(2000, 1, 1, int(hour), int(minute))
        utc = local - offset if sign != "-" else local + offset
        return (utc.hour, utc.minute) == (23, 59)
    return True


# RFC 5321 Mailbox: Local-part "@" ( Domain / address-literal ).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_QUOTED = r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"'
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"({_DOT_ATOM}|{_QUOTED})@(?:({_LABEL}(?:\.{_LABEL})*)|\[([^\[\]\\]+)\])")


def is_email(value: object) -> bool:
    """An RFC 5321 mailbox: dot-atom or quoted local part, a host name or an address literal;
    at most 254 characters, its local part at most 64 (RFC 5321 section 4.5.3.1)."""
    if not isinstance(value, str):
        return True
    # judged before the pattern, which then never sees more than 254 characters: the
    # backtracking engine keeps state for each repetition of a group it matches
    if len(value) > 254:
        return False
    match = _EMAIL.fullmatch(value)
    if match is None:
        return False
    local, _domain, literal = match.groups()
    if len(local) > 64:
        return False
    if literal is None:
        return True
    if literal.startswith("IPv6:"):
        return _is_ip(literal[5:], 6)
    return _is_ip(literal, 4)


def _is_ip(text: str, version: int) -> bool:
    # RFC 3986 and RFC 5321 know no IPv6 zone identifier ("fe80::1%eth0"), which ipaddress takes;
    # no address is this long either: spare ipaddress the split
    if "%" in text or len(text) > 100:
        return False
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return address.version == version


# RFC 3986 section 3, taken apart at its delimiters and each part checked against its
# characters in one class scan: linear time and constant memory whatever the length (a
# pattern of repeated groups keeps state for each repetition). IP literals go to `ipaddress`.
_UNRESERVED_SUB = r"A-Za-z0-9\-._~!$&'()*+,;="
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_USERINFO = re.compile(rf"[{_UNRESERVED_SUB}:%]*")
_REG_NAME = re.compile(rf"[{_UNRESERVED_SUB}%]*")
_PORT = re.compile(r"(?::[0-9]*)?")
_PATH = re.compile(rf"[{_UNRESERVED_SUB}:@/%]*")  # pchar and "/"
_QUERY = re.compile(rf"[{_UNRESERVED_SUB}:@/?%]*")  # pchar, "/" and "?"; also a fragment
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_IPV_FUTURE = re.compile(rf"[vV][0-9A-Fa-f]+\.[{_UNRESERVED_SUB}:]+")


def is_uri(value: object) -> bool:
    """An absolute RFC 3986 URI (a scheme is required; a fragment is allowed)."""
    if not isinstance(value, str):
        return True
    scheme = _SCHEME.match(value)
    if scheme is None:
        return False
    rest, _, fragment = value[scheme.end():].partition("#")
    rest, _, query = rest.partition("?")
    parts = [fragment, query]
    if not (_QUERY.fullmatch(fragment) and _QUERY.fullmatch(query)):
        return False
    path = rest
    if rest.startswith("//"):
        authority, slash, tail = rest[2:].partition("/")
        path = slash + tail
        userinfo, at, hostport = authority.rpartition("@")
        if at and _USERINFO.fullmatch(userinfo) is None:
            return False
        parts.append(userinfo)
        if hostport.startswith("["):
            close = hostport.find("]")
            inner, port = hostport[1:close], hostport[close + 1:]
            if close < 0 or "[" in inner or not (_IPV_FUTURE.fullmatch(inner)
                                                 or _is_ip(inner, 6)):
                return False
        else:
            host, colon, digits = hostport.partition(":")
            port = colon + digits
            if _REG_NAME.fullmatch(host) is None:
                return False
            parts.append(host)
        if _PORT.fullmatch(port) is None:
            return False
    if _PATH.fullmatch(path) is None:
        return False
    parts.append(path)
    return not any(_BAD_PERCENT.search(part) for part in parts)


FORMATS: dict[str, Callable[[object], bool]] = {
    "date": is_date,
    "date-time": is_date_time,
    "email": is_email,
    "uri": is_uri,
}
