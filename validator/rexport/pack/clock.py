"""The export's reference time: SOURCE_DATE_EPOCH, else the commit time, else a fixed epoch."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone

from rexport.pack.errors import PackError

# 1980-01-01T00:00:00Z: the earliest time a zip entry can carry, and the usual reproducible-builds
# default; used when neither SOURCE_DATE_EPOCH nor a commit time is known.
FALLBACK_EPOCH = 315_532_800

Clock = Callable[[], float]


def source_date_epoch(environ: Mapping[str, str] | None = None) -> int | None:
    """Return SOURCE_DATE_EPOCH as an integer, None when unset; PackError when malformed."""
    raw = (os.environ if environ is None else environ).get("SOURCE_DATE_EPOCH")
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise PackError(f"SOURCE_DATE_EPOCH must be a non-negative integer, not {raw!r}")
    return int(raw)


def reference_epoch(commit_time: int | None, environ: Mapping[str, str] | None = None) -> int:
    """The time written as `created` and as every archive member's mtime (spec PKG)."""
    epoch = source_date_epoch(environ)
    if epoch is not None:
        return epoch
    if commit_time is not None:
        return commit_time
    return FALLBACK_EPOCH


def rfc3339(epoch: float) -> str:
    """Format seconds since the epoch as an RFC 3339 UTC timestamp with second precision."""
    moment = datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def default_clock(environ: Mapping[str, str] | None = None) -> Clock:
    """The clock for lineage times: wall time, clamped to SOURCE_DATE_EPOCH when that is set.

    Clamping is the reproducible-builds convention: a rebuild after the reference time records
    the reference time, so a re-run gives the same timestamps.
    """
    epoch = source_date_epoch(environ)
    if epoch is None:
        return time.time
    limit = float(epoch)
    return lambda: min(time.time(), limit)


def fixed_clock(epoch: int) -> Clock:
    """A clock that always answers ``epoch``: every lineage time is the same instant."""
    value = float(epoch)
    return lambda: value
