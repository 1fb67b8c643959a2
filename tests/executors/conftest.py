"""An export of many small files, shared by the executor tests (it takes a while to write)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.exports import many_files


@pytest.fixture(scope="session")
def twenty_thousand(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return many_files(tmp_path_factory.mktemp("many") / "run", 20_000)
