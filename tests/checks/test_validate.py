"""validate() end to end on exports built by tests/helpers: every check family at work."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from helpers.archives import pack
from helpers.exports import (
    TEXT,
    build_manifest,
    codes,
    digests_of,
    position,
    read_manifest,
    seal,
    where,
    write_export,
    write_manifest,
)
from rexport.findings import Severity
from rexport.selection import code_filter
from rexport.validation import order, validate


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return write_export(tmp_path / "run")


# --- the valid case -------------------------------------------------------------------


def test_valid_export(export: Path) -> None:
    report = validate(export)
    assert where(report) == []
    assert report.valid and report.exit_code == 0
    assert report.container == "directory"
    assert report.files_checked == len(TEXT)
    assert report.bytes_checked == sum(len(b) for b in TEXT.values())
    assert report.export_digest == read_manifest(export)["export_digest"]
    assert report.rex_version == "1.0"


def test_every_recorded_algorithm_is_verified(tmp_path: Path) -> None:
    algorithms = ("sha256", "sha512", "blake2b", "md5", "sha1")
    manifest = build_manifest(TEXT, algorithms)
    root = write_export(tmp_path / "run", TEXT, manifest)
    assert where(validate(root)) == []
    i = position(manifest, "data/values.csv")
    manifest["files"][i]["digests"]["md5"] = digests_of(b"other", ("md5",))["md5"]
    write_manifest(root, seal(manifest))
    assert where(validate(root)) == [("REX-I102", "rex.json", f"/files/{i}/digests/md5")]


# --- integrity ------------------------------------------------------------------------


def test_changed_content_same_size(export: Path) -> None:
    target = export / "code/train.py"
    data = bytearray(target.read_bytes())
    data[5] ^= 0x01
    target.write_bytes(bytes(data))
    i = position(read_manifest(export), "code/train.py")
    report = validate(export)
    assert where(report) == [("REX-I102", "rex.json", f"/files/{i}/digests/sha256")]
    assert not report.valid and report.exit_code == 1


def test_size_is_checked_before_the_digest(export: Path) -> None:
    (export / "results/model.bin").write_bytes(TEXT["results/model.bin"] + b"\0")
    i = position(read_manifest(export), "results/model.bin")
    report = validate(export)
    assert where(report) == [("REX-I101", "rex.json", f"/files/{i}/size")]
    assert report.files_checked == len(TEXT) - 1  # never read: not text, and no digest


def test_weak_only_digests(tmp_path: Path) -> None:
    manifest = build_manifest(TEXT)
    i = position(manifest, "results/model.bin")
    manifest["files"][i]["digests"] = digests_of(TEXT["results/model.bin"], ("md5", "sha1"))
    root = write_export(tmp_path / "run", TEXT, seal(manifest))
    report = validate(root)
    assert ("REX-I103", "rex.json", f"/files/{i}/digests") in where(report)
    assert "REX-I102" not in codes(report)  # the weak digests are still verified, and match


def test_edited_manifest_breaks_the_export_digest(export: Path) -> None:
    manifest = read_manifest(export)
    manifest["title"] = "a better title"
    write_manifest(export, manifest)
    assert where(validate(export)) == [("REX-I104", "rex.json", "/export_digest")]


def test_annotations_may_change(export: Path) -> None:
    manifest = read_manifest(export)
    manifest["annotations"] = {"tags": ["reviewed"]}
    write_manifest(export, manifest)
    assert where(validate(export)) == []


# --- completeness ---------------------------------------------------------------------


def test_missing_unlisted_and_duplicate_entries(export: Path) -> None:
    manifest = read_manifest(export)
    (export / "data/values.csv").unlink()
    (export / "notes.txt").write_bytes(b"not indexed\n")
    manifest["files"].append(dict(manifest["files"][0]))
    write_manifest(export, seal(manifest))
    i = position(manifest, "data/values.csv")
    report = validate(export)
    assert sorted(where(report)) == sorted([
        ("REX-C102", "rex.json", f"/files/{i}/path"),
        ("REX-C105", "rex.json", f"/files/{len(manifest['files']) - 1}/path"),
        ("REX-C103", "notes.txt", ""),
    ])


def test_no_manifest(export: Path) -> None:
    (export / "rex.json").unlink()
    report = validate(export)
    assert where(report) == [("REX-C101", "rex.json", "")]
    assert report.exit_code == 1


def test_bare_manifest_skips_the_payload(export: Path) -> None:
    report = validate(export / "rex.json")
    assert report.container == "manifest"
    assert where(report) == [("REX-C106", "rex.json", "")]
    assert report.findings[0].severity is Severity.INFO
    assert report.valid and report.files_checked == 0


def test_bare_manifest_still_gets_manifest_checks(export: Path) -> None:
    manifest = read_manifest(export)
    manifest["title"] = 5
    write_manifest(export, manifest)
    found = codes(validate(export / "rex.json"))
    assert {"REX-S101", "REX-I104", "REX-C106"} <= found


# --- parse, version, schema -----------------------------------------------------------


def test_unparsable_manifest(export: Path) -> None:
    (export / "rex.json").write_bytes(b'{"rex_version": "1.0",}')
    report = validate(export)
    assert [f.code for f in report.findings] == ["REX-P101"]
    assert report.findings[0].line == 1


def test_manifest_not_an_object(export: Path) -> None:
    (export / "rex.json").write_bytes(b"[1, 2]")
    assert [f.code for f in validate(export).findings] == ["REX-P108"]


def test_unknown_major_stops_after_reporting(export: Path) -> None:
    manifest = read_manifest(export)
    manifest["rex_version"] = "2.0"
    manifest["files"] = "whatever 2.0 has"
    write_manifest(export, seal(manifest))
    (export / "unlisted.bin").write_bytes(b"x")
    report = validate(export)
    assert [f.code for f in report.findings] == ["REX-V102"]
    assert report.exit_code == 1


def test_unknown_major_still_checks_the_container(export: Path, tmp_path: Path) -> None:
    manifest = read_manifest(export)
    manifest["rex_version"] = "2.0"
    write_manifest(export, seal(manifest))
    archive = pack(export, tmp_path / "run.tar", prefix="./")
    with archive.open("ab") as fp:
        fp.write(b"trailing bytes after the end of the archive" * 50)
    found = {f.code for f in validate(archive).findings}
    assert found == {"REX-V102", "REX-X112"}


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_listed_link_is_refused_once(export: Path) -> None:
    target = export / "data/values.csv"
    target.rename(export / "elsewhere.csv")
    os.symlink("../elsewhere.csv", target)
    (export / "results/model.bin").unlink()
    (export / "results/model.bin").mkdir()  # a directory where a file is listed
    manifest = read_manifest(export)
    found = where(validate(export))
    assert sorted(found) == sorted([
        ("REX-X105", "data/values.csv", ""),  # not REX-C102 as well (spec IDX-03)
        ("REX-C102", "rex.json", f"/files/{position(manifest, 'results/model.bin')}/path"),
        ("REX-C103", "elsewhere.csv", ""),
    ])


def test_newer_minor_is_a_warning_unless_strict(export: Path) -> None:
    manifest = read_manifest(export)
    manifest["rex_version"] = "1.7"
    write_manifest(export, seal(manifest))
    report = validate(export)
    assert where(report) == [("REX-V103", "rex.json", "/rex_version")]
    assert report.valid and report.exit_code == 0
    strict = validate(export, strict=True)
    assert not strict.valid and strict.exit_code == 1


def test_unknown_fields_only_under_strict(export: Path) -> None:
    manifest = read_manifest(export)
    manifest["colour"] = "blue"
    manifest["x-lab"] = {"anything": True}
    write_manifest(export, seal(manifest))
    assert where(validate(export)) == []
    strict = validate(export, strict=True)
    assert where(strict) == [("REX-S102", "rex.json", "/colour")]
    assert strict.exit_code == 1


def test_schema_errors_keep_their_pointer(export: Path) -> None:
    manifest = read_manifest(export)
    manifest["files"][0]["size"] = -1
    del manifest["results"]
    write_manifest(export, seal(manifest))
    found = where(validate(export))
    assert ("REX-S101", "rex.json", "/files/0/size") in found
    assert ("REX-C104", "rex.json", "/results") in found


# --- references, secrets, config capture ----------------------------------------------


def test_config_file_is_parsed_from_the_same_pass(tmp_path: Path) -> None:
    files = dict(TEXT)
    files["config/config.yaml"] = b"base: &b {lr: 1}\nrun: *b\n"
    config = {"path": "config/config.yaml", "seeds": {"python": 0}}
    root = write_export(tmp_path / "run", files, build_manifest(files, config=config))
    found = where(validate(root))
    assert any(code == "REX-P202" and file == "config/config.yaml" for code, file, _ in found)
    assert not any(f == "rex.json" for _, f, _ in found)


def test_config_schema_is_applied(tmp_path: Path) -> None:
    files = dict(TEXT)
    schema = {"type": "object", "properties": {"C": {"type": "number", "maximum": 0.5}}}
    files["config/hp.schema.json"] = json.dumps(schema).encode()
    config = {"hyperparameters": {"C": 1.0}, "hyperparameters_schema": "config/hp.schema.json",
              "seeds": {"python": 0}}
    root = write_export(tmp_path / "run", files, build_manifest(files, config=config))
    found = where(validate(root))
    assert [c for c, _, _ in found] == ["REX-R106"]
    config["hyperparameters"]["C"] = 0.25
    write_manifest(root, build_manifest(files, config=config))
    assert where(validate(root)) == []
    assert where(validate(root, ignore=["REX-R106"])) == []


def test_lineage_reference_to_a_missing_file(tmp_path: Path) -> None:
    lineage = {"steps": [{"id": "train", "inputs": [{"file": "data/values.csv"}],
                          "outputs": [{"file": "results/nothing.bin"}],
                          "code": {"path": "code/train.py"},
                          "started": "2026-01-15T09:00:00Z", "ended": "2026-01-15T09:01:00Z"}]}
    root = write_export(tmp_path / "run", TEXT, build_manifest(TEXT, lineage=lineage))
    found = where(validate(root))
    assert len(found) == 1 and found[0][0].startswith("REX-R") and found[0][1] == "rex.json"
    assert found[0][2].startswith("/lineage/steps/0/outputs/0")


AWS_KEY = b"AKIA" + b"QXBEBQXL7TUV3Y2W"  # split so that no scanner flags this test file


def test_credential_in_an_embedded_text_file(tmp_path: Path) -> None:
    files = dict(TEXT)
    files["code/settings.py"] = b"KEY_ID = '" + AWS_KEY + b"'\n"
    # a media type that does not say text does not hide it: the name does
    manifest = build_manifest(files)
    i = position(manifest, "code/settings.py")
    manifest["files"][i]["media_type"] = "application/octet-stream"
    root = write_export(tmp_path / "run", files, seal(manifest))
    report = validate(root)
    assert [(c, f) for c, f, _ in where(report)] == [("REX-K102", "code/settings.py")]
    assert AWS_KEY.decode() not in json.dumps(report.to_json())
    assert where(validate(root, ignore=["REX-K"])) == []


# --- options --------------------------------------------------------------------------


def test_select_and_ignore(export: Path) -> None:
    (export / "notes.txt").write_bytes(b"x")
    manifest = read_manifest(export)
    manifest["title"] = "edited"
    write_manifest(export, manifest)
    assert codes(validate(export)) == {"REX-C103", "REX-I104"}
    assert codes(validate(export, select=["REX-I"])) == {"REX-I104"}
    assert codes(validate(export, select=["completeness"])) == {"REX-C103"}
    assert codes(validate(export, ignore=["REX-C103", "i10"])) == set()
    assert validate(export, ignore=["REX-C", "REX-I"]).valid


def test_code_filter() -> None:
    keep = code_filter(["REX-I10", "safety"], ["REX-I104"])
    assert keep("REX-I101") and keep("REX-X101") and keep("REX-U101")
    assert not keep("REX-I104") and not keep("REX-S101")
    assert code_filter([], ["REX"])("REX-U102")  # unreadable input is never hidden
    for bad in ("REX-Z1", "nonsense", "REX-I9"):
        with pytest.raises(ValueError):
            code_filter([bad], [])


def test_caps_stop_the_walk_without_calling_the_rest_missing(tmp_path: Path) -> None:
    files = {f"data/f{i:02d}.bin": bytes([i]) * 10 for i in range(20)}
    root = write_export(tmp_path / "run", files)
    report = validate(root, max_files=5)
    assert "REX-X113" in codes(report)
    assert "REX-C102" not in codes(report)
    assert not report.valid
    report = validate(root, max_bytes=50)
    assert "REX-X114" in codes(report) and "REX-C102" not in codes(report)


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    report = validate(tmp_path / "nope")
    assert [f.code for f in report.findings] == ["REX-U101"]
    assert report.exit_code == 2 and report.container is None


def test_jobs_give_the_same_findings(tmp_path: Path) -> None:
    files = {f"data/part-{i:03d}.bin": bytes([i]) * (100 + i) for i in range(60)}
    files.update(TEXT)
    root = write_export(tmp_path / "run", files)
    for i in range(0, 60, 7):
        (root / f"data/part-{i:03d}.bin").write_bytes(bytes([i + 1]) * (100 + i))
    (root / "data/part-005.bin").write_bytes(b"short")
    one = where(validate(root, jobs=1))
    assert len(one) == 10
    assert where(validate(root, jobs=4)) == one


def test_progress_stays_off_the_output_when_not_a_terminal(
        export: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert validate(export, progress=True).valid
    assert capsys.readouterr() == ("", "")


def test_order_groups_by_file_and_puts_errors_first() -> None:
    from rexport.findings import Finding

    found = [
        Finding.of("REX-K102", "k", file="b.py"),
        Finding.of("REX-V103", "newer", pointer="/rex_version"),
        Finding.of("REX-S101", "second schema error", pointer="/b"),
        Finding.of("REX-S101", "first schema error", pointer="/a"),
        Finding.of("REX-C103", "unlisted", file="a.txt"),
        Finding.of("REX-I102", "digest", pointer="/files/0/digests/sha256"),
        Finding.of("REX-S101", "second schema error", pointer="/b"),
    ]
    ordered = order(found)
    assert [(f.file, f.code, f.pointer) for f in ordered] == [
        ("rex.json", "REX-I102", "/files/0/digests/sha256"),
        ("rex.json", "REX-S101", "/b"),  # the schema check's own order is kept
        ("rex.json", "REX-S101", "/a"),
        ("rex.json", "REX-V103", "/rex_version"),
        ("a.txt", "REX-C103", ""),
        ("b.py", "REX-K102", ""),
    ]


def test_progress_bar_on_a_terminal(export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    from rexport import payload_pass

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    monkeypatch.setattr(payload_pass, "PROGRESS_MIN", 1)
    assert validate(export, progress=True).valid
    assert "hashing" in screen.getvalue()
    shown = len(screen.getvalue())
    assert validate(export, progress=False).valid
    assert len(screen.getvalue()) == shown  # not asked: nothing drawn


def test_unreadable_file_in_a_directory(export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rexport.sources import directory, readahead

    # every read of a member, streamed or whole, opens it through open_checked, and every
    # read ahead of the walk through open_at
    real, real_at = directory.open_checked, readahead.open_at

    def refused(path: str) -> None:
        if path.endswith("model.bin"):
            raise PermissionError(13, "Permission denied")

    def guarded(path: str) -> Any:
        refused(path)
        return real(path)

    def guarded_at(folder: int, name: str) -> int:
        refused(name)
        return real_at(folder, name)

    monkeypatch.setattr(directory, "open_checked", guarded)
    monkeypatch.setattr(readahead, "open_at", guarded_at)
    for jobs in (1, 2):
        report = validate(export, jobs=jobs)
        assert where(report) == [("REX-U103", "results/model.bin", "")]
        assert report.exit_code == 2


def test_a_member_reader_failing_with_a_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    from rexport.sources import base

    archive = pack(write_export(tmp_path / "run"), tmp_path / "run.zip")
    real = base.Entry.open

    def failing(self: Any) -> Any:
        if self.path == "code/train.py":
            raise base.ContainerError("REX-X115", "expands too far", self.path)
        return real(self)

    monkeypatch.setattr(base.Entry, "open", failing)
    report = validate(archive)
    assert where(report) == [("REX-X115", "code/train.py", "")]


def test_config_parsing_follows_the_suffix(tmp_path: Path) -> None:
    files = dict(TEXT)
    files["config/run.YML"] = b"a: 1\na: 2\n"  # a duplicate key, YAML by its suffix
    files["config/hp.schema.yaml"] = b"type: object\n"  # a schema is JSON whatever its name
    config = {"path": "config/run.YML", "hyperparameters_schema": "config/hp.schema.yaml",
              "seeds": {"python": 0}}
    root = write_export(tmp_path / "run", files, build_manifest(files, config=config))
    found = {(c, f) for c, f, _ in where(validate(root))}
    assert ("REX-P204", "config/run.YML") in found
    assert ("REX-P101", "config/hp.schema.yaml") in found
    files["config/run.toml"] = b"a = [\n"  # carried, not parsed
    config["path"] = "config/run.toml"
    del config["hyperparameters_schema"]
    del files["config/hp.schema.yaml"], files["config/run.YML"]
    root = write_export(tmp_path / "run2", files, build_manifest(files, config=config))
    assert where(validate(root)) == []


def test_a_resized_file_is_still_scanned(tmp_path: Path) -> None:
    files = dict(TEXT)
    files["code/settings.py"] = b"x = 1\n"
    root = write_export(tmp_path / "run", files)
    (root / "code/settings.py").write_bytes(b"KEY_ID = '" + AWS_KEY + b"'\n")
    i = position(read_manifest(root), "code/settings.py")
    assert sorted(where(validate(root))) == [("REX-I101", "rex.json", f"/files/{i}/size"),
                                             ("REX-K102", "code/settings.py", "")]
