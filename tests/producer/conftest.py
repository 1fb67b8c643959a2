"""Fixtures of the producer tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller's SOURCE_DATE_EPOCH never fixes the time of a pack or run; a test sets its own."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
