"""The hostile corpus through `rexport.validate`: the right code, no traceback, no write,
256 MiB at most, and (under slow) 10 s at most."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from helpers.archives import CONTAINERS
from rexport.validation import validate

from hostile.cases import CASES, Case
from hostile.model import base, write
from hostile.sandbox import Sandbox

TIME_LIMIT = 10.0
MEMORY_LIMIT = 256 << 20
HANG_GUARD = 60  # seconds: turns a hang into a failure where the time is not asserted


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    return Sandbox(tmp_path, monkeypatch)


def refused(case: Case, sandbox: Sandbox, capfd: pytest.CaptureFixture[str]) -> float:
    """Build and validate ``case``, asserting what the validator says, that it writes nothing
    and stays under MEMORY_LIMIT; return the seconds validation took."""
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
    codes = {f.code for f in report.findings}
    assert set(case.codes) <= codes, sorted(codes)
    assert report.exit_code == case.exit_code
    assert peak < MEMORY_LIMIT
    assert "Traceback" not in capfd.readouterr().err
    return elapsed


@pytest.mark.timeout(HANG_GUARD)
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES if not c.slow])
def test_hostile_export_is_refused(case: Case, sandbox: Sandbox,
                                   capfd: pytest.CaptureFixture[str]) -> None:
    refused(case, sandbox, capfd)


@pytest.mark.slow
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_hostile_export_is_refused_in_time(case: Case, sandbox: Sandbox,
                                           capfd: pytest.CaptureFixture[str]) -> None:
    assert refused(case, sandbox, capfd) < TIME_LIMIT


@pytest.mark.parametrize("container", CONTAINERS)
def test_base_export_is_valid(container: str, sandbox: Sandbox) -> None:
    """Each hostile case changes one thing in this export, which is valid as it is."""
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


_ALL_FOUR = sorted({c.item for c in CASES
                    if {d.container for d in CASES if d.item == c.item} == set(CONTAINERS)})


@pytest.mark.parametrize("item", _ALL_FOUR)
def test_same_codes_in_every_container(item: str, tmp_path: Path) -> None:
    """A hostile export gives the same codes as a directory and as each archive kind."""
    found = {}
    for case in (c for c in CASES if c.item == item):
        folder = tmp_path / case.container.replace(".", "-")
        folder.mkdir()
        report = validate(case.make(folder), **case.options)
        found[case.container] = sorted({f.code for f in report.findings})
    assert len({tuple(codes) for codes in found.values()}) == 1, found
