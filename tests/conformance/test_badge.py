"""`rexport badge`: well-formed flat SVG stating the result, endpoint JSON, deterministic bytes."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import cairosvg
import pytest
from click.testing import CliRunner
from PIL import ImageFont
from rexport.commands.badge import command
from rexport.conformance import badge as badges

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "conformance-tests" / "v1"
VALID = CASES / "valid" / "export" / "full" / "export"
TAMPERED = CASES / "invalid" / "validator" / "every-finding-collected" / "export"
NEWER = CASES / "warning" / "versioning" / "newer-minor" / "export"
SVG = "{http://www.w3.org/2000/svg}"


def _badge(tmp_path: Path, *args: str) -> tuple[ET.Element, dict[str, object], str]:
    svg, endpoint = tmp_path / "badge.svg", tmp_path / "endpoint.json"
    result = CliRunner().invoke(command, [*args, "-o", str(svg), "--json", str(endpoint)])
    assert result.exit_code == 0, result.output
    return (ET.fromstring(svg.read_bytes()), json.loads(endpoint.read_text(encoding="utf-8")),
            result.output)


def _texts(root: ET.Element) -> list[str]:
    # each text is drawn twice (shadow, then text): keep the visible ones
    return [t.text or "" for t in root.iter(f"{SVG}text") if t.get("aria-hidden") is None]


def test_conformant_export(tmp_path: Path) -> None:
    root, endpoint, output = _badge(tmp_path, str(VALID))
    assert _texts(root) == ["REX v1.0", "conformant"]
    assert root.findtext(f"{SVG}title") == "REX v1.0: conformant"
    assert endpoint == {"schemaVersion": 1, "label": "REX v1.0", "message": "conformant",
                        "color": "brightgreen"}
    assert badges.COLOURS["brightgreen"] in {r.get("fill") for r in root.iter(f"{SVG}rect")}
    assert output.strip() == "REX v1.0 | conformant"


def test_invalid_export_states_what_failed(tmp_path: Path) -> None:
    root, endpoint, _ = _badge(tmp_path, str(TAMPERED))
    assert _texts(root) == ["REX v1.0", "2 errors"]
    assert (endpoint["message"], endpoint["color"]) == ("2 errors", "red")
    assert badges.COLOURS["red"] in {r.get("fill") for r in root.iter(f"{SVG}rect")}


def test_warnings_and_strict(tmp_path: Path) -> None:
    root, endpoint, _ = _badge(tmp_path, str(NEWER))
    assert _texts(root) == ["REX v1.7", "conformant, 1 warning"]
    assert endpoint["color"] == "yellow"
    _, strict, _ = _badge(tmp_path, str(NEWER), "--strict")
    # strict also reports the member 1.7 might define (REX-S102): two warnings, both failing
    assert (strict["message"], strict["color"]) == ("2 warnings", "red")


def test_conformance_result(tmp_path: Path) -> None:
    result = tmp_path / "conformance.json"
    result.write_text(json.dumps({"kind": "rex-conformance-result", "spec_version": "1.0",
                                  "passed": 297, "failed": 3, "cases": []}), encoding="utf-8")
    root, endpoint, _ = _badge(tmp_path, str(result))
    assert _texts(root) == ["REX v1.0", "3 of 300 cases failed"]
    assert endpoint["color"] == "red"
    result.write_text(json.dumps({"kind": "rex-conformance-result", "spec_version": "1.0",
                                  "passed": 300, "failed": 0, "cases": []}), encoding="utf-8")
    _, endpoint, _ = _badge(tmp_path, str(result))
    assert (endpoint["message"], endpoint["color"]) == ("conformant (300 cases)", "brightgreen")


def test_a_json_that_is_no_result_is_validated_as_a_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "run.json"
    shutil.copy(VALID / "rex.json", manifest)
    _, endpoint, _ = _badge(tmp_path, str(manifest))
    assert endpoint["message"] == "conformant"  # C106 is info: the manifest alone conforms


def test_bytes_are_deterministic(tmp_path: Path) -> None:
    first = badges.svg(badges.Badge("REX v1.0", "conformant", "brightgreen"))
    again = badges.svg(badges.Badge("REX v1.0", "conformant", "brightgreen"))
    assert first == again
    assert first.endswith(b"</g></svg>\n")
    _badge(tmp_path, str(VALID))
    assert (tmp_path / "badge.svg").read_bytes() == first
    assert (tmp_path / "endpoint.json").read_bytes() == badges.endpoint_json(
        badges.Badge("REX v1.0", "conformant", "brightgreen"))


def test_width_follows_the_text() -> None:
    short = ET.fromstring(badges.svg(badges.Badge("REX v1.0", "ok", "brightgreen")))
    long = ET.fromstring(badges.svg(badges.Badge("REX v1.0", "12 of 300 cases failed", "red")))
    assert int(long.get("width", "0")) > int(short.get("width", "0")) + 50
    escaped = ET.fromstring(badges.svg(badges.Badge("a<b", "x & y", "red")))
    assert _texts(escaped) == ["a<b", "x & y"]


def test_width_table_measures_the_fallback_font() -> None:
    font_path = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not font_path.is_file():
        pytest.skip("DejaVu Sans is not installed")
    font = ImageFont.truetype(str(font_path), 110)
    for char in map(chr, range(32, 127)):
        assert badges.text_width(char) == pytest.approx(font.getlength(char) / 10, abs=0.051)


def test_renders_to_png(tmp_path: Path) -> None:
    svg = tmp_path / "badge.svg"
    svg.write_bytes(badges.svg(badges.Badge("REX v1.0", "3 errors", "red")))
    png = tmp_path / "badge.png"
    cairosvg.svg2png(url=str(svg), write_to=str(png), scale=4)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert (height, width) == (80, 4 * int(ET.fromstring(svg.read_bytes()).get("width", "0")))
