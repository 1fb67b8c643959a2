"""Lockfiles are read as pip reads them: continued lines, comments, variables, options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.replay_export import build_export
from hypothesis import given, settings
from hypothesis import strategies as st
from rexport.cli import cli
from rexport.replay.env import SetupError, inspect_lockfile
from rexport.replay.lockfile import check_line, logical_lines

# Each is refused; before lockfiles were read per physical line, each one passed.
SMUGGLED = {
    "continued-r": "numpy==1.26.4\n-\\\nr /etc/passwd\n",
    "continued-long-option": "--req\\\nuirement=/etc/passwd\n",
    "continued-editable": "-\\\\\ne /opt/project\n",
    "continued-path": "numpy==1.26.4\n.\\\n/local-package\n",
    "abbreviated-option": "--requirem=/etc/passwd\n",
    "variable-in-index": "--index-url http://lockfile.example/${PIP_INDEX_URL}\nnumpy\n",
    "variable-in-requirement": "numpy==${NUMPY_VERSION}\n",
    "variable-after-continuation": "numpy==1.26.4 \\\n    --hash=sha256:${HASH}\n",
    "index-url": "--index-url https://lockfile.example/simple\nnumpy==1.26.4\n",
    "short-index-url": "-ihttps://lockfile.example/simple\nnumpy==1.26.4\n",
    "extra-index-url": "--extra-index-url=https://lockfile.example/simple\n",
    "trusted-host": "--trusted-host lockfile.example\n",
    "find-links-url": "-f https://lockfile.example/wheels\n",
    "direct-reference": "numpy @ https://lockfile.example/numpy-1.26.4-py3-none-any.whl\n",
    "archive-name": "numpy-1.26.4-py3-none-any.whl\n",
    "config-settings": "numpy==1.26.4 --config-settings=editable_mode=compat\n",
    "global-option": "numpy==1.26.4 --global-option=--with-c\n",
    "stray-argument": "numpy==1.26.4 --hash=sha256:" + "a" * 64 + " /etc/passwd\n",
}


@pytest.mark.parametrize("text", SMUGGLED.values(), ids=SMUGGLED.keys())
def test_lockfile_lines_pip_would_read_otherwise_are_refused(tmp_path: Path, text: str) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text(text)
    with pytest.raises(SetupError, match=r"requirements\.lock:\d+"):
        inspect_lockfile(lock, "requirements.lock")


def test_index_choices_pass_only_when_allowed(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text("-i https://lockfile.example/simple\n--trusted-host lockfile.example\n"
                    "numpy @ https://lockfile.example/numpy.whl\n")
    with pytest.raises(SetupError, match="--allow-export-index"):
        inspect_lockfile(lock, "requirements.lock")
    checked = inspect_lockfile(lock, "requirements.lock", allow_sources=True)
    assert checked.lines == ["--index-url=https://lockfile.example/simple",
                             "--trusted-host=lockfile.example",
                             "numpy @ https://lockfile.example/numpy.whl"]
    # allowed or not, a source is a web address, never a file
    lock.write_text("--find-links file:///etc\n")
    with pytest.raises(SetupError):
        inspect_lockfile(lock, "requirements.lock", allow_sources=True)


@pytest.mark.parametrize(("line", "given"), [
    ("numpy==1.26.4", "numpy==1.26.4"),
    ("scikit-learn[all]>=1.5,<2; python_version >= '3.10'",
     "scikit-learn[all]>=1.5,<2; python_version >= '3.10'"),
    ("numpy==1.26.4   --hash sha256:" + "ab" * 32, "numpy==1.26.4 --hash=sha256:" + "ab" * 32),
    ("--only-binary :all:", "--only-binary=:all:"),
    ("--no-i", "--no-index"),
    ("--pre", "--pre"),
])
def test_harmless_lines_are_given_to_pip_as_checked(line: str, given: str) -> None:
    assert check_line(line) == given


def test_a_lockfile_in_another_encoding_is_refused(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_bytes("-r /etc/passwd\n".encode("utf-16"))
    with pytest.raises(SetupError):
        inspect_lockfile(lock, "requirements.lock")


def _pip_preprocess(text: str) -> list[tuple[int, str]]:
    from pip._internal.req.req_file import preprocess

    return list(preprocess(text))


_FRAGMENTS = st.lists(st.sampled_from([
    "numpy==1.0", "-", "r", " ", "\t", "\\", "#", " #", "x", "\n", "\r\n", "\r", "\x0c",
    "--hash=sha256:ab", "\\\\", "a#b", "\u2028", "-r", "--req", "uirement"]), max_size=30)


@settings(max_examples=400, deadline=None)
@given(_FRAGMENTS)
def test_logical_lines_are_pips_own(fragments: list[str]) -> None:
    text = "".join(fragments)
    assert list(logical_lines(text)) == _pip_preprocess(text)


def test_continued_requirement_option_never_reaches_pip(tmp_path: Path) -> None:
    root = build_export(tmp_path / "run", lockfile="numpy==1.26.4\n-\\\nr /etc/passwd\n")
    work = tmp_path / "work"
    result = CliRunner().invoke(cli, ["replay", str(root), "--yes", "--workdir", str(work),
                                      "-o", "json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 2 and report["stage"] == "environment"
    assert "requirements.lock:2" in report["reason"]
    # pip never ran: the file it would have read is nowhere in the report
    assert "root:" not in result.stdout
    assert not (work / "venv").exists()
