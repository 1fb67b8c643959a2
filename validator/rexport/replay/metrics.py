"""Read the metrics a replay wrote and judge each against its recorded value and tolerance."""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rexport.json_values import as_list, get, is_number, obj, string
from rexport.parsing import metrics_file
from rexport.parsing.metrics_file import METRICS_CAP

_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
          | getattr(os, "O_BINARY", 0))


class MetricsError(Exception):
    """The metrics file is missing or unusable."""


@dataclass(frozen=True)
class Check:
    """One metric to compare: its name, split, the recorded value and its tolerance."""

    name: str
    split: str | None
    expected: Any
    absolute: float | None = None
    relative: float | None = None

    @property
    def label(self) -> str:
        return self.name + (f" ({self.split})" if self.split is not None else "")

    def tolerance(self) -> dict[str, float]:
        out: dict[str, float] = {}
        if self.absolute is not None:
            out["absolute"] = self.absolute
        if self.relative is not None:
            out["relative"] = self.relative
        return out


@dataclass(frozen=True)
class Outcome:
    """The judgement on one metric: what was expected, what came back, pass or fail."""

    check: Check
    got: Any
    passed: bool

    def to_json(self) -> dict[str, Any]:
        c = self.check
        delta = (float(self.got) - float(c.expected)
                 if is_number(self.got) and is_number(c.expected) else None)
        return {"name": c.name, "split": c.split, "expected": c.expected, "got": self.got,
                "delta": delta, "tolerance": c.tolerance(), "passed": self.passed}


def _bound(value: Any) -> float | None:
    return float(value) if is_number(value) and value >= 0 else None


def checks(manifest: Mapping[str, Any]) -> list[Check]:
    """The metrics to compare: ``replay.metrics`` matched to ``results.metrics`` by name (+split).

    Without ``replay.metrics``, every recorded metric, with no tolerance (exact equality).
    A replay metric with no recorded value is kept, with ``expected`` None, and will fail.
    """
    recorded = [m for m in as_list(get(manifest, "results", "metrics")) if isinstance(m, dict)]
    wanted = get(manifest, "replay", "metrics")
    if not isinstance(wanted, list):
        return [Check(str(m.get("name")), string(m.get("split")), m.get("value")) for m in recorded]
    out: list[Check] = []
    for item in wanted:
        if not isinstance(item, dict):
            continue
        name, split = str(item.get("name")), string(item.get("split"))
        match = [m for m in recorded if m.get("name") == name
                 and (split is None or string(m.get("split")) == split)]
        tol = obj(item.get("tolerance"))
        out.append(Check(name, split, match[-1].get("value") if match else None,
                         _bound(tol.get("absolute")), _bound(tol.get("relative"))))
    return out


def within(check: Check, got: Any) -> bool:
    """True when ``got`` matches ``check.expected`` within the tolerance.

    d = |got - expected|. With both bounds given, the metric passes when d <= absolute OR
    d <= relative * |expected| (either bound suffices). With one bound, that bound decides; with
    none, the values must be equal. Non-numbers must be equal; NaN and infinities never pass.
    """
    expected = check.expected
    if not (is_number(got) and is_number(expected)):
        return got is not None and type(got) is type(expected) and bool(got == expected)
    if not (math.isfinite(got) and math.isfinite(expected)):
        return False
    d = abs(float(got) - float(expected))
    if check.absolute is None and check.relative is None:
        return d == 0
    ok_abs = check.absolute is not None and d <= check.absolute
    ok_rel = check.relative is not None and d <= check.relative * abs(float(expected))
    return ok_abs or ok_rel


def read_metrics(root: Path, relpath: str) -> tuple[dict[tuple[str, str | None], Any],
                                                     dict[str, Any]]:
    """Read the metrics file a replay wrote under ``root`` (spec RPL-04).

    Accepts ``{"metrics": [{"name", "value", "split"?}, ...]}`` or ``{name: value, ...}``, in
    JSON, or in YAML when the name ends in .yaml or .yml. Returns (values by (name, split),
    values by name alone, the last one written winning). Raise MetricsError when it is
    missing, not a regular file, over 16 MiB or not such a document.
    """
    try:
        fd = os.open(root.joinpath(*relpath.split("/")), _FLAGS)
    except OSError as exc:
        raise MetricsError(f"metrics file not written: {relpath} ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fp:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise MetricsError(f"metrics file is not a regular file: {relpath}")
        data = fp.read(METRICS_CAP + 1)
    try:
        found = metrics_file.load_metrics(data, name=relpath)
    except metrics_file.MetricsFileError as exc:
        raise MetricsError(str(exc)) from None
    return metrics_file.by_name_and_split(found)


def judge(all_checks: list[Check], by_split: Mapping[tuple[str, str | None], Any],
          by_name: Mapping[str, Any]) -> list[Outcome]:
    """Compare each check with the value written for its name and split (or its name alone)."""
    out: list[Outcome] = []
    for check in all_checks:
        if (check.name, check.split) in by_split:
            got = by_split[(check.name, check.split)]
        elif (check.name, None) in by_split:
            got = by_split[(check.name, None)]
        else:
            # a file that gives each metric once, without splits, answers by name
            got = by_name.get(check.name) if check.split is None else None
        out.append(Outcome(check, got, check.expected is not None and within(check, got)))
    return out
