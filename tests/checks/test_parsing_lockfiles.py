"""The pins of each lockfile format (ENV-09), and the metrics file in JSON and YAML (RPL-04)."""

from __future__ import annotations

import pytest
from rexport.parsing.lockfiles import Pin, disagreements, installed_disagreements, pins
from rexport.parsing.metrics_file import MetricsFileError, load_metrics

REQUIREMENTS = b"""\
# pinned by pip-compile
numpy==1.26.4 \\
    --hash=sha256:2e3bdae2e2b1d27fb0dd6e1fd46b4ad7ca2c29d3ac2ff5a83cdd1b79c1253016
Scikit_Learn[alldeps]==1.5.0 ; python_version >= "3.9"
pandas>=2.0
--index-url https://example.org/simple
-r other.txt
PyYAML===6.0.1  # exact
"""


def test_requirements_pins_as_pip_reads_them() -> None:
    found = pins("pip-requirements", REQUIREMENTS, file="requirements.txt")
    assert found == {"numpy": Pin("1.26.4"), "scikit-learn": Pin("1.5.0", conditional=True),
                     "pyyaml": Pin("6.0.1")}


def test_conda_pins_are_prefixes_unless_doubled() -> None:
    text = b"dependencies:\n  - python=3.11\n  - conda-forge::numpy=1.26\n" \
           b"  - scipy==1.11.4=py311h\n  - pip:\n      - click==8.1.7\n"
    found = pins("conda-environment", text, file="environment.yml")
    assert found == {"python": Pin("3.11", prefix=True), "numpy": Pin("1.26", prefix=True),
                     "scipy": Pin("1.11.4"), "click": Pin("8.1.7")}


@pytest.mark.parametrize(("fmt", "text"), [
    ("uv-lock", b'version = 1\n[[package]]\nname = "NumPy"\nversion = "1.26.4"\n'),
    ("poetry-lock", b'[[package]]\nname = "numpy"\nversion = "1.26.4"\n'),
    ("pdm-lock", b'[[package]]\nname = "numpy"\nversion = "1.26.4"\n'),
    ("pylock", b'lock-version = "1.0"\n[[packages]]\nname = "numpy"\nversion = "1.26.4"\n'),
    ("pipenv-lock", b'{"default": {"numpy": {"version": "==1.26.4"}}}'),
])
def test_other_formats(fmt: str, text: bytes) -> None:
    assert pins(fmt, text, file="lock") == {"numpy": Pin("1.26.4")}


@pytest.mark.parametrize(("fmt", "text"), [
    ("conda-lock", b"package: []\n"),  # not read
    ("uv-lock", b"[[package]\n"),
    ("conda-environment", b"a: &x 1\nb: *x\n"),
    ("pipenv-lock", b'{"default": {}, "default": {}}'),
    ("pip-requirements", b"\xff\xfe"),
])
def test_unreadable_lockfiles_give_no_pins(fmt: str, text: bytes) -> None:
    assert pins(fmt, text, file="lock") is None


def test_versions_agree_as_pins_mean_them() -> None:
    assert Pin("1.0").agrees(Pin("1.0.0")) and Pin("v2.1").agrees(Pin("2.1"))
    assert Pin("1.26", prefix=True).agrees(Pin("1.26.4"))
    assert not Pin("1.2", prefix=True).agrees(Pin("1.26.4"))
    assert disagreements({"a": Pin("1"), "b": Pin("2")}, {"a": Pin("1.0"), "b": Pin("3")}) == [
        ("b", "2", "3")]


def test_installed_disagreements() -> None:
    pinned = {"a": Pin("1"), "b": Pin("2"), "c": Pin("3", conditional=True)}
    assert installed_disagreements(pinned, [("A", "1.0")], every=True) == [("b", "2", None)]
    assert installed_disagreements(pinned, [("b", "2.1")], every=False) == [("b", "2", "2.1")]


@pytest.mark.parametrize(("name", "text"), [
    ("metrics.json", b'{"accuracy": 0.9, "loss": 0.1}'),
    ("metrics.yaml", b"accuracy: 0.9\nloss: 0.1\n"),
    ("m.YML", b"metrics:\n  - {name: accuracy, value: 0.9}\n  - {name: loss, value: 0.1}\n"),
])
def test_metrics_files_in_both_forms_and_syntaxes(name: str, text: bytes) -> None:
    found = load_metrics(text, name=name)
    assert [(m["name"], m["value"]) for m in found] == [("accuracy", 0.9), ("loss", 0.1)]


@pytest.mark.parametrize(("name", "text", "message"), [
    ("metrics.yaml", b"a: &x 1\nb: *x\n", "anchor"),
    ("metrics.yaml", b"- 1\n", "not an object"),
    ("metrics.json", b"accuracy: 0.9", "unreadable"),
    ("metrics.json", b'{"metrics": [{"value": 1}]}', "needs a name"),
])
def test_bad_metrics_files(name: str, text: bytes, message: str) -> None:
    with pytest.raises(MetricsFileError, match=message):
        load_metrics(text, name=name)


@pytest.mark.timeout(30)  # a hang guard: quadratic backtracking would take hours here
def test_long_runs_of_blanks_are_read_in_linear_time() -> None:
    text = ("numpy" + " " * 1_000_000 + "x\n").encode()
    assert pins("pip-requirements", text, file="requirements.txt") == {}
    assert pins("conda-environment", b"dependencies:\n  - 'numpy" + b" " * 1_000_000 + b"x'\n",
                file="environment.yml") == {}
