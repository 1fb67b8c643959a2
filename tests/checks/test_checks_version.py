"""The version check: V101 malformed, V102 other major (stops the rest), V103 newer minor."""

from __future__ import annotations

from typing import Any

import pytest
from rexport import SPEC_VERSION
from rexport.checks import version


def codes(manifest: Any) -> list[tuple[str, str]]:
    return [(f.code, f.pointer) for f in version.check(manifest)]


def test_the_supported_version_passes() -> None:
    assert codes({"rex_version": SPEC_VERSION}) == []
    assert version.supported({"rex_version": SPEC_VERSION})


@pytest.mark.parametrize("value", [None, 1, 1.0, "1", "1.0.0", "v1.0", "01.0", "1.01", " 1.0",
                                   "1.0\n", "", "1.x", ["1.0"], "١.٠"])
def test_missing_or_malformed_versions_are_v101(value: Any) -> None:
    manifest = {} if value is None else {"rex_version": value}
    assert codes(manifest) == [("REX-V101", "/rex_version")]
    assert version.supported(manifest)  # the other checks still run and report


@pytest.mark.parametrize("value", ["2.0", "0.9", "10.0", "999999999.0"])
def test_another_major_is_v102_and_not_supported(value: str) -> None:
    assert codes({"rex_version": value}) == [("REX-V102", "/rex_version")]
    assert not version.supported({"rex_version": value})


@pytest.mark.parametrize("value", ["1.2", "1.42"])
def test_a_newer_minor_is_a_warning_and_still_supported(value: str) -> None:
    found = version.check({"rex_version": value})
    assert [f.code for f in found] == ["REX-V103"]
    assert found[0].severity.value == "warning"
    assert version.supported({"rex_version": value})


@pytest.mark.parametrize("manifest", [None, [], "1.0", 3, {"rex_version": {"major": 1}}])
def test_any_json_value_is_accepted(manifest: Any) -> None:
    version.check(manifest)
    version.supported(manifest)
