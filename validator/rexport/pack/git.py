"""Git capture through the `git` command: commit, branch, tag, remote, dirty flag, diff, files."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

_TIMEOUT = 120
# Fixed diff options so that user configuration (prefixes, algorithm, abbreviation, external
# tools, colour) cannot change the bytes of the recorded diff.
_DIFF_OPTIONS = (
    "--binary", "--no-ext-diff", "--no-textconv", "--no-color", "--full-index", "--no-renames",
    "--unified=3", "--diff-algorithm=myers", "--src-prefix=a/", "--dst-prefix=b/",
)
_SCP_LIKE = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^/:]+):(?P<path>(?!/).+)$")


@dataclass
class GitInfo:
    """What git says about the code directory (paths relative to that directory)."""

    commit: str
    commit_time: int
    branch: str | None
    tag: str | None
    repository: str | None
    url_had_credentials: bool
    dirty: bool
    diff: bytes
    files: list[tuple[str, Path]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def run_git(cwd: Path, *args: str, check: bool = True, timeout: float = _TIMEOUT
            ) -> bytes | None:
    """git's standard output for ``args`` run in ``cwd``, never prompting and never taking a
    lock; None when git is missing, times out, or (with ``check``) fails."""
    env = dict(os.environ, LC_ALL="C", GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0")
    try:
        done = subprocess.run(["git", *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if check and done.returncode != 0:
        return None
    return done.stdout


def _text(out: bytes | None) -> str | None:
    if out is None:
        return None
    value = out.decode("utf-8", "replace").strip()
    return value or None


def strip_credentials(url: str) -> tuple[str | None, bool]:
    """Return (URL without user and password, whether any were removed).

    scp-like remotes (``git@host:org/repo.git``) become ``ssh://host/org/repo.git``; local paths
    give None, since they mean nothing on another machine and would record a local path.
    """
    match = _SCP_LIKE.match(url)
    if match and "://" not in url:
        had = "@" in url.split(":", 1)[0]
        return f"ssh://{match['host']}/{match['path']}", had
    parts = urlsplit(url)
    if not parts.scheme or parts.scheme == "file" or len(parts.scheme) == 1:
        return None, False
    netloc = parts.netloc
    had = "@" in netloc
    if had:
        netloc = netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), had


def _remote(cwd: Path) -> tuple[str | None, bool]:
    names = (_text(run_git(cwd, "remote")) or "").split()
    if not names:
        return None, False
    name = "origin" if "origin" in names else sorted(names)[0]
    url = _text(run_git(cwd, "remote", "get-url", name))
    return strip_credentials(url) if url else (None, False)


def _zlist(out: bytes | None) -> list[str]:
    return [os.fsdecode(item) for item in (out or b"").split(b"\0") if item]


def _untracked_diff(cwd: Path, names: list[str]) -> bytes:
    chunks = []
    for name in names:
        out = run_git(cwd, "diff", "--no-index", *_DIFF_OPTIONS, "--", "/dev/null", name,
                      check=False)
        chunks.append(out or b"")
    return b"".join(chunks)


def capture(code_dir: Path, *, include_untracked: bool = False) -> GitInfo | None:
    """Describe the git checkout holding ``code_dir``; None when it is not one with a commit.

    The file list holds the tracked files under ``code_dir`` as they are in the work tree (so the
    snapshot and the diff agree), plus untracked, not ignored ones when asked.
    """
    if _text(run_git(code_dir, "rev-parse", "--is-inside-work-tree")) != "true":
        return None
    commit = _text(run_git(code_dir, "rev-parse", "--verify", "-q", "HEAD^{commit}"))
    if commit is None:
        return None
    commit_time = int(_text(run_git(code_dir, "log", "-1", "--format=%ct", commit)) or 0)
    branch = _text(run_git(code_dir, "symbolic-ref", "--short", "-q", "HEAD"))
    tags = sorted((_text(run_git(code_dir, "tag", "--points-at", commit)) or "").split())
    repository, had_credentials = _remote(code_dir)
    tracked = _zlist(run_git(code_dir, "ls-files", "-z", "--cached", "--", "."))
    untracked = (_zlist(run_git(code_dir, "ls-files", "-z", "--others", "--exclude-standard",
                             "--", ".")) if include_untracked else [])
    diff = run_git(code_dir, "diff", "HEAD", *_DIFF_OPTIONS, "--relative", "--", ".") or b""
    diff += _untracked_diff(code_dir, sorted(untracked))
    info = GitInfo(commit=commit, commit_time=commit_time, branch=branch,
                   tag=tags[0] if tags else None, repository=repository,
                   url_had_credentials=had_credentials, dirty=bool(diff), diff=diff)
    for name in sorted(set(tracked) | set(untracked), key=lambda n: n.encode("utf-8", "replace")):
        local = code_dir / name
        if local.is_symlink() or (local.exists() and not local.is_file()):
            info.skipped.append(name)  # links and submodules are not regular files
        elif local.is_file():
            info.files.append((name, local))
    return info


def changed_paths(diff: bytes) -> set[str]:
    """The paths a recorded diff changes (relative to the code directory, as captured)."""
    out = set()
    for line in diff.split(b"\n"):
        if line.startswith(b"diff --git a/"):
            name = line[len(b"diff --git a/"):].rsplit(b" b/", 1)[0]
            out.add(os.fsdecode(name))
    return out


def committed_bytes(code_dir: Path, name: str) -> bytes | None:
    """The bytes of file ``name`` (relative to ``code_dir``) at HEAD; None when git has none."""
    return run_git(code_dir, "show", f"HEAD:./{name}")
