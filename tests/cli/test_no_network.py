"""The validator never touches the network: with every socket refused, it still validates."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, NoReturn

import pytest
from helpers.exports import TEXT, build_manifest, write_export
from rexport.validation import validate


class NetworkUsed(AssertionError):
    """Raised by every socket entry point while the network is cut."""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    attempts: list[str] = []

    def refuse(name: str) -> Any:
        def blocked(*args: Any, **kwargs: Any) -> NoReturn:
            attempts.append(name)
            raise NetworkUsed(f"socket.{name} called with {args!r}")

        return blocked

    for name in ("socket", "create_connection", "getaddrinfo", "gethostbyname",
                 "socketpair", "fromfd", "create_server"):
        monkeypatch.setattr(socket, name, refuse(name))
    return attempts


def _exports(repo_root: Path) -> list[Path]:
    found = sorted(p.parent for p in (repo_root / "examples").glob("**/rex.json"))
    assert found, "no example exports"
    return found


def test_sockets_really_are_cut(no_network: list[str]) -> None:
    with pytest.raises(NetworkUsed):
        socket.create_connection(("example.org", 443))
    with pytest.raises(NetworkUsed):
        socket.socket()
    assert no_network == ["create_connection", "socket"]


def test_examples_validate_offline(no_network: list[str], repo_root: Path) -> None:
    for export in _exports(repo_root):
        report = validate(export, jobs=2)
        assert not report.unreadable, export
        # the good examples stay valid offline: URIs, DOIs and schema $refs are never resolved
        assert report.valid is ("invalid" not in export.parts), export
        for finding in report.findings:
            assert "NetworkUsed" not in finding.message
    assert no_network == []


def test_references_to_remote_data_are_never_fetched(no_network: list[str],
                                                     tmp_path: Path, repo_root: Path) -> None:
    data = {"datasets": [{"id": "remote", "name": "remote set", "license": "CC-BY-4.0",
                          "access": "public",
                          "reference": {"uri": "https://example.org/data.tar", "size": 10,
                                        "digests": {"sha256": "0" * 64}}}]}
    config = {"seeds": {"python": 0},
              "hyperparameters_schema": "config/hp.schema.json"}
    files = dict(TEXT)
    files["config/hp.schema.json"] = (
        b'{"$schema": "https://json-schema.org/draft/2020-12/schema",'
        b' "$ref": "https://example.org/remote.schema.json"}')
    root = write_export(tmp_path / "run", files, build_manifest(files, data=data, config=config))
    report = validate(root)
    assert not report.unreadable
    assert no_network == []
    # a $ref that would need the network is the experiment schema's problem, not a fetch
    assert {f.code for f in report.findings} <= {"REX-R107"}
