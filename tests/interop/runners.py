"""Shared by the interop tests: run rexport and the third-party tools, copy examples."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rexport.cli import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DATA = Path(__file__).resolve().parent / "data"
RO_CRATE_CONTEXT = "https://w3id.org/ro/crate/1.1/context"


def rexport(*args: str | os.PathLike[str]) -> Result:
    """Run the rexport CLI in this process; return click's Result."""
    return CliRunner().invoke(cli, [os.fspath(a) for a in args], catch_exceptions=False)


def tool(name: str) -> str | None:
    """The path of a console script installed beside this Python, or on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def needs(name: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(tool(name) is None, reason=f"{name} is not installed "
                                                         "(it comes with the test extra)")


def run_tool(name: str, *args: str | os.PathLike[str], home: Path
             ) -> subprocess.CompletedProcess[str]:
    """Run a third-party command with HOME in a scratch folder (bdbag writes its config there)."""
    command = tool(name)
    assert command is not None
    env = {**os.environ, "HOME": str(home), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([command, *map(os.fspath, args)], capture_output=True, text=True,
                          env=env, check=False, timeout=600)


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative path, with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def flip_byte(path: Path, offset: int = 0) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def context_cache(path: Path) -> Path:
    """A requests-cache SQLite store holding the RO-Crate 1.1 context, as rocrate-validator's
    --cache-path expects it (``path`` names the store without its .sqlite suffix)."""
    import requests_cache
    import urllib3
    from requests.adapters import HTTPAdapter

    documents = {RO_CRATE_CONTEXT: (DATA / "ro-crate-1.1-context.jsonld").read_bytes()}

    class Local(HTTPAdapter):
        """Answers from the shipped documents: the cache is filled without any network."""

        def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
            body = documents[request.url]
            raw = urllib3.HTTPResponse(body=io.BytesIO(body), status=200, preload_content=False,
                                       headers={"Content-Type": "application/ld+json"},
                                       request_url=request.url)
            return self.build_response(request, raw)

    # the same settings as rocrate-validator's own session, so that its lookups hit
    session = requests_cache.CachedSession(str(path), backend="sqlite", expire_after=-1,
                                           allowable_methods=("GET",),
                                           allowable_codes=(200, 302, 404))
    session.mount("https://", Local())
    session.mount("http://", Local())
    try:
        for url in documents:
            assert session.get(url).status_code == 200
    finally:
        session.close()
    return path
