"""The generated reproduce script: rebuilds the recorded environment in a fixed order."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence, Set
from typing import Any

# How each lockfile format is installed; the first lockfile whose format is known wins, so the
# script does one well-defined thing.
_INSTALL: dict[str, str] = {
    "pip-requirements": 'python -m pip install -r {path}',
    "pylock": 'python -m pip install -r {path}',
    "uv-lock": 'uv sync --frozen --project "$(dirname {path})"',
    "poetry-lock": 'poetry install --no-root --sync --directory "$(dirname {path})"',
    "pipenv-lock": 'PIPENV_PIPFILE="$(dirname {path})/Pipfile" pipenv sync',
    "pdm-lock": 'pdm sync --no-self --project "$(dirname {path})"',
    "conda-environment": 'conda env update --prefix .rex-env --file {path}',
    "conda-lock": 'conda-lock install --prefix .rex-env {path}',
}


def requirements(packages: Sequence[Mapping[str, Any]], *, keep: Set[str] = frozenset(),
                 hashes: Mapping[str, Sequence[str]] | None = None) -> bytes:
    """A pip requirements file pinning every recorded package installed from an index.

    Packages installed from a local folder, a VCS or a URL (``source`` set) cannot be pinned
    by version and are left out, but for those named in ``keep`` (normalised names): pinned
    all the same, a replay gets them from an index. ``hashes`` gives each package's
    ``sha256:`` hashes by normalised name, written as ``--hash`` options.
    """
    from rexport.parsing.lockfiles import normal_name

    lines = []
    for p in packages:
        name = normal_name(str(p["name"]))
        if "source" in p and name not in keep:
            continue
        line = f"{p['name']}=={p['version']}"
        for value in (hashes or {}).get(name, ()):
            line += f" \\\n    --hash={value}"
        lines.append(line)
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def script(lockfiles: Sequence[tuple[str, str]], python_version: str | None) -> bytes:
    """A POSIX shell script, run from the export's root, that rebuilds the environment.

    ``lockfiles`` are (export path, format) pairs; the script makes a virtual environment
    ``.rex-venv`` (or a conda prefix for a conda lockfile) and installs from the first lockfile.
    """
    wanted = f"; recorded with Python {python_version}" if python_version else ""
    lines = [
        "#!/bin/sh",
        "# Rebuild this export's environment; run from the export's root:",
        "#   sh environment/reproduce.sh",
        "# Steps, in order: 1. a fresh environment  2. the locked packages  3. a check.",
        "set -eu",
        'cd "$(dirname "$0")/.."',
        f"PYTHON=\"${{PYTHON:-python3}}\"  # the interpreter to build with{wanted}",
    ]
    usable = [(path, kind) for path, kind in lockfiles if kind in _INSTALL]
    if not usable:
        lines += ["echo 'no lockfile was recorded: nothing to install' >&2", "exit 1"]
        return ("\n".join(lines) + "\n").encode("utf-8")
    path, kind = usable[0]
    quoted = shlex.quote(path)
    if kind.startswith("conda"):
        lines.append(_INSTALL[kind].format(path=quoted))
        lines.append("echo 'activate with: conda activate ./.rex-env'")
    else:
        lines += [
            '"$PYTHON" -m venv .rex-venv',
            ". .rex-venv/bin/activate",
            _INSTALL[kind].format(path=quoted),
        ]
        if kind.startswith("pip"):
            lines.append("python -m pip check")
        lines.append("echo 'environment ready: . .rex-venv/bin/activate'")
    return ("\n".join(lines) + "\n").encode("utf-8")
