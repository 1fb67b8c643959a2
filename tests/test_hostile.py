"""The hostile corpus through `rexport.validate`: the right code, no traceback, no write,
within 10 s and 256 MiB."""

from __future__ import annotations

import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile.cases import CASES, EVIL, Case
from hostile.model import CONTAINERS, base, write

TIME_LIMIT = 10.0
MEMORY_LIMIT = 256 << 20

Snapshot = dict[str, tuple[int, int, int]]


def validator() -> Callable[..., Any]:
    """rexport.validate, or skip while the validator cannot be imported."""
    try:
        from rexport.validation import validate
    except ImportError as exc:  # the validator lands separately from the sources
        pytest.skip(f"the validator is not available: {exc}")
    return validate


def snapshot(root: Path) -> Snapshot:
    """Every path under ``root`` with its mode, size and modification time (links unfollowed)."""
    out: Snapshot = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            full = os.path.join(folder, name)
            info = os.lstat(full)
            out[os.path.relpath(full, root)] = (info.st_mode, info.st_size, info.st_mtime_ns)
    return out


def evil_outside(*roots: Path) -> list[str]:
    """Files named like the corpus's escape target in the places an extractor could write."""
    return [str(r / EVIL) for r in roots if (r / EVIL).exists()]


class Sandbox:
    """A case laid out in ``tmp_path``: export, working directory and TMPDIR, all watched."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = tmp_path
        self.exports = tmp_path / "exports"
        self.cwd = tmp_path / "cwd"
        self.tmp = tmp_path / "tmp"
        for folder in (self.exports, self.cwd, self.tmp):
            folder.mkdir()
        monkeypatch.chdir(self.cwd)
        monkeypatch.setenv("TMPDIR", str(self.tmp))
        monkeypatch.setattr(tempfile, "tempdir", str(self.tmp))
        self._before: Snapshot = {}
        self._parent: set[str] = set()

    def watch(self) -> None:
        self._before = snapshot(self.root)
        self._parent = set(os.listdir(self.root.parent))

    def assert_untouched(self) -> None:
        assert snapshot(self.root) == self._before, "something was written"
        assert set(os.listdir(self.root.parent)) == self._parent
        assert not evil_outside(self.root.parent, self.root.parent.parent, Path("/tmp"))


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    return Sandbox(tmp_path, monkeypatch)


def run_case(case: Case, sandbox: Sandbox) -> tuple[Any, float, int]:
    """Build and validate ``case``; return (report, seconds, peak traced bytes)."""
    validate = validator()
    target = case.make(sandbox.exports)
    sandbox.watch()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        report = validate(target, **case.options)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    sandbox.assert_untouched()
    return report, elapsed, peak


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=[pytest.mark.slow] * c.slow)
                                  for c in CASES])
def test_hostile_export_is_refused(case: Case, sandbox: Sandbox,
                                   capfd: pytest.CaptureFixture[str]) -> None:
    report, elapsed, peak = run_case(case, sandbox)
    codes = {f.code for f in report.findings}
    assert set(case.codes) <= codes, sorted(codes)
    assert report.exit_code == case.exit_code
    assert elapsed < TIME_LIMIT
    assert peak < MEMORY_LIMIT
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("container", CONTAINERS)
def test_base_export_is_valid(container: str, sandbox: Sandbox) -> None:
    """Each hostile case changes one thing in this export, which is valid as it is."""
    validate = validator()
    target = write(base(), container, sandbox.exports)
    sandbox.watch()
    report = validate(target)
    assert [f.code for f in report.errors] == []
    assert report.exit_code == 0
    sandbox.assert_untouched()


def test_corpus_covers_every_item_in_every_container() -> None:
    """At least 40 cases; every safety and parse code of the catalogue has one."""
    from rexport.findings import CATALOGUE

    assert len(CASES) >= 40
    covered = {code for case in CASES for code in case.codes}
    wanted = {code for code, rule in CATALOGUE.items()
              if rule.family in ("safety", "parse")}
    assert wanted <= covered, sorted(wanted - covered)
    for item in ("symlink", "fifo", "case-twin", "nfc-twin", "entry-cap", "size-cap",
                 "control-in-name", "reserved-name", "not-nfc", "overlong-path", "bom", "nan",
                 "yaml-alias", "yaml-tag"):
        assert {c.container for c in CASES if c.item == item} == set(CONTAINERS), item
