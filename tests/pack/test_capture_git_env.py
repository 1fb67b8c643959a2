"""Automatic capture: git state and the environment."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from rexport.pack import Capture, EnvironmentOptions, distributions, environment
from rexport.pack.git import strip_credentials
from rexport.validation import validate

LIGHT = EnvironmentOptions(hardware=False, packages="none", compiler=False)
COMMIT_TIME = 1_600_000_000


def git(repo: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_DATE=f"{COMMIT_TIME} +0000",
               GIT_COMMITTER_DATE=f"{COMMIT_TIME} +0000")
    done = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=env)
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "a@example.org")
    git(root, "config", "user.name", "A")
    (root / "src/train.py").write_text("print('v1')\n")
    (root / ".gitignore").write_text("*.log\n")
    (root / "requirements.txt").write_text("click==8.1.7\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    git(root, "tag", "v1.0")
    return root


def write(cap: Capture, out: Path) -> dict[str, object]:
    cap.metric("m", 1.0)
    return cap.write(out).manifest


def test_clean_checkout(repo: Path, tmp_path: Path) -> None:
    manifest = write(Capture(repo, environment=LIGHT), tmp_path / "out")
    vcs = manifest["code"]["vcs"]  # type: ignore[index]
    assert vcs == {"type": "git", "commit": git(repo, "rev-parse", "HEAD"), "branch": "main",
                   "tag": "v1.0", "dirty": False}
    assert manifest["created"] == "2020-09-13T12:26:40Z"  # the commit time
    paths = {f["path"] for f in manifest["files"]}  # type: ignore[attr-defined]
    assert {"code/src/train.py", "code/.gitignore", "code/requirements.txt"} <= paths


def test_dirty_checkout_records_the_diff(repo: Path, tmp_path: Path) -> None:
    (repo / "src/train.py").write_text("print('v2')\n")
    (repo / "notes.txt").write_text("untracked\n")
    (repo / "run.log").write_text("ignored\n")
    out = tmp_path / "out"
    manifest = write(Capture(repo, environment=LIGHT), out)
    vcs = manifest["code"]["vcs"]  # type: ignore[index]
    assert vcs["dirty"] is True
    diff = (out / vcs["diff"]).read_text()
    assert "-print('v1')" in diff and "+print('v2')" in diff
    assert (out / "code/src/train.py").read_text() == "print('v2')\n"  # the work tree
    paths = {f["path"] for f in manifest["files"]}  # type: ignore[attr-defined]
    assert "code/notes.txt" not in paths and "code/run.log" not in paths


def test_untracked_files_on_request(repo: Path, tmp_path: Path) -> None:
    (repo / "notes.txt").write_text("untracked\n")
    (repo / "run.log").write_text("ignored\n")
    out = tmp_path / "out"
    manifest = write(Capture(repo, environment=LIGHT, include_untracked=True), out)
    paths = {f["path"] for f in manifest["files"]}  # type: ignore[attr-defined]
    assert "code/notes.txt" in paths and "code/run.log" not in paths
    vcs = manifest["code"]["vcs"]  # type: ignore[index]
    assert vcs["dirty"] is True
    assert "+untracked" in (out / vcs["diff"]).read_text()


def test_subdirectory_of_a_checkout(repo: Path, tmp_path: Path) -> None:
    (repo / "src/train.py").write_text("print('v3')\n")
    out = tmp_path / "out"
    manifest = write(Capture(repo / "src", environment=LIGHT), out)
    paths = {f["path"] for f in manifest["files"]}  # type: ignore[attr-defined]
    assert "code/train.py" in paths and "code/requirements.txt" not in paths
    assert "+++ b/train.py" in (out / "vcs/uncommitted.diff").read_text()


def test_source_date_epoch_wins_over_the_commit_time(repo: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    manifest = write(Capture(repo, environment=LIGHT), tmp_path / "out")
    assert manifest["created"] == "1970-01-01T00:00:00Z"


def test_git_can_be_switched_off(repo: Path, tmp_path: Path) -> None:
    (repo / ".git" / "info").mkdir(exist_ok=True)
    manifest = write(Capture(repo, environment=LIGHT, git=False), tmp_path / "out")
    assert "vcs" not in manifest["code"]  # type: ignore[operator]
    assert not [f for f in manifest["files"] if "/.git/" in f["path"]]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("url", "expected", "had"), [
    ("https://user:pw@example.org/a.git", "https://example.org/a.git", True),
    ("https://example.org/a.git", "https://example.org/a.git", False),
    ("git@github.com:org/repo.git", "ssh://github.com/org/repo.git", True),
    ("ssh://git@host:22/repo", "ssh://host:22/repo", True),
    ("/srv/git/repo.git", None, False),
    ("../sibling", None, False),
    ("file:///srv/git/repo.git", None, False),
])
def test_strip_credentials(url: str, expected: str | None, had: bool) -> None:
    assert strip_credentials(url) == (expected, had)


def test_lockfile_in_the_snapshot_is_referenced_not_copied(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    manifest = write(Capture(repo, environment=LIGHT), out)
    environment = manifest["environment"]  # type: ignore[index]
    assert environment["lockfiles"] == [{"path": "code/requirements.txt",
                                         "format": "pip-requirements"}]
    script = out / environment["reproduce"]["path"]
    assert script.stat().st_mode & 0o777 == 0o755
    assert "code/requirements.txt" in script.read_text()


def test_full_environment_capture(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    (tmp_path / "code/a.py").write_text("pass\n")
    out = tmp_path / "out"
    manifest = write(Capture(tmp_path / "code", git=False), out)
    env = manifest["environment"]  # type: ignore[index]
    names = {p["name"].lower() for p in env["packages"]}
    assert {"click", "pytest", "rexport"} <= names
    rexport_entry = next(p for p in env["packages"] if p["name"] == "rexport")
    assert rexport_entry.get("source") == "local"  # installed from this checkout
    assert env["python"]["implementation"]
    assert env["hardware"]["cpu"]["count"] >= 1
    if Path("/proc/meminfo").exists():
        assert env["hardware"]["memory_bytes"] > 0
    lock = env["lockfiles"][0]
    assert lock == {"path": "environment/requirements.txt", "format": "pip-requirements"}
    pins = (out / lock["path"]).read_text()
    assert "click==" in pins and "rexport==" not in pins


def test_gpus_through_nvidia_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "bin" / "nvidia-smi"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nif [ $# -gt 0 ]; then echo 'NVIDIA A100-SXM4-40GB, 535.104.05, "
                    "40960'; else echo '| NVIDIA-SMI 535.104.05  CUDA Version: 12.2 |'; fi\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    assert environment.gpus() == [{"model": "NVIDIA A100-SXM4-40GB", "driver": "535.104.05",
                              "cuda": "12.2", "memory_bytes": 40960 << 20}]


def test_no_gpus_without_nvidia_smi(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert environment.gpus() == []


def test_pinned_packages_with_hashes() -> None:
    text = ("numpy==2.0.0 \\\n    --hash=sha256:" + "a" * 64 + "\n"
            "# comment\nscikit-learn[extra]===1.5.0 ; python_version > '3'\nloose>=1\n")
    assert environment.pinned_packages(text + "PyYAML==6.0\n") == [
        {"name": "PyYAML", "version": "6.0"},
        {"name": "numpy", "version": "2.0.0", "hashes": ["sha256:" + "a" * 64]},
        {"name": "scikit-learn", "version": "1.5.0"},
    ]


def test_lockfile_detection(tmp_path: Path) -> None:
    for name in ("uv.lock", "poetry.lock", "environment.yml", "requirements-dev.txt",
                 "README.md", "conda-lock.yml"):
        (tmp_path / name).write_text("x\n")
    found = [(p.name, kind) for p, kind in environment.find_lockfiles(tmp_path)]
    assert found == [("conda-lock.yml", "conda-lock"), ("environment.yml", "conda-environment"),
                     ("poetry.lock", "poetry-lock"), ("requirements-dev.txt", "pip-requirements"),
                     ("uv.lock", "uv-lock")]


def test_a_requirements_file_that_includes_others_is_no_lockfile(repo: Path,
                                                                 tmp_path: Path) -> None:
    # spec ENV-03: recorded as pip-requirements, it would make the export invalid (REX-R111)
    (repo / "requirements.txt").write_text("-r requirements-base.txt\nclick==8.1.7\n")
    (repo / "requirements-dev.txt").write_text("  --hash=sha256:00\npytest==8.0\n")
    out = tmp_path / "out"
    manifest = write(Capture(repo, environment=LIGHT), out)
    lockfiles = manifest["environment"]["lockfiles"]  # type: ignore[index]
    assert lockfiles == [{"path": "environment/requirements-dev.txt", "format": "pip-requirements"}]
    assert "code/requirements.txt" in {f["path"] for f in manifest["files"]}  # type: ignore[attr-defined]
    assert validate(out).valid


def test_compiler_flags_never_name_local_paths() -> None:
    compiler = environment.compiler_section()
    if compiler is None:
        pytest.skip("unknown compiler")
    assert "/" not in compiler.get("flags", "")


def test_names_and_versions_as_the_metadata_parser_reads_them(tmp_path: Path) -> None:
    from importlib import metadata

    texts = {
        "plain": "Metadata-Version: 2.1\nName: plain\nVersion: 1.0\n\nName: not-me\n",
        "crlf": "Metadata-Version: 2.1\r\nName: crlf-pkg\r\nVersion: 2.0rc1\r\n\r\nbody\r\n",
        "case": "metadata-version: 2.1\nNAME:   spaced\nversion:3\nSummary: x\n",
        "twice": "Name: first\nName: second\nVersion: 1\n",
        "none": "Metadata-Version: 2.1\nSummary: no name\n",
        "description": "Name: long\nVersion: 4\nDescription: Name: fake\n        Version: 9\n",
        # past the first lines read at once: the whole file is read then
        "late": "Metadata-Version: 2.1\n" + "Classifier: x\n" * 2000 + "Name: late\nVersion: 9\n",
        "cut": "Metadata-Version: 2.1\nName: cut\n" + "C: " + "x" * 8170 + "\nVersion: 1\n",
    }
    dists = []
    for key, text in texts.items():
        folder = tmp_path / f"{key}-0.dist-info"
        folder.mkdir()
        (folder / "METADATA").write_text(text, encoding="utf-8", newline="")
        dists.append(metadata.PathDistribution(folder))
    egg = tmp_path / "egg.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Name: egg\nVersion: 0.1\n", encoding="utf-8")
    dists.append(metadata.PathDistribution(egg))
    dists.append(metadata.PathDistribution(tmp_path / "empty.dist-info"))
    dists += list(metadata.distributions())  # and every distribution installed here
    for dist in dists:
        assert distributions.name_version(dist) == (dist.metadata["Name"], dist.version), dist


def packages_as_importlib_lists_them() -> list[dict[str, Any]]:
    """installed_packages, made from importlib.metadata.distributions() and its parser."""
    import json
    import re
    from importlib import metadata

    seen: dict[str, dict[str, Any]] = {}
    for dist in metadata.distributions():
        try:
            name, version = dist.metadata["Name"], dist.version
        except UnicodeDecodeError:
            continue
        key = re.sub(r"[-_.]+", "-", name or "").lower()
        if not name or not version or key in seen:
            continue
        entry: dict[str, Any] = {"name": name, "version": version}
        direct = json.loads(dist.read_text("direct_url.json") or "null")
        if isinstance(direct, dict):
            entry["source"] = ("local" if "dir_info" in direct
                               else "vcs" if "vcs_info" in direct else "url")
        seen[key] = entry
    return sorted(seen.values(), key=lambda p: str(p["name"]))


def test_the_installed_packages_are_those_importlib_lists(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import zipfile

    first, second, egg = tmp_path / "first", tmp_path / "second", tmp_path / "old-1.0.egg"

    def dist(where: Path, name: str, text: str, direct: str | None = None) -> None:
        where.mkdir(parents=True, exist_ok=True)
        if name.endswith(".egg-info") and not direct:
            (where / name).write_text(text, encoding="utf-8")  # an .egg-info file
            return
        (where / name).mkdir()
        (where / name / ("PKG-INFO" if "egg" in name else "METADATA")).write_text(text, "utf-8")
        if direct:
            (where / name / "direct_url.json").write_text(direct, encoding="utf-8")

    dist(first, "alpha-1.0.dist-info", "Name: Alpha\nVersion: 1.0\n",
         '{"url": "file:///src", "dir_info": {}}')
    dist(first, "beta-2.dist-info", "Name: beta\nVersion: 2\n", '{"url": "x", "vcs_info": {}}')
    dist(first, "filed.egg-info", "Name: filed\nVersion: 0.3\n")
    dist(first, "nameless-1.dist-info", "Version: 1\n")
    dist(second, "alpha-9.dist-info", "Name: alpha\nVersion: 9\n")  # shadowed by the first
    dist(second, "gamma-3.dist-info", "Name: Gamma_Pkg\nVersion: 3\n", "[1, 2]")
    dist(egg, "EGG-INFO", "Name: old\nVersion: 1.0\n")
    with zipfile.ZipFile(tmp_path / "zipped.zip", "w") as archive:
        archive.writestr("zipped-4.dist-info/METADATA", "Name: zipped\nVersion: 4\n")
    monkeypatch.setattr(sys, "path", [str(first), str(tmp_path / "missing"), str(second),
                                      str(egg), str(tmp_path / "zipped.zip"), *sys.path])
    found = distributions.installed_packages()
    assert found == packages_as_importlib_lists_them()
    mine = {p["name"]: p for p in found if p["name"] in
            {"Alpha", "beta", "filed", "Gamma_Pkg", "old", "zipped"}}
    assert mine == {"Alpha": {"name": "Alpha", "version": "1.0", "source": "local"},
                    "beta": {"name": "beta", "version": "2", "source": "vcs"},
                    "filed": {"name": "filed", "version": "0.3"},
                    "Gamma_Pkg": {"name": "Gamma_Pkg", "version": "3"},
                    "old": {"name": "old", "version": "1.0"},
                    "zipped": {"name": "zipped", "version": "4"}}


def test_metadata_that_is_not_utf8_is_passed_over(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    (tmp_path / "bad-1.dist-info").mkdir()
    (tmp_path / "bad-1.dist-info" / "METADATA").write_bytes(b"Name: b\xffd\nVersion: 1\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    assert "bad" not in {p["name"] for p in distributions.installed_packages()}


def test_packages_later_are_read_while_the_files_are_hashed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rexport.pack import build
    from rexport.pack.files import Request, pack

    (tmp_path / "code").mkdir()
    (tmp_path / "code/a.py").write_text("pass\n")
    (tmp_path / "metrics.json").write_text('{"m": 1.0}')
    hashing: list[bool] = []
    read_while_hashing: list[bool] = []
    real_hash, real_read = build.hash_members, distributions.installed_packages

    def hash_members(*args: Any, **kwargs: Any) -> Any:
        hashing.append(True)
        try:
            return real_hash(*args, **kwargs)
        finally:
            hashing.pop()

    def installed_packages() -> Any:
        read_while_hashing.append(bool(hashing))
        return real_read()

    monkeypatch.setattr(build, "hash_members", hash_members)
    monkeypatch.setattr(distributions, "installed_packages", installed_packages)
    eager = write(Capture(tmp_path / "code", git=False), tmp_path / "eager")
    cap = Capture(tmp_path / "code", git=False, packages_later=True)
    assert "packages" not in cap.environment.section and read_while_hashing == [False]
    later = write(cap, tmp_path / "later")
    assert read_while_hashing == [False, True]
    assert later["environment"] == eager["environment"]
    # `rexport pack` writes at once: it reads them while hashing too
    pack(Request(out=tmp_path / "packed", code=tmp_path / "code",
                 metrics=tmp_path / "metrics.json", git=False))
    assert read_while_hashing == [False, True, True]
