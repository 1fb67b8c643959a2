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


def environment(home: Path, *, caller_settings: bool = False,
                base: Mapping[str, str] | None = None) -> dict[str, str]:
    """What pip would see (env.pip_environment), uv's download cache where the user keeps it;
    with ``caller_settings``, also the caller's UV_* settings and pip's index settings
    translated, as pip would have them (RPL-06)."""
    source = os.environ if base is None else base
    out = env.pip_environment(home, caller_settings=caller_settings, base=source)
    if not caller_settings:
        out["UV_CACHE_DIR"] = str(env.user_cache(source) / "uv")  # downloads only, as pip's
    else:
        out.update({k: v for k, v in source.items() if _UV_VARIABLES.match(k)})
        for pip_name, uv_name in _FROM_PIP.items():
            if pip_name in source and uv_name not in source:
                out[uv_name] = source[pip_name]
    return out


def _config(environ: Mapping[str, str], caller_settings: bool) -> list[str]:
    # uv would read uv.toml and pyproject.toml from the folder it runs in and its parents,
    # where an export or another user may have put one: at most the user's own file is read,
    # and only when the caller's settings are passed on
    if not caller_settings:
        return ["--no-config"]
    home = environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    user = Path(home) / "uv" / "uv.toml"
    return ["--no-config", *(["--config-file", str(user)] if user.is_file() else [])]


def create(uv: str, python: str, root: Path, *, site_packages: bool, home: Path,
           caller_settings: bool = False) -> env.Venv:
    """A virtual environment at ``root`` for ``python``, made by uv (no pip inside: uv installs
    from outside it), uv running in ``home``; SetupError when uv fails."""
    environ = environment(home, caller_settings=caller_settings)
    config = _config(os.environ, caller_settings)
    cmd = [uv, "venv", "--quiet", *config, "--python", python,
           *(["--system-site-packages"] if site_packages else []), str(root)]
    code, lines = env.run_tool(cmd, env=environ, cwd=home, log=root.parent / "venv.log")
    interpreter = env.venv_python(root)
    if code != 0 or not interpreter.exists():
        raise env.SetupError(f"uv could not create the virtual environment with {python}",
                             tail=lines[-50:])
    # copies, not links into uv's cache: a replayed command that changed a file of its
    # environment would otherwise change the cache, and every environment built from it
    pip = [uv, "pip", "install", "--quiet", *config, "--python", str(interpreter),
           "--compile-bytecode", "--link-mode", "copy"]
    return env.Venv(root, interpreter, pip, environ, home, installer="uv", log=lines)
