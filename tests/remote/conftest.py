"""The S3-compatible store the remote tests share: rclone serving a folder on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.servers import S3Store, s3_env, s3_store, stop_fsspec


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Store]:
    root = tmp_path_factory.mktemp("s3")
    (root / "bucket").mkdir()
    with s3_store(root) as running:
        yield running


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """This process's environment made that of a client of the test store."""
    env = s3_env()
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def bucket(store: S3Store, request: pytest.FixtureRequest) -> Path:
    """A fresh prefix of the bucket for one test: its folder on the store's disk."""
    folder = store.root / "bucket" / request.node.name.replace("[", "-").replace("]", "")
    folder.mkdir(parents=True)
    return folder



@pytest.fixture(scope="module", autouse=True)
def _fsspec_stopped() -> Iterator[None]:
    yield
    stop_fsspec()
