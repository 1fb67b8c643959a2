"""The environment cache of replay: a second replay reuses the environment, a changed or
foreign one never is, and both installers (uv and pip) build it from the lockfile."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers.replay_export import build_export
from helpers.wheels import make_wheel, offline_index
from rexport.cli import cli
from rexport.replay import envcache

# the experiment imports a package that only the lockfile brings
TOY_SCRIPT = """\
import json, os, pathlib, toypkg
out = pathlib.Path("replay/metrics.json")
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(json.dumps({"metrics": [
    {"name": "accuracy", "split": "test", "value": toypkg.ACCURACY},
    {"name": "loss", "split": "test", "value": 0.25}]}))
"""
# a command that plants a file in its own environment, as a hostile one could
POISON_SCRIPT = TOY_SCRIPT + """\
import sysconfig
pathlib.Path(sysconfig.get_paths()["purelib"], "planted.pth").write_text("import os\\n")
"""


def replay(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["replay", "-o", "json", "--yes", "--pip-env", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.fixture
def toy_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "toypkg", "1.0", "ACCURACY = 0.907\n")
    offline_index(monkeypatch, wheels)
    return build_export(tmp_path / "run", script=TOY_SCRIPT, lockfile="toypkg==1.0\n")


def _entries(cache: Path) -> list[Path]:
    envs = cache / "rexport" / "envs"
    return [p for p in envs.iterdir() if p.is_dir()] if envs.is_dir() else []


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_second_replay_reuses_the_environment(toy_export: Path, replay_cache: Path,
                                              installer: str) -> None:
    if installer == "uv":
        assert shutil.which("uv"), "uv is part of the test extra"
    first = replay(str(toy_export), "--installer", installer)
    assert first["status"] == "reproduced", first
    assert first["environment_cache"] == "miss"
    [entry] = _entries(replay_cache)
    marker = json.loads((entry / envcache.MARKER).read_text())
    assert "toypkg==1.0" in marker["installed"]
    second = replay(str(toy_export), "--installer", installer)
    assert second["status"] == "reproduced" and second["environment_cache"] == "hit"
    assert _entries(replay_cache) == [entry]


def test_text_report_says_hit_or_miss(toy_export: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["replay", "--yes", "--pip-env", str(toy_export)])
    second = runner.invoke(cli, ["replay", "--yes", "--pip-env", str(toy_export)])
    assert "(cache miss)" in first.stdout and "(cache hit)" in second.stdout


def test_no_cache_builds_in_the_work_folder(toy_export: Path, replay_cache: Path,
                                            tmp_path: Path) -> None:
    work = tmp_path / "work"
    report = replay(str(toy_export), "--no-cache", "--workdir", str(work))
    assert report["status"] == "reproduced" and report["environment_cache"] == "off"
    assert (work / "venv").is_dir() and _entries(replay_cache) == []


def test_a_changed_entry_is_rebuilt(toy_export: Path, replay_cache: Path) -> None:
    assert replay(str(toy_export))["environment_cache"] == "miss"
    [entry] = _entries(replay_cache)
    [site] = entry.glob("lib/python*/site-packages")
    (site / "toypkg" / "__init__.py").write_text("ACCURACY = 0.5\n")
    report = replay(str(toy_export))
    assert report["environment_cache"] == "miss" and report["status"] == "reproduced"
    assert any("changed since it was built" in n for n in report["notes"])


def test_a_forged_marker_is_not_trusted(toy_export: Path, replay_cache: Path) -> None:
    replay(str(toy_export))
    [entry] = _entries(replay_cache)
    marker = json.loads((entry / envcache.MARKER).read_text())
    (entry / "lib" / "planted.py").write_text("print('x')\n")
    marker["installed"].append("other==1")
    (entry / envcache.MARKER).write_text(json.dumps(marker))
    assert replay(str(toy_export))["environment_cache"] == "miss"


def test_an_entry_others_may_write_is_not_reused(toy_export: Path, replay_cache: Path) -> None:
    replay(str(toy_export))
    [entry] = _entries(replay_cache)
    os.chmod(entry, 0o777)
    report = replay(str(toy_export))
    assert report["environment_cache"] == "miss"
    assert any("not private" in n for n in report["notes"])


def test_a_command_that_changes_its_environment_evicts_it(tmp_path: Path, replay_cache: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "toypkg", "1.0", "ACCURACY = 0.907\n")
    offline_index(monkeypatch, wheels)
    export = build_export(tmp_path / "run", script=POISON_SCRIPT, lockfile="toypkg==1.0\n")
    report = replay(str(export))
    assert report["status"] == "reproduced"
    assert any("removed from the cache" in n for n in report["notes"])
    assert _entries(replay_cache) == []  # the planted .pth never reaches another replay


def test_the_key_follows_lockfile_and_interpreter(tmp_path: Path) -> None:
    python = shutil.which("python3") or "/usr/bin/python3"
    base = envcache.key(python, [b"a==1\n"], False)
    assert base == envcache.key(python, [b"a==1\n"], False)
    assert base != envcache.key(python, [b"a==2\n"], False)
    assert base != envcache.key(python, [b"a==1\n"], True)
    copy = tmp_path / "python"
    shutil.copy2(os.path.realpath(python), copy)
    os.utime(copy, ns=(0, 0))
    assert base != envcache.key(str(copy), [b"a==1\n"], False)


def test_cache_root_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert envcache.cache_root({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "rexport"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert envcache.cache_root({}) == tmp_path / "home" / ".cache" / "rexport"


def test_an_unwritable_cache_folder_builds_in_the_work_folder(
        toy_export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be\n")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv"))  # uv's own cache is elsewhere
    report = replay(str(toy_export))
    assert report["status"] == "reproduced" and report["environment_cache"] == "off"
    assert any("cannot be written" in n for n in report["notes"])
