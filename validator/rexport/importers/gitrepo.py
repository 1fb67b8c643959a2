"""The recorded commit in a local git repository: find it, write its tree (not the work tree)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rexport.importers.rundir import ImportRefused
from rexport.pack.git import run_git, strip_credentials
from rexport.paths import display, path_problems

COMMIT = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_TIMEOUT = 300
_CHUNK = 1 << 20


def _git(cwd: Path, *args: str) -> str | None:
    out = run_git(cwd, *args, timeout=_TIMEOUT)
    return out.decode("utf-8", "surrogateescape") if out is not None else None


def is_commit(value: object) -> bool:
    """True for a full git object name (40 or 64 lowercase hex digits)."""
    return isinstance(value, str) and bool(COMMIT.match(value))


def toplevel(folder: Path) -> Path | None:
    """The top of the git work tree holding ``folder``, or None."""
    if not folder.is_dir():
        return None
    out = _git(folder, "rev-parse", "--show-toplevel")
    return Path(out.strip()) if out and out.strip() else None


def has_commit(repo: Path, commit: str) -> bool:
    return _git(repo, "cat-file", "-e", f"{commit}^{{commit}}") is not None


def find_repository(commit: str, candidates: Iterable[Path | None]) -> Path | None:
    """The first candidate folder inside a git repository that holds ``commit``: its top."""
    for candidate in candidates:
        top = toplevel(candidate) if candidate is not None else None
        if top is not None and has_commit(top, commit):
            return top
    return None


@dataclass
class CommitInfo:
    """What the repository says of a commit: its time and the repository's remote URL."""

    commit_time: int
    repository: str | None
    url_had_credentials: bool


def describe(repo: Path, commit: str) -> CommitInfo:
    """The commit's time and the repository's remote (origin, else the first), credentials out."""
    time = int((_git(repo, "log", "-1", "--format=%ct", commit) or "0").strip() or 0)
    names = (_git(repo, "remote") or "").split()
    url = None
    if names:
        name = "origin" if "origin" in names else sorted(names)[0]
        url = (_git(repo, "remote", "get-url", name) or "").strip() or None
    repository, had = strip_credentials(url) if url else (None, False)
    return CommitInfo(time, repository, had)


def extract(repo: Path, commit: str, dest: Path) -> list[str]:
    """Write the files of ``commit``'s tree under ``dest`` (executable bits kept).

    Returns the paths left out: links and submodules (REX stores regular files only). Paths
    that would leave ``dest`` or break the export's path rules are refused.
    """
    listing = subprocess.run(["git", "ls-tree", "-r", "-z", "--full-tree", commit], cwd=repo,
                             capture_output=True, timeout=_TIMEOUT, check=False,
                             stdin=subprocess.DEVNULL)
    if listing.returncode != 0:
        raise ImportRefused(f"git cannot list commit {commit} in {repo}: "
                            f"{listing.stderr.decode('utf-8', 'replace').strip()}")
    blobs: list[tuple[str, str, bool]] = []
    skipped: list[str] = []
    for entry in listing.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, raw = entry.partition(b"\t")
        mode, kind, sha = meta.decode("ascii", "replace").split()
        name = os.fsdecode(raw)
        if kind != "blob" or mode not in ("100644", "100755"):
            skipped.append(name)
            continue
        problems = path_problems(f"code/{name}")
        if problems:
            raise ImportRefused(f"commit {commit} holds a path REX cannot store: "
                                f"{display(name)!r} ({problems[0][1]})")
        blobs.append((name, sha, mode == "100755"))
    _write_blobs(repo, blobs, dest)
    return skipped


def _write_blobs(repo: Path, blobs: Sequence[tuple[str, str, bool]], dest: Path) -> None:
    # one `git cat-file --batch` for every blob: a process per file costs seconds on big trees
    with subprocess.Popen(["git", "cat-file", "--batch"], cwd=repo, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b"".join(sha.encode() + b"\n" for _, sha, _ in blobs))
        proc.stdin.close()
        for name, _, executable in blobs:
            header = proc.stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                raise ImportRefused(f"git cannot read {display(name)!r} of the commit")
            size = int(header[2])
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as out:
                while size:
                    chunk = proc.stdout.read(min(size, _CHUNK))
                    if not chunk:
                        raise ImportRefused("git stopped while writing the commit's files")
                    out.write(chunk)
                    size -= len(chunk)
            proc.stdout.read(1)  # the newline after each object
            os.chmod(target, 0o755 if executable else 0o644)


def show(repo: Path, commit: str, path: str, limit: int) -> bytes | None:
    """The bytes of ``path`` at ``commit`` (at most ``limit``), or None when it is not there."""
    size = _git(repo, "cat-file", "-s", f"{commit}:{path}")
    if size is None:
        return None
    if int(size.strip() or 0) > limit:
        raise ImportRefused(f"{display(path)!r} at commit {commit} is larger than {limit} bytes")
    done = subprocess.run(["git", "cat-file", "blob", f"{commit}:{path}"], cwd=repo,
                          capture_output=True, timeout=_TIMEOUT, check=False,
                          stdin=subprocess.DEVNULL)
    return done.stdout if done.returncode == 0 else None


def head(repo: Path) -> tuple[str | None, str | None]:
    """(HEAD's commit, the branch checked out) of ``repo``."""
    commit = (_git(repo, "rev-parse", "--verify", "-q", "HEAD^{commit}") or "").strip() or None
    branch = (_git(repo, "symbolic-ref", "--short", "-q", "HEAD") or "").strip() or None
    return commit, branch


def work_tree_diff(repo: Path) -> bytes:
    """The work tree's changes to tracked files against HEAD, as `git diff --binary HEAD`."""
    done = subprocess.run(["git", "diff", "HEAD", "--binary", "--no-ext-diff", "--no-textconv",
                           "--no-color", "--full-index", "--no-renames", "--src-prefix=a/",
                           "--dst-prefix=b/"], cwd=repo, capture_output=True,
                          timeout=_TIMEOUT, check=False, stdin=subprocess.DEVNULL)
    return done.stdout if done.returncode == 0 else b""


def experiment(repo: Path, name: str) -> str:
    """The commit of the DVC experiment ``name`` (refs/exps/.../NAME); ImportRefused if none."""
    out = _git(repo, "for-each-ref", "--format=%(objectname) %(refname)", "refs/exps/")
    found = sorted({line.split(" ", 1)[0] for line in (out or "").splitlines()
                    if line.endswith(f"/{name}") and "/exec/" not in line})
    if not found:
        known = sorted({line.rsplit("/", 1)[-1] for line in (out or "").splitlines()
                        if "/exec/" not in line})
        listing = ", ".join(known[:20]) or "none"
        raise ImportRefused(f"no DVC experiment named {display(name)!r} in {repo} "
                            f"(experiments: {listing}); `dvc exp list` shows them")
    if len(found) > 1:
        raise ImportRefused(f"{len(found)} DVC experiments are named {display(name)!r}: "
                            "give the commit instead (`dvc exp show` lists them)")
    return found[0]


def in_commit(repo: Path, commit: str, path: str) -> bool:
    """True when ``path`` is a file of ``commit``'s tree."""
    return _git(repo, "cat-file", "-e", f"{commit}:{path}") is not None


def relative_to_top(path: str, repo: Path | None) -> str | None:
    """``path`` (absolute, or relative to the repository's top) relative to the top, else None."""
    if not path:
        return None
    if not os.path.isabs(path):
        return Path(path).as_posix()
    if repo is None:
        return None
    try:
        return Path(path).relative_to(repo).as_posix()
    except ValueError:
        return None


def tree_paths(repo: Path, commit: str, root: str) -> list[str]:
    """The files of ``commit`` under the folder ``root``, relative to it."""
    out = subprocess.run(["git", "ls-tree", "-r", "-z", "--name-only", "--full-tree", commit],
                         cwd=repo, capture_output=True, timeout=_TIMEOUT, check=False,
                         stdin=subprocess.DEVNULL).stdout
    prefix = f"{root.strip('/')}/" if root.strip("/") else ""
    return [name[len(prefix):] for name in (os.fsdecode(n) for n in out.split(b"\0") if n)
            if name.startswith(prefix)]
