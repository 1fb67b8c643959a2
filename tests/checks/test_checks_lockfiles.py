"""A pip requirements lockfile includes no other file (ENV-03, REX-R111)."""

from __future__ import annotations

import pytest
from rexport.checks.lockfiles import check_requirements, include_lines, pip_requirements


@pytest.mark.parametrize(("line", "includes"), [
    ("-r base.txt", True), ("-rbase.txt", True), ("  -c constraints.txt", True),
    ("\t-e ./vendor/lib", True), ("-e", True), ("--requirement base.txt", True),
    ("--requirement=base.txt", True), ("--constraint\tc.txt", True), ("--editable", True),
    ("numpy==1.26.4 --hash=sha256:00", False), ("--hash=sha256:00", False),
    ("-i https://pypi.org/simple", False), ("--index-url https://pypi.org/simple", False),
    ("--requirements-file x", False), ("# -r commented out", False), ("requests -r x", False),
    ("", False),
])
def test_which_lines_include_another_file(line: str, includes: bool) -> None:
    assert include_lines(line) == ([1] if includes else [])


def test_each_including_line_is_r111_in_the_lockfile() -> None:
    data = b"-r a.txt\nnumpy==1\r\n  -c b.txt\r\n\xff\n--editable=./x\n"
    found = check_requirements("environment/requirements.lock", data)
    assert [(f.code, f.file, f.pointer, f.line) for f in found] == [
        ("REX-R111", "environment/requirements.lock", "", 1),
        ("REX-R111", "environment/requirements.lock", "", 3),
        ("REX-R111", "environment/requirements.lock", "", 5)]


def test_only_pip_requirements_lockfiles_are_read() -> None:
    manifest = {"environment": {"lockfiles": [
        {"path": "a.txt", "format": "pip-requirements"}, {"path": "b.lock", "format": "uv-lock"},
        {"path": 3, "format": "pip-requirements"}, "junk"]}}
    assert pip_requirements(manifest) == {"a.txt"}
    assert pip_requirements({"environment": {"lockfiles": "x"}}) == frozenset()
    assert pip_requirements([]) == frozenset()
