"""Environments kept between replays: found by the lockfiles' digest and the interpreter, and
checked before each reuse and after each run, so that a changed one is never used again.

An entry is a virtual environment under ``$XDG_CACHE_HOME/rexport/envs/KEY`` (else
``~/.cache/rexport``) with a marker, ``rexport-env.json``, written last: the key, the
interpreter, the packages installed and a fingerprint of every file of the environment (path,
type, size, mode, modification and change times; the change time cannot be set back by a
program). An entry is reused only when the folder and the cache are the user's own and not
writable by others, and the marker, the packages and the fingerprint all match; it is removed
when the replayed command changed anything in it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rexport.replay import env, uv
from rexport.replay.lockfile import Lockfile

MARKER = "rexport-env.json"
_MARKER_CAP = 4 << 20
_FORMAT = 1


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """The user's cache folder for rexport: $XDG_CACHE_HOME/rexport, else ~/.cache/rexport
    (%LOCALAPPDATA%\\rexport on Windows)."""
    return env.user_cache(environ) / "rexport"


def key(python: str, locks: Sequence[bytes], site_packages: bool,
        caller_settings: bool = False) -> str:
    """The cache key: the interpreter (its real path, size and modification time), the checked
    lines of every lockfile installed, in order, whether the venv sees the interpreter's
    packages, and whether the installer had the caller's settings (another index)."""
    real = os.path.realpath(python)
    st = os.stat(real)
    document = {"format": _FORMAT, "python": real, "size": st.st_size,
                "mtime_ns": st.st_mtime_ns, "platform": sys.platform,
                "locks": [hashlib.sha256(data).hexdigest() for data in locks],
                "site_packages": site_packages, "caller_settings": caller_settings}
    text = json.dumps(document, sort_keys=True).encode("utf-8")
    return hashlib.sha256(text).hexdigest()[:40]


def fingerprint(root: Path) -> str:
    """A digest of every entry under ``root`` but the marker: links are read, never followed."""
    lines = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            if rel == MARKER:
                continue
            st = os.lstat(full)
            link = os.readlink(full) if stat.S_ISLNK(st.st_mode) else ""
            lines.append(f"{rel}\0{st.st_mode}\0{st.st_size}\0{st.st_mtime_ns}\0"
                         f"{st.st_ctime_ns}\0{link}")
    return hashlib.sha256("\n".join(lines).encode("utf-8", "surrogateescape")).hexdigest()


def installed(root: Path) -> list[str]:
    """``name==version`` of each distribution in the venv's own site-packages, sorted."""
    from importlib import metadata

    folders = [str(p) for p in [*root.glob("lib/python*/site-packages"),
                                root / "Lib" / "site-packages"] if p.is_dir()]
    found = {f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions(path=folders)
             if d.metadata["Name"]}
    return sorted(found)


def _private(path: Path) -> bool:
    """True when ``path`` is a real folder of this user that no one else may write."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode) or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    return not hasattr(os, "getuid") or st.st_uid == os.getuid()


@dataclass
class Provided:
    """The environment a replay runs in, and how it was had: "hit" (reused from the cache),
    "miss" (built and cached), or "off" (built in the work folder, not cached)."""

    venv: env.Venv
    status: str
    fingerprint: str | None = None
    seconds: float = 0.0
    note: str | None = None


def _marker(root: Path) -> dict[str, Any] | None:
    try:
        with open(root / MARKER, "rb") as fp:
            data = fp.read(_MARKER_CAP + 1)
        document = json.loads(data) if len(data) <= _MARKER_CAP else None
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _reusable(root: Path, wanted: str, environ: dict[str, str], home: Path
              ) -> tuple[env.Venv | None, str | None, str | None]:
    """(the venv, its fingerprint, None) when the entry at ``root`` may be reused, else
    (None, None, why not) — why is None when there is simply no entry."""
    if not root.exists() and not root.is_symlink():
        return None, None, None
    if not (_private(root.parent) and _private(root)):
        return None, None, "the cached environment is not private to this user"
    marker = _marker(root)
    if marker is None or marker.get("key") != wanted:
        return None, None, "the cached environment was never finished"
    current = fingerprint(root)
    if marker.get("fingerprint") != current or marker.get("installed") != installed(root):
        return None, None, "the cached environment changed since it was built"
    return env.Venv(root, env.venv_python(root), [], environ, home), current, None


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (two replays never build one entry at once)."""
    with open(path, "a+b") as fp:
        if sys.platform != "win32":
            import fcntl

            fcntl.flock(fp.fileno(), fcntl.LOCK_EX)
        yield


def _build(python: str, root: Path, locks: Sequence[tuple[Lockfile, Path]], *,
           site_packages: bool, installer: str, home: Path, caller_settings: bool) -> env.Venv:
    program = uv.find(installer)
    if program is not None:
        venv = uv.create(program, python, root, site_packages=site_packages, home=home,
                         caller_settings=caller_settings)
    else:
        venv = env.create_venv(python, root, installs=bool(locks), site_packages=site_packages,
                               home=home, caller_settings=caller_settings)
    for lock, path in locks:
        env.install(venv, lock, path)
    return venv


def provide(python: str, locks: Sequence[tuple[Lockfile, Path]], *, site_packages: bool,
            workdir: Path, cache: bool, home: Path, caller_settings: bool = False,
            installer: str = "auto") -> Provided:
    """The environment for these checked lockfiles, each installed from the file it is
    written to: reused from the cache when an unchanged entry exists, else built (cached
    unless ``cache`` is False). The installer runs in ``home`` (an empty folder) with the
    caller's settings only when ``caller_settings`` (RPL-06). SetupError when it cannot be."""
    start = time.monotonic()
    if not cache:
        venv = _build(python, workdir / "venv", locks, site_packages=site_packages,
                      installer=installer, home=home, caller_settings=caller_settings)
        return Provided(venv, "off", seconds=time.monotonic() - start)
    checked = [lock.checked_text().encode("ascii") for lock, _ in locks]
    wanted = key(python, checked, site_packages, caller_settings)
    envs = cache_root() / "envs"
    try:
        if not envs.is_dir():
            envs.mkdir(parents=True, exist_ok=True)
            os.chmod(envs, 0o700)
    except OSError as exc:
        provided = provide(python, locks, site_packages=site_packages, workdir=workdir,
                           cache=False, home=home, caller_settings=caller_settings,
                           installer=installer)
        provided.note = f"the cache folder {envs} cannot be written ({exc.strerror}): not cached"
        return provided
    root = envs / wanted
    with _locked(envs / f"{wanted}.lock"):
        environ = env.pip_environment(home, caller_settings=caller_settings)
        reused, current, why = _reusable(root, wanted, environ, home)
        if reused is not None:
            return Provided(reused, "hit", current, time.monotonic() - start)
        if root.exists() or root.is_symlink():
            _remove(root)
        try:
            venv = _build(python, root, locks, site_packages=site_packages,
                          installer=installer, home=home, caller_settings=caller_settings)
        except BaseException:
            _remove(root)  # a half-built entry is never left to be found
            raise
        os.chmod(root, 0o755)  # whatever the umask: only this user may change it
        current = fingerprint(root)
        marker = {"key": wanted, "format": _FORMAT, "python": python,
                  "installed": installed(root), "fingerprint": current}
        temporary = root / f".{MARKER}.tmp"
        temporary.write_text(json.dumps(marker, sort_keys=True), encoding="utf-8")
        os.replace(temporary, root / MARKER)
    return Provided(venv, "miss", current, time.monotonic() - start, why)


def _remove(root: Path) -> None:
    if root.is_symlink() or root.is_file():
        root.unlink()
    else:
        shutil.rmtree(root, ignore_errors=True)


def release(provided: Provided) -> str | None:
    """After the command: a cached environment the command changed is removed, so that no
    later replay runs in it. Returns a note saying so, else None."""
    if provided.status == "off" or provided.fingerprint is None:
        return None
    if fingerprint(provided.venv.root) == provided.fingerprint:
        return None
    with _locked(provided.venv.root.parent / f"{provided.venv.root.name}.lock"):
        _remove(provided.venv.root)
    return "the command changed its cached environment: it was removed from the cache"
