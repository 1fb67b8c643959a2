"""pip runs with none of the caller's index, proxy, netrc or config settings unless asked."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers.replay_export import TRAIN, build_export
from rexport.cli import cli
from rexport.replay import uv
from rexport.replay.env import pip_environment

CANARY = "rexport-canary-7f3a"
WHEEL = "rexcanary-1.0-py3-none-any.whl"


def _wheel() -> bytes:
    """A one-module wheel, ``rexcanary`` 1.0, that pip installs from a local page."""
    files = {
        "rexcanary.py": b"VALUE = 7\n",
        "rexcanary-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: rexcanary\n"
                                            b"Version: 1.0\n",
        "rexcanary-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: tests\n"
                                         b"Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    def digest(data: bytes) -> str:
        return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")

    record = "".join(f"{name},sha256={digest(data)},{len(data)}\n"
                     for name, data in files.items())
    files["rexcanary-1.0.dist-info/RECORD"] = (record + "rexcanary-1.0.dist-info/RECORD,,\n"
                                               ).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


class Server:
    """A web server on 127.0.0.1 that records every request: a canary, or a links page."""

    def __init__(self, pages: dict[str, bytes]) -> None:
        self.requests: list[dict[str, Any]] = []
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer(with_body=True)

            def do_HEAD(self) -> None:  # uv asks for a wheel's headers first
                self._answer(with_body=False)

            def _answer(self, *, with_body: bool) -> None:
                seen.append({"path": self.path, "headers": dict(self.headers)})
                body = pages.get(self.path.split("?")[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                if with_body:
                    self.wfile.write(body or b"")

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def canary(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Server]:
    """The caller's pip settings, proxies and netrc all point at a server that must stay quiet."""
    server = Server({})
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS"):
        monkeypatch.setenv(name, f"{server.url}/{CANARY}/{name}")
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, server.url)
    for name in ("no_proxy", "NO_PROXY", "PIP_NO_INDEX", "PIP_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "caller-home"
    (home / ".config" / "pip").mkdir(parents=True)
    (home / ".netrc").write_text(f"machine 127.0.0.1 login {CANARY} password {CANARY}\n")
    (home / ".config" / "pip" / "pip.conf").write_text(
        f"[global]\nextra-index-url = {server.url}/{CANARY}/pip.conf\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NETRC", str(home / ".netrc"))
    yield server
    server.close()


def replay(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["replay", *args, "--yes", "-o", "json"])
    return result.exit_code, json.loads(result.stdout)


def test_pip_environment_holds_none_of_the_callers_settings(tmp_path: Path) -> None:
    caller = {"PATH": "/usr/bin", "PIP_INDEX_URL": CANARY, "https_proxy": CANARY,
              "NETRC": CANARY, "HOME": CANARY, "PIP_CONFIG_FILE": CANARY,
              "REQUESTS_CA_BUNDLE": "/etc/ssl/ca.pem", "AWS_SECRET_ACCESS_KEY": CANARY}
    env = pip_environment(tmp_path, base=caller)
    assert CANARY not in json.dumps(env)
    assert env["HOME"] == str(tmp_path) and env["REQUESTS_CA_BUNDLE"] == "/etc/ssl/ca.pem"
    own = pip_environment(tmp_path, caller_settings=True, base=caller)
    assert own["PIP_INDEX_URL"] == own["https_proxy"] == own["HOME"] == CANARY
    assert "AWS_SECRET_ACCESS_KEY" not in own


def test_installers_keep_the_users_download_cache(tmp_path: Path) -> None:
    caller = {"PATH": "/usr/bin", "XDG_CACHE_HOME": str(tmp_path / "c"), "PIP_CACHE_DIR": CANARY,
              "UV_CACHE_DIR": CANARY}
    assert pip_environment(tmp_path, base=caller)["PIP_CACHE_DIR"] == str(tmp_path / "c" / "pip")
    assert uv.environment(tmp_path, base=caller)["UV_CACHE_DIR"] == str(tmp_path / "c" / "uv")
    # with the caller's settings, the caller's own choice of cache stands
    assert uv.environment(tmp_path, caller_settings=True, base=caller)["UV_CACHE_DIR"] == CANARY


INSTALLERS = pytest.mark.parametrize("installer", ["pip", "uv"])


@INSTALLERS
def test_callers_pip_settings_reach_no_request(tmp_path: Path, canary: Server,
                                               installer: str) -> None:
    # --no-index: only a find-links page of the caller's (PIP_FIND_LINKS) could be asked
    root = build_export(tmp_path / "run", lockfile="--no-index\nrexcanary==1.0\n")
    code, report = replay(str(root), "--workdir", str(tmp_path / "work"),
                          "--installer", installer)
    assert code == 2 and report["stage"] == "environment"
    assert report["package"].startswith("rexcanary"), report
    assert canary.requests == []


@INSTALLERS
def test_pip_env_passes_the_callers_settings_on(tmp_path: Path, canary: Server,
                                                installer: str) -> None:
    root = build_export(tmp_path / "run", lockfile="--no-index\nrexcanary==1.0\n")
    code, report = replay(str(root), "--pip-env", "--installer", installer)
    assert code == 2 and report["stage"] == "environment"
    assert any(CANARY in r["path"] for r in canary.requests)


@INSTALLERS
def test_export_index_gets_no_caller_credentials(tmp_path: Path, canary: Server,
                                                 installer: str) -> None:
    index = Server({"/": f'<a href="{WHEEL}">{WHEEL}</a>'.encode(), f"/{WHEEL}": _wheel()})
    try:
        script = "import rexcanary\nassert rexcanary.VALUE == 7\n" + TRAIN
        root = build_export(tmp_path / "run", script=script,
                            lockfile=f"--no-index\n--find-links {index.url}/\nrexcanary==1.0\n")
        work = tmp_path / "work"
        code, report = replay(str(root), "--workdir", str(work), "--installer", installer)
        assert code == 2 and "--allow-export-index" in report["reason"]
        assert index.requests == []
        code, report = replay(str(root), "--allow-export-index", "--workdir", str(tmp_path / "w"),
                              "--installer", installer)
        assert code == 0, json.dumps(report)
        seen = json.loads((tmp_path / "w" / "export" / "replay" / "env.json").read_text())
    finally:
        index.close()
    assert {r["path"] for r in index.requests} >= {"/", f"/{WHEEL}"}
    assert not any("Authorization" in r["headers"] for r in index.requests)  # no netrc
    assert canary.requests == []  # no proxy, no caller index, no pip.conf
    assert CANARY not in json.dumps(seen)  # and nothing of it in the command's variables
