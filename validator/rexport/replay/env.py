"""Recreate an export's Python environment in a fresh virtual environment from its lockfile."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from rexport.json_values import as_list, get

LOCKFILE_FORMAT = "pip-requirements"
INSTALL_TIMEOUT = 3600.0

# pip reaches the package index with the caller's own settings (index, proxy, certificates)
# and PATH; nothing else of the caller's environment is passed on.
_PIP_VARIABLES = re.compile(
    r"^(PIP_[A-Z0-9_]+|(HTTPS?|ALL|NO)_PROXY|(https?|all|no)_proxy|SSL_CERT_(FILE|DIR)"
    r"|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE|XDG_(CONFIG|CACHE)_HOME|HOME|USERPROFILE|APPDATA"
    r"|LOCALAPPDATA|SYSTEMROOT|TEMP|TMP|TMPDIR)$")

# Lines of a requirements file that make pip read other files or folders, anywhere on this
# machine: refused, since a lockfile pins packages from an index and nothing else.
_FILE_OPTIONS = re.compile(
    r"^\s*(-[rce]|--(requirement|constraint|editable)\b|[./~\\]|[A-Za-z]:[\\/])|file:"
    r"|(^|\s)(-f|--find-links)[=\s]*(?!https?://)[^=\s]",
    re.IGNORECASE)


class SetupError(Exception):
    """The environment could not be recreated; ``package`` names what pip could not get."""

    def __init__(self, message: str, *, package: str | None = None, tail: Sequence[str] = ()):
        super().__init__(message)
        self.package = package
        self.tail = list(tail)


@dataclass
class Lockfile:
    """A lockfile this replay installs: where it is and whether it pins hashes."""

    path: str
    hashes: bool


@dataclass
class Venv:
    """A virtual environment: its folder, interpreter, and the pip command that installs in it."""

    root: Path
    python: Path
    pip: list[str]
    log: list[str] = field(default_factory=list)


def pip_lockfiles(manifest: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Return (pip-requirements lockfile paths, paths of lockfiles in formats not installed)."""
    used: list[str] = []
    skipped: list[str] = []
    for entry in as_list(get(manifest, "environment", "lockfiles")):
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            (used if entry.get("format") == LOCKFILE_FORMAT else skipped).append(entry["path"])
    return used, skipped


def inspect_lockfile(path: Path, name: str) -> Lockfile:
    """Read a requirements file: refuse file-reading options, and note whether it pins hashes."""
    text = path.read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if _FILE_OPTIONS.search(line.split(" #")[0]):
            raise SetupError(f"{name}:{number}: '{line.strip()}' refers to local files or "
                             "folders; replay installs pinned requirements from an index only")
    return Lockfile(name, "--hash" in text)


def has_requirements(path: Path) -> bool:
    """True when a requirements file holds anything but blank lines and comments."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines())


def venv_python(root: Path) -> Path:
    if sys.platform == "win32":
        return root / "Scripts" / "python.exe"
    return root / "bin" / "python"


def pip_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's variables pip needs to reach an index, and no others."""
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if _PIP_VARIABLES.match(k)}
    # PATH is no secret, and building an sdist may need the caller's compilers
    env["PATH"] = source.get("PATH", os.defpath)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env


def find_python(python: str | None) -> str:
    """The interpreter that builds the venv: ``python`` looked up on PATH, else this one."""
    if python is None:
        return sys.executable
    found = shutil.which(python)
    if found is None:
        raise SetupError(f"interpreter not found: {python}")
    return found


def venv_command(python: str, root: Path, *, with_pip: bool, site_packages: bool) -> list[str]:
    cmd = [python, "-m", "venv"]
    if not with_pip:
        cmd.append("--without-pip")
    if site_packages:
        cmd.append("--system-site-packages")
    return [*cmd, str(root)]


def host_pip() -> list[str] | None:
    """This interpreter's pip when it can install into another environment (pip >= 22.3)."""
    try:
        version = metadata.version("pip")
    except metadata.PackageNotFoundError:
        return None
    found = re.match(r"(\d+)\.(\d+)", version)
    if found is None or (int(found[1]), int(found[2])) < (22, 3):
        return None
    return [sys.executable, "-m", "pip"]


def install_command(pip: Sequence[str], lockfile: Lockfile, lock_path: Path | str) -> list[str]:
    hashes = ["--require-hashes"] if lockfile.hashes else []
    # pip would switch hash checking on by itself; saying it makes the check explicit and total
    return [*pip, "install", "--prefer-binary", "--no-input", "--disable-pip-version-check",
            *hashes, "-r", str(lock_path)]


def _run(cmd: Sequence[str], *, timeout: float, env: Mapping[str, str]) -> tuple[int, list[str]]:
    try:
        done = subprocess.run(list(cmd), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout, env=dict(env),
                              check=False)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout if isinstance(exc.stdout, bytes) else b""
        return -1, [*out.decode("utf-8", "replace").splitlines()[-50:], "(timed out)"]
    except OSError as exc:
        return -1, [str(exc)]
    return done.returncode, done.stdout.decode("utf-8", "replace").splitlines()


def create_venv(python: str, root: Path, *, installs: bool, site_packages: bool) -> Venv:
    """Create a virtual environment at ``root`` with ``python``; raise SetupError.

    When something is to be installed, this interpreter's pip installs into the venv if it
    can (``pip --python``): bootstrapping pip inside every venv costs seconds. Else, or if it
    cannot, the venv gets its own pip.
    """
    host = host_pip() if installs else None
    bootstrap = installs and host is None
    cmd = venv_command(python, root, with_pip=bootstrap, site_packages=site_packages)
    code, lines = _run(cmd, timeout=INSTALL_TIMEOUT, env=pip_environment())
    interpreter = venv_python(root)
    pip = [*host, "--python", str(interpreter)] if host else [str(interpreter), "-m", "pip"]
    venv = Venv(root, interpreter, pip, lines)
    if code != 0 or not venv.python.exists():
        raise SetupError(f"could not create the virtual environment with {python}",
                         tail=lines[-50:])
    return venv


_MISSING = (re.compile(r"No matching distribution found for ([^\s;]+)"),
            re.compile(r"Could not find a version that satisfies the requirement ([^\s;]+)"),
            # uv's words for the same
            re.compile(r"there is no version of ([^\s;]+?)(?:\s|$)"),
            re.compile(r"Because ([^\s;]+) was not found in the package registry"))


def run_tool(cmd: Sequence[str], environ: Mapping[str, str]) -> tuple[int, list[str]]:
    """Run an installer's command with ``environ``: (exit status, its output lines)."""
    return _run(cmd, timeout=INSTALL_TIMEOUT, env=environ)


def install(venv: Venv, lockfile: Lockfile, lock_path: Path, *,
            command: Sequence[str] | None = None,
            environ: Mapping[str, str] | None = None) -> None:
    """Install one lockfile into the venv (pip, or ``command`` with ``environ``, as uv's);
    raise SetupError naming what failed."""
    code, lines = _run(command or install_command(venv.pip, lockfile, lock_path),
                       timeout=INSTALL_TIMEOUT, env=pip_environment() if environ is None
                       else environ)
    venv.log += lines
    if code == 0:
        return
    for pattern in _MISSING:
        for line in lines:
            found = pattern.search(line)
            if found:
                raise SetupError(f"package cannot be had: {found.group(1)} "
                                 f"(from {lockfile.path})", package=found.group(1),
                                 tail=lines[-50:])
    errors = [line.strip() for line in lines if line.lstrip().startswith(("ERROR", "error:",
                                                                           "×"))]
    reason = errors[0] if errors else f"the installer exited with status {code}"
    raise SetupError(f"installing {lockfile.path} failed: {reason}", tail=lines[-50:])
