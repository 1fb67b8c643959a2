"""Recreate an export's Python environment in a fresh virtual environment from its lockfile."""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from rexport.json_values import as_list, get
from rexport.replay import run
from rexport.replay.lockfile import Lockfile, LockfileError, read_lockfile

LOCKFILE_FORMAT = "pip-requirements"
INSTALL_TIMEOUT = 3600.0

# The caller's settings that decide where pip connects and with which credentials: index URLs
# and options (PIP_*), proxies, netrc, pip's config files. Passed on only when asked for.
_CALLER_SETTINGS = re.compile(
    r"^(PIP_[A-Z0-9_]+|(HTTPS?|ALL|NO)_PROXY|(https?|all|no)_proxy|NETRC|HOME|USERPROFILE"
    r"|APPDATA|XDG_CONFIG_HOME|XDG_CACHE_HOME)$")
# Passed on always: where the caller's trusted certificates are (a corporate CA must not break
# the install; it grants nothing), temporary folders, and what Windows needs to start programs.
_ALWAYS = re.compile(
    r"^(SSL_CERT_(FILE|DIR)|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE|TEMP|TMP|TMPDIR|SYSTEMROOT"
    r"|LOCALAPPDATA)$")


class SetupError(Exception):
    """The environment could not be recreated; ``package`` names what pip could not get."""

    def __init__(self, message: str, *, package: str | None = None, tail: Sequence[str] = ()):
        super().__init__(message)
        self.package = package
        self.tail = list(tail)


@dataclass
class Venv:
    """A virtual environment: its folder, interpreter, the installer's command that installs
    in it (pip's, or uv's when ``installer`` is "uv"), the variables the installer and the
    probe run with, the empty folder they run in, and the installer's output."""

    root: Path
    python: Path
    pip: list[str]
    env: dict[str, str]
    home: Path
    installer: str = "pip"
    log: list[str] = field(default_factory=list)


def pip_lockfiles(manifest: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Return (pip-requirements lockfile paths, paths of lockfiles in formats not installed)."""
    used: list[str] = []
    skipped: list[str] = []
    for entry in as_list(get(manifest, "environment", "lockfiles")):
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            (used if entry.get("format") == LOCKFILE_FORMAT else skipped).append(entry["path"])
    return used, skipped


def inspect_lockfile(path: Path, name: str, *, allow_sources: bool = False) -> Lockfile:
    """Read a requirements file as pip does; SetupError names the first line refused."""
    try:
        return read_lockfile(path, name, allow_sources=allow_sources)
    except LockfileError as exc:
        raise SetupError(f"lockfile refused: {exc}") from None


def venv_python(root: Path) -> Path:
    if sys.platform == "win32":
        return root / "Scripts" / "python.exe"
    return root / "bin" / "python"


def user_cache(environ: Mapping[str, str] | None = None) -> Path:
    """The user's cache folder: $XDG_CACHE_HOME, else ~/.cache (%LOCALAPPDATA% on Windows)."""
    source = os.environ if environ is None else environ
    if sys.platform == "win32" and source.get("LOCALAPPDATA"):
        return Path(source["LOCALAPPDATA"])
    return Path(source.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"))


def pip_environment(home: Path, *, caller_settings: bool = False,
                    base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables pip runs with: PATH and certificate locations of the caller's, ``home``
    as HOME, no config file, netrc or keyring, and the user's download cache (which says
    nothing of where pip connects: a first replay need not download every package again);
    with ``caller_settings``, the caller's own PIP_*, proxy, netrc and pip config settings
    instead (RPL-06)."""
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if _ALWAYS.match(k)}
    # PATH is no secret, and building an sdist may need the caller's compilers
    env["PATH"] = source.get("PATH", os.defpath)
    if caller_settings:
        env.update({k: v for k, v in source.items() if _CALLER_SETTINGS.match(k)})
    else:
        env.update(HOME=str(home), USERPROFILE=str(home), PIP_CONFIG_FILE=os.devnull,
                   NETRC=str(home / ".netrc"), PIP_KEYRING_PROVIDER="disabled",
                   PIP_CACHE_DIR=str(user_cache(source) / "pip"))
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


def install_command(venv: Venv, lockfile: Lockfile, lock_path: Path | str) -> list[str]:
    """The installer's command that installs one lockfile into ``venv``."""
    hashes = ["--require-hashes"] if lockfile.hashes else []
    # pip would switch hash checking on by itself; saying it makes the check explicit and total
    if venv.installer == "uv":
        return [*venv.pip, *hashes, "-r", str(lock_path)]
    return [*venv.pip, "install", "--prefer-binary", "--no-input", "--disable-pip-version-check",
            *hashes, "-r", str(lock_path)]


def run_tool(cmd: Sequence[str], *, env: Mapping[str, str], cwd: Path, log: Path
             ) -> tuple[int, list[str]]:
    """Run a setup command in its own session, killed with all it started at the timeout."""
    result = run.run_command(cmd, cwd=cwd, env=env, timeout=INSTALL_TIMEOUT, log=log)
    if result.timed_out:
        return -1, [*result.tail, f"(timed out after {INSTALL_TIMEOUT:g} s)"]
    return result.returncode or 0, result.tail


def create_venv(python: str, root: Path, *, installs: bool, site_packages: bool,
                home: Path, caller_settings: bool = False) -> Venv:
    """Create a virtual environment at ``root`` with ``python``; raise SetupError.

    pip runs in ``home``, a new empty folder, with pip_environment(home, caller_settings).
    When something is to be installed, this interpreter's pip installs into the venv if it
    can (``pip --python``): bootstrapping pip inside every venv costs seconds. Else, or if it
    cannot, the venv gets its own pip.
    """
    env = pip_environment(home, caller_settings=caller_settings)
    host = host_pip() if installs else None
    bootstrap = installs and host is None
    cmd = venv_command(python, root, with_pip=bootstrap, site_packages=site_packages)
    code, lines = run_tool(cmd, env=env, cwd=home, log=root.parent / "venv.log")
    interpreter = venv_python(root)
    pip = [*host, "--python", str(interpreter)] if host else [str(interpreter), "-m", "pip"]
    venv = Venv(root, interpreter, pip, env, home)
    if code != 0 or not venv.python.exists():
        raise SetupError(f"could not create the virtual environment with {python}", tail=lines)
    return venv


_MISSING = (re.compile(r"No matching distribution found for ([^\s;]+)"),
            re.compile(r"Could not find a version that satisfies the requirement ([^\s;]+)"),
            # uv's words for the same
            re.compile(r"there is no version of ([^\s;]+?)(?:\s|$)"),
            re.compile(r"Because ([^\s;]+) was not found in the "))


def install(venv: Venv, lockfile: Lockfile, dest: Path) -> None:
    """Install one checked lockfile into the venv; raise SetupError naming what failed.

    The installer reads the lines that were checked, written to ``dest``, never the export's
    own file: what it sees is exactly what was checked, whatever encoding tricks the original
    holds.
    """
    dest.write_text(lockfile.checked_text(), encoding="ascii")
    code, lines = run_tool(install_command(venv, lockfile, dest), env=venv.env, cwd=venv.home,
                           log=dest.with_suffix(".log"))
    venv.log += lines
    if code == 0:
        return
    for pattern in _MISSING:
        for line in lines:
            found = pattern.search(line)
            if found:
                raise SetupError(f"package cannot be had: {found.group(1)} "
                                 f"(from {lockfile.path})", package=found.group(1), tail=lines)
    errors = [line.strip() for line in lines
              if line.lstrip().startswith(("ERROR", "error:", "\u00d7"))]
    reason = errors[0] if errors else f"the installer exited with status {code}"
    raise SetupError(f"installing {lockfile.path} failed: {reason}", tail=lines)
