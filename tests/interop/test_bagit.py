"""BagIt: converted exports pass bagit-python and bdbag, stay byte-identical, validate as bags."""

from __future__ import annotations

import json
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest
from helpers.exports import codes, write_export
from rexport.interop.bagcheck import decode_path, validate_bag
from rexport.validation import validate

from interop.runners import EXAMPLES, flip_byte, needs, rexport, run_tool, tree_bytes

EXPORTS = ["full", "classifier"]


def _digest(name: str) -> str:
    manifest = json.loads((EXAMPLES / name / "rex.json").read_bytes())
    return str(manifest["export_digest"])


def _bag(tmp_path: Path, name: str) -> Path:
    out = tmp_path / f"{name}-bag"
    done = rexport("convert", "--to", "bagit", EXAMPLES / name, out)
    assert done.exit_code == 0, done.output
    return out


def _archive(bag: Path, kind: str) -> Path:
    """The bag as bdbag expects an archived bag: one top folder holding it."""
    if kind == "zip":
        target = bag.with_suffix(".zip")
        with zipfile.ZipFile(target, "w") as archive:
            for path in sorted(bag.rglob("*")):
                archive.write(path, Path(bag.name, path.relative_to(bag)).as_posix())
        return target
    target = bag.with_suffix(".tar.gz")
    with tarfile.open(target, "w:gz") as archive:
        archive.add(bag, arcname=bag.name)
    return target


@pytest.mark.slow
@needs("bagit.py")
@pytest.mark.parametrize("name", EXPORTS)
def test_bagit_python_accepts_the_bag_and_refuses_a_flipped_byte(tmp_path: Path,
                                                                 name: str) -> None:
    bag = _bag(tmp_path, name)
    done = run_tool("bagit.py", "--validate", bag, home=tmp_path)
    assert done.returncode == 0, done.stderr
    flip_byte(bag / "data" / "rex.json", 10)
    assert run_tool("bagit.py", "--validate", bag, home=tmp_path).returncode == 1


@pytest.mark.slow
@needs("bdbag")
@pytest.mark.parametrize("name", EXPORTS)
def test_bdbag_validates_the_bag_folder_and_its_archives(tmp_path: Path, name: str) -> None:
    bag = _bag(tmp_path, name)
    for target in (bag, _archive(bag, "zip"), _archive(bag, "tar.gz")):
        done = run_tool("bdbag", "--validate", "full", target, home=tmp_path)
        assert done.returncode == 0, (target.name, done.stderr[-2000:])
    flip_byte(bag / "data" / "code" / "train.py", 0)
    for target in (bag, _archive(bag, "zip"), _archive(bag, "tar.gz")):
        assert run_tool("bdbag", "--validate", "full", target, home=tmp_path).returncode == 1


@pytest.mark.parametrize("name", EXPORTS)
def test_rexport_validates_the_bag_and_reports_the_original_export_digest(
        tmp_path: Path, name: str) -> None:
    bag = _bag(tmp_path, name)
    done = rexport("validate", "-o", "json", bag)
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["valid"] is True
    assert report["export_digest"] == _digest(name)
    # data/ is the export byte for byte
    assert tree_bytes(bag / "data") == tree_bytes(EXAMPLES / name)


def test_converting_twice_gives_identical_bytes(tmp_path: Path) -> None:
    first = _bag(tmp_path / "a", "full")
    second = _bag(tmp_path / "b", "full")
    assert tree_bytes(first) == tree_bytes(second)
    info = (first / "bag-info.txt").read_text(encoding="utf-8")
    assert "Bagging-Date" not in info
    assert f"External-Identifier: {_digest('full')}\n" in info
    lines = (first / "manifest-sha256.txt").read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines, key=lambda line: line.split("  ", 1)[1].encode())
    assert (first / "bagit.txt").read_bytes() == (
        b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")


def test_an_archive_export_converts_to_the_same_bag(tmp_path: Path) -> None:
    packed = tmp_path / "full.tar.gz"
    with tarfile.open(packed, "w:gz") as archive:
        for path in sorted((EXAMPLES / "full").rglob("*")):
            archive.add(path, arcname=path.relative_to(EXAMPLES / "full").as_posix(),
                        recursive=False)
    out = tmp_path / "from-archive"
    assert rexport("convert", "--to", "bagit", packed, out).exit_code == 0
    assert tree_bytes(out) == tree_bytes(_bag(tmp_path, "full"))


def _findings(bag: Path) -> list[tuple[str, str, int | None]]:
    report = validate_bag(bag)
    return [(f.code, f.file, f.line) for f in report.findings]


def test_a_changed_payload_file_is_a_bag_and_an_export_finding(tmp_path: Path) -> None:
    bag = _bag(tmp_path, "full")
    flip_byte(bag / "data" / "code" / "prep.py", 3)
    found = _findings(bag)
    assert ("REX-B105", "manifest-sha256.txt", 1) in found
    assert ("REX-B105", "manifest-sha512.txt", 1) in found
    # the export's finding, on the line of its member in the bag's data/rex.json
    (line,) = [n for code, file, n in found if (code, file) == ("REX-I102", "data/rex.json")]
    assert line is not None
    assert '"sha256"' in (bag / "data/rex.json").read_text().splitlines()[line - 1]
    assert rexport("validate", bag).exit_code == 1


def test_missing_and_unlisted_files_and_a_wrong_oxum(tmp_path: Path) -> None:
    bag = _bag(tmp_path, "full")
    (bag / "data" / "narrative" / "model-card.md").rename(bag / "data" / "narrative" / "x.md")
    found = _findings(bag)
    assert ("REX-B103", "manifest-sha256.txt", 13) in found
    assert ("REX-B104", "data/narrative/x.md", None) in found
    assert {("REX-C102", "data/rex.json"), ("REX-C103", "data/narrative/x.md")} <= {
        (code, file) for code, file, _ in found}
    info = bag / "bag-info.txt"
    info.write_text(info.read_text().replace("Payload-Oxum: 31849.15", "Payload-Oxum: 1.15"))
    assert ("REX-B106", "bag-info.txt", None) in _findings(bag)


def test_the_bag_manifests_are_checked_not_trusted(tmp_path: Path) -> None:
    bag = _bag(tmp_path, "full")
    manifest = bag / "manifest-sha256.txt"
    lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[0] = "nothex  data/code/prep.py\n"
    lines.append(f"{'0' * 64}  data/../../etc/passwd\n")
    lines.append(f"{'0' * 64}  bagit.txt\n")
    manifest.write_text("".join(lines), encoding="utf-8")
    found = _findings(bag)
    assert [line for code, file, line in found
            if code == "REX-B102" and file == "manifest-sha256.txt"] == [1, 16, 17]
    # the file whose line was unusable is no longer listed by every payload manifest
    assert ("REX-B104", "data/code/prep.py", None) in found
    # a tag manifest that no longer matches the manifest it lists
    assert ("REX-B105", "tagmanifest-sha256.txt", 3) in found


def test_a_bad_declaration_and_no_payload_manifest(tmp_path: Path) -> None:
    bag = _bag(tmp_path, "full")
    (bag / "bagit.txt").write_bytes(b"BagIt-Version: 2.0\nTag-File-Character-Encoding: "
                                    b"ISO-8859-1\n")
    for name in ("manifest-sha256.txt", "manifest-sha512.txt"):
        (bag / name).unlink()
    found = [(code, file) for code, file, _ in _findings(bag)]
    assert found.count(("REX-B101", "bagit.txt")) == 3
    assert rexport("validate", bag).exit_code == 1


def test_a_tag_file_behind_a_link_is_not_read(tmp_path: Path) -> None:
    bag = _bag(tmp_path, "full")
    outside = tmp_path / "outside.txt"
    outside.write_text("secret\n")
    (bag / "meta").symlink_to(tmp_path, target_is_directory=True)
    digest = "0" * 64
    with (bag / "tagmanifest-sha256.txt").open("a") as fp:
        fp.write(f"{digest}  meta/outside.txt\n")
    found = _findings(bag)
    assert ("REX-B103", "tagmanifest-sha256.txt", 5) in found
    assert not any(code == "REX-B105" and line == 5 for code, _, line in found)


def test_manifest_paths_are_percent_decoded_as_rfc_8493_asks() -> None:
    assert decode_path("data/a%25b%0Ac%0d") == "data/a%b\nc\r"
    assert decode_path("data/a%20b") == "data/a%20b"  # only %, CR and LF are encoded


def test_names_bagit_tools_misread_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    export = write_export(tmp_path / "export", {"code/train.py": b"print(1)\n",
                                                "results/100%.txt": b"all\n"})
    assert codes(validate(export)) == set()  # a valid export, which a bag cannot hold
    out = tmp_path / "bag"
    done = rexport("convert", "--to", "bagit", export, out)
    assert done.exit_code == 1
    assert "percent sign" in done.output
    assert not out.exists() and list(tmp_path.iterdir()) == [export]


def test_an_invalid_export_is_never_bagged(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(EXAMPLES / "full", export)
    flip_byte(export / "data" / "iris.csv", 0)
    out = tmp_path / "bag"
    done = rexport("convert", "--to", "bagit", export, out)
    assert done.exit_code == 1
    assert "REX-I102" in done.output and not out.exists()
    assert rexport("convert", "--to", "bagit", tmp_path / "absent", out).exit_code == 2


def test_a_payload_folder_that_is_a_link_is_not_followed(tmp_path: Path) -> None:
    bag = _bag(tmp_path, "full")
    moved = tmp_path / "elsewhere"
    (bag / "data").rename(moved)
    (bag / "data").symlink_to(moved, target_is_directory=True)
    done = rexport("validate", "-o", "json", bag)
    assert done.exit_code == 1
    report = json.loads(done.output)
    assert [(f["code"], f["file"]) for f in report["findings"]] == [("REX-X105", "data")]
    assert report["export_digest"] is None


def test_bag_findings_reach_the_junit_report(tmp_path: Path) -> None:
    bag = _bag(tmp_path, "full")
    clean = rexport("validate", "-o", "junit", bag).output
    assert 'name="bag"' not in clean and 'failures="0"' in clean
    flip_byte(bag / "bag-info.txt", 0)
    done = rexport("validate", "-o", "junit", bag)
    assert done.exit_code == 1
    assert '<testcase name="bag" classname="rexport.bag">' in done.output
    assert 'type="REX-B105"' in done.output


def test_an_interrupt_leaves_nothing_and_exits_130(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import rexport.interop.bagit as bagit

    def interrupted(*args: object, **kwargs: object) -> tuple[int, int]:
        raise KeyboardInterrupt

    monkeypatch.setattr(bagit, "write_tag_files", interrupted)
    done = rexport("convert", "--to", "bagit", EXAMPLES / "full", tmp_path / "bag")
    assert done.exit_code == 130
    assert list(tmp_path.iterdir()) == []
