"""Cases of the format grammar of EXP-05: borderline date-time, date, email and uri values."""

from __future__ import annotations

from typing import Any

from bases import full
from registry import Expect, case, dotted, shown
from rexgen import Export

# where each format is checked in the full export
_WHERE: dict[str, tuple[str | int, ...]] = {
    "date-time": ("created",),
    "date": ("governance", "retention", "until"),
    "email": ("governance", "creators", 0, "email"),
    "uri": ("results", "artifacts", 1, "uri"),
}


def _format(outcome: str, name: str, description: str, form: str, value: str) -> None:
    where = _WHERE[form]

    # plain JSON Schema validators assert formats each in its own way (or not at all):
    # EXP-05's grammar is REX's answer, so schema_valid has no one meaning here
    @case(outcome, "formats", name, description, ["EXP-05"], schema_valid=None,
          mutation=f"The full export with {dotted(where)} set to {shown(value, 90)}; re-sealed.")
    def build(x: Expect) -> Export:
        e = full()
        holder: Any = e.m
        for token in where[:-1]:
            holder = holder[token]
        holder[where[-1]] = value
        pointer = "".join(f"/{t}" for t in where)
        if outcome == "invalid":
            x.find("REX-S101", pointer)
        else:
            x.never("REX-S101")
        return e.seal()


# date-time and date: RFC 3339 with the choices of EXP-05
_format("valid", "date-time-lower-case", "t and z in lower case, nine fraction digits",
        "date-time", "2026-01-15t10:00:00.123456789z")
_format("valid", "date-time-leap-second", "a leap second at 23:59:60 UTC", "date-time",
        "2016-12-31T23:59:60Z")
_format("valid", "date-time-leap-second-offset", "a leap second whose UTC time is 23:59",
        "date-time", "2017-01-01T00:59:60+01:00")
_format("valid", "date-time-year-zero", "year 0000 of the proleptic calendar", "date-time",
        "0000-01-01T00:00:00-00:00")
_format("invalid", "date-time-space", "a space instead of T", "date-time",
        "2026-01-15 10:00:00Z")
_format("invalid", "date-time-no-offset", "a date-time without its offset", "date-time",
        "2026-01-15T10:00:00")
_format("invalid", "date-time-leap-second-at-noon", "second 60 when UTC is not 23:59",
        "date-time", "2026-01-15T12:00:60Z")
_format("invalid", "date-time-empty-fraction", "a dot with no fraction digit", "date-time",
        "2026-01-15T10:00:00.Z")
_format("invalid", "date-time-offset-24", "an offset of +24:00", "date-time",
        "2026-01-15T10:00:00+24:00")
_format("valid", "date-leap-day", "29 February of a leap year", "date", "2024-02-29")
_format("invalid", "date-not-leap-year", "29 February of a common year", "date", "2026-02-29")
_format("invalid", "date-century-not-leap", "29 February 1900", "date", "1900-02-29")

# email: an RFC 5321 mailbox in ASCII
_format("valid", "email-quoted-local-part", "a quoted local part with a space", "email",
        '"ada lovelace"@example.org')
_format("valid", "email-ipv6-literal", "an IPv6 address literal", "email",
        "ada@[IPv6:2001:db8::1]")
_format("valid", "email-one-label", "a domain of one label", "email", "ada@localhost")
_format("valid", "email-local-part-64", "a local part of 64 characters", "email",
        "a" * 64 + "@example.org")
_format("invalid", "email-local-part-65", "a local part of 65 characters", "email",
        "a" * 65 + "@example.org")
_format("invalid", "email-trailing-dot", "a local part ending in a dot", "email",
        "ada.@example.org")
_format("invalid", "email-empty-label", "a domain with an empty label", "email",
        "ada@example..org")
_format("invalid", "email-display-name", "a name and an address in angle brackets", "email",
        "Ada <ada@example.org>")
_format("invalid", "email-non-ascii-domain", "a domain that is not ASCII", "email",
        "ada@b\u00fccher.example")
_format("invalid", "email-ipv6-zone", "an IPv6 literal with a zone identifier", "email",
        "ada@[IPv6:fe80::1%eth0]")

# uri: an RFC 3986 URI, scheme required, fragment allowed
_format("valid", "uri-urn", "a URN", "uri", "urn:isbn:0451450523")
_format("valid", "uri-fragment", "a URI with a fragment", "uri",
        "https://example.org/model.pt#weights")
_format("valid", "uri-empty-host", "a file URI with an empty host", "uri",
        "file:///data/model.pt")
_format("valid", "uri-percent-encoded", "percent-encoded spaces", "uri",
        "s3://example-bucket/big%20model.pt")
_format("invalid", "uri-relative", "a network-path reference without a scheme", "uri",
        "//example.org/model.pt")
_format("invalid", "uri-space", "a URI holding a space", "uri",
        "https://example.org/big model.pt")
_format("invalid", "uri-bad-percent", "a percent not followed by two hex digits", "uri",
        "https://example.org/model%zz.pt")
_format("invalid", "uri-ipv6-zone", "an IPv6 host with a zone identifier", "uri",
        "https://[fe80::1%25eth0]/model.pt")
_format("invalid", "uri-non-ascii", "an IRI with a character that is not ASCII", "uri",
        "https://b\u00fccher.example/model.pt")
_format("invalid", "uri-scheme-digit", "a scheme starting with a digit", "uri",
        "3s://example-bucket/model.pt")
