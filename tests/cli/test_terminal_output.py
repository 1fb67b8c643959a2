"""Every text that rexport prints goes through one escaping function: no control, line-separator
or bidirectional character from an export, a case or a manifest reaches the terminal raw."""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.exports import build_manifest, write_export
from rexport.cli import cli
from rexport.paths import display

_BIDI = frozenset({"LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI"})


def _dangerous(char: str) -> bool:
    """Characters that move the cursor, break a line or reorder it on a terminal."""
    return (unicodedata.category(char) in {"Cc", "Zl", "Zp", "Cs"}
            or unicodedata.bidirectional(char) in _BIDI
            or char in "\u200e\u200f\u061c")


DANGEROUS = [chr(c) for c in range(sys.maxunicode + 1) if _dangerous(chr(c))]


def _raw(text: str) -> list[str]:
    return sorted({f"U+{ord(c):04X}" for c in text if _dangerous(c) and c != "\n"})


def test_display_escapes_every_dangerous_character() -> None:
    assert len(DANGEROUS) > 2000  # controls, separators, bidi and the surrogates
    text = "".join(DANGEROUS)
    assert _raw(display(text, None)) == []
    for char in ("\x1b", "\x9b", "\u2028", "\u2029", "\u202e", "\u2066", "\udcff"):
        assert "\\" in display(char), repr(char)
    assert display("plain/name.txt") == "plain/name.txt"
    assert display("caf\u00e9 \u2603") == "caf\u00e9 \u2603"  # printable text stays as it is


def test_display_keeps_undecodable_bytes_readable() -> None:
    assert display("bad\udcffname") == "bad\\xffname"
    assert display("csi\x9b31m") == "csi\\x9b31m"
    assert display("line\u2028break") == "line\\u2028break"


def test_validate_text_escapes_line_separators_in_names(tmp_path: Path) -> None:
    files = {"code/train.py": b"print(1)\n"}
    root = write_export(tmp_path / "export", files, build_manifest(files))
    (root / "code" / "a\u2028b\u2029c\x9b2J.py").write_bytes(b"x = 1\n")
    result = CliRunner().invoke(cli, ["validate", "--color", "never", str(root)])
    assert result.exit_code == 1, result.output
    assert "REX-C103" in result.output
    assert _raw(result.output) == []
    assert "a\\u2028b\\u2029c\\x9b2J.py" in result.output


def test_diff_text_escapes_c1_controls(tmp_path: Path) -> None:
    files = {"code/train.py": b"print(1)\n"}
    config_a = {"hyperparameters": {"mode": "plain"}, "seeds": {"python": 0}}
    config_b = {"hyperparameters": {"mode": "\x9b2J\x9b31mred\u2028"}, "seeds": {"python": 0}}
    a = write_export(tmp_path / "a", files, build_manifest(files, config=config_a))
    b = write_export(tmp_path / "b", files, build_manifest(files, config=config_b))
    result = CliRunner().invoke(cli, ["diff", str(a), str(b)])
    assert result.exit_code == 1, result.output
    assert "mode" in result.output
    assert _raw(result.output) == []
    assert "\\x9b2J" in result.output


def test_conformance_failures_are_escaped(tmp_path: Path) -> None:
    from rexport.conformance.runner import Outcome, describe_failure
    from rexport.conformance.suite import Answer, Case

    sha = (Path(__file__).resolve().parents[2] / "conformance-tests" / "v1" / "invalid"
           / "digests" / "sha256-mismatch")
    base = Case.load(sha)
    case = Case(**{**base.__dict__, "description": "\x1b]0;owned\x07 \u202eevil"})
    answer = Answer(1, {"valid": False, "findings": [{"code": "REX-I102\x9b2J",
                                                      "pointer": "/\u2028"}]})
    text = describe_failure(Outcome(case, answer, ("missing \x1b[2J",)), sha.parents[3])
    assert _raw(text) == []
    assert "\\x1b]0;owned" in text


def test_replay_text_escapes_line_separators() -> None:
    from rexport.commands.replay import render_text
    from rexport.replay.session import ReplayStop, refused

    stop = ReplayStop("validate", "the export is not valid\u2028forged: reproduced",
                      findings=[{"code": "REX-C103", "file": "a\u2029b", "message": "\x9b2J"}])
    text = render_text(refused("export\u2028", stop))
    assert _raw(text) == []
    assert "\\u2028forged" in text


@pytest.mark.parametrize("fmt", ["json"])
def test_json_output_keeps_exact_names(tmp_path: Path, fmt: str) -> None:
    """Machine formats carry names exactly (JSON escapes what it must): only text escapes."""
    files = {"code/train.py": b"print(1)\n"}
    root = write_export(tmp_path / "export", files, build_manifest(files))
    (root / "code" / "a\u2028b.py").write_bytes(b"x = 1\n")
    result = CliRunner().invoke(cli, ["validate", "-o", fmt, str(root)])
    report = json.loads(result.stdout)
    assert "code/a\u2028b.py" in {f["file"] for f in report["findings"]}


def test_pack_messages_are_escaped(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "train.py").write_bytes(b"print(1)\n")
    metrics = tmp_path / "metrics.json"
    metrics.write_text('{"accuracy": 0.9}', encoding="utf-8")
    out = tmp_path / "out\u2028\x9b2J"
    result = CliRunner().invoke(cli, ["pack", "-o", str(out), "--code", str(code), "--no-git",
                                      "--seed", "python=0", "--metrics", str(metrics)])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
    assert _raw(result.output) == []
    assert "out\\u2028\\x9b2J" in result.output
