"""Build a replay's environment with uv when it is installed: the same lockfiles, much faster."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

from rexport.replay import env

INSTALLERS = ("auto", "uv", "pip")
_UV_VARIABLES = re.compile(r"^UV_[A-Z0-9_]+$")
# pip's settings that uv spells differently: a caller's index reaches uv as it reaches pip
_FROM_PIP = {"PIP_INDEX_URL": "UV_INDEX_URL", "PIP_EXTRA_INDEX_URL": "UV_EXTRA_INDEX_URL",
             "PIP_FIND_LINKS": "UV_FIND_LINKS", "PIP_NO_INDEX": "UV_NO_INDEX"}


def find(installer: str) -> str | None:
    """The uv program to use for ``installer`` (auto: uv when on PATH), else None for pip;
    SetupError when uv is asked for and is not installed."""
    if installer == "pip":
        return None
    found = shutil.which("uv")
    if found is None and installer == "uv":
        raise env.SetupError("--installer uv: uv is not installed (pip install uv)")
    return found


def environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """What pip would see, plus the caller's UV_* settings, pip's index settings translated,
    and the user's own uv.toml (project files are never read: see :func:`_config`)."""
    source = os.environ if base is None else base
    out = env.pip_environment(source)
    out.update({k: v for k, v in source.items() if _UV_VARIABLES.match(k)})
    for pip_name, uv_name in _FROM_PIP.items():
        if pip_name in source and uv_name not in source:
            out[uv_name] = source[pip_name]
    return out


def _config(environ: Mapping[str, str]) -> list[str]:
    # uv would read uv.toml and pyproject.toml from the folder it runs in and its parents,
    # where an export or another user may have put one: only the user's own file is read
    home = environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    user = Path(home) / "uv" / "uv.toml"
    return ["--no-config", *(["--config-file", str(user)] if user.is_file() else [])]


def create(uv: str, python: str, root: Path, *, site_packages: bool) -> env.Venv:
    """A virtual environment at ``root`` for ``python``, made by uv (no pip inside: uv installs
    from outside it); SetupError when uv fails."""
    environ = environment()
    cmd = [uv, "venv", "--quiet", *_config(environ), "--python", python,
           *(["--system-site-packages"] if site_packages else []), str(root)]
    code, lines = env.run_tool(cmd, environ)
    interpreter = env.venv_python(root)
    if code != 0 or not interpreter.exists():
        raise env.SetupError(f"uv could not create the virtual environment with {python}",
                             tail=lines[-50:])
    # copies, not links into uv's cache: a replayed command that changed a file of its
    # environment would otherwise change the cache, and every environment built from it
    pip = [uv, "pip", "install", "--quiet", *_config(environ), "--python", str(interpreter),
           "--compile-bytecode", "--link-mode", "copy"]
    return env.Venv(root, interpreter, pip, lines)


def install_command(venv: env.Venv, lockfile: env.Lockfile, lock_path: Path | str) -> list[str]:
    """uv's command that installs one lockfile, hashes required when it pins them."""
    return [*venv.pip, *(["--require-hashes"] if lockfile.hashes else []), "-r", str(lock_path)]
