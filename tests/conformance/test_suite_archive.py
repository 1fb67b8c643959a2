"""The suite as one archive: `conformance pack-suite` is deterministic, `run --suite-archive`
runs it from a temp folder and refuses a hostile archive without writing outside it."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from rexport.cli import cli
from rexport.conformance.archive import pack_suite, unpack_suite
from rexport.conformance.suite import SuiteError, load_cases


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["conformance", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_pack_suite_is_deterministic(repo_root: Path, tmp_path: Path) -> None:
    suite = repo_root / "conformance-tests"
    code, out = invoke("pack-suite", "--suite", str(suite), "-o", str(tmp_path / "a.tar.gz"))
    assert code == 0, out
    # the same suite from a copy made at another time gives the same bytes
    copy = tmp_path / "copy" / "conformance-tests"
    with tarfile.open(tmp_path / "a.tar.gz") as tar:
        names = tar.getnames()
        assert all(n.startswith("conformance-tests") for n in names)
        assert not any("/tools/" in n for n in names)
        assert all(m.mtime == 0 and m.uid == 0 and m.uname == "" for m in tar.getmembers())
    unpack_suite(tmp_path / "a.tar.gz", tmp_path / "copy")
    os.utime(copy / "case.schema.json", (1e9, 1e9))
    pack_suite(copy, tmp_path / "b.tar.gz")
    assert (tmp_path / "a.tar.gz").read_bytes() == (tmp_path / "b.tar.gz").read_bytes()
    assert len(load_cases(copy)) == len(load_cases(suite))


def test_run_from_the_archive(repo_root: Path, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "suite.tgz"
    pack_suite(repo_root / "conformance-tests", archive)
    monkeypatch.chdir(tmp_path)  # no conformance-tests/ around: the archive is the only suite
    code, out = invoke("run", "--suite-archive", str(archive), "-k", "invalid-digests-*",
                       "--json", "result.json")
    assert code == 0, out
    assert out.strip().splitlines()[-1].endswith("passed, 0 failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json", "suite.tgz"]


def tar_gz(members: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for info, data in members:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def member(name: str, data: bytes = b"{}", kind: bytes = tarfile.REGTYPE,
           link: str = "") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info, data if kind == tarfile.REGTYPE else b""


SUITE = [member("conformance-tests/case.schema.json")]


@pytest.mark.parametrize("extra", [
    [member("conformance-tests/../../escaped.txt")],
    [member("/tmp/absolute.txt")],
    [member("conformance-tests/v1", kind=tarfile.SYMTYPE, link="/etc"),
     member("conformance-tests/v1/passwd")],
    [member("conformance-tests/a.json"), member("conformance-tests/a.json")],
    [member("conformance-tests/dev", kind=tarfile.CHRTYPE)],
], ids=["traversal", "absolute", "link", "duplicate", "device"])
def test_a_hostile_archive_is_refused_and_writes_nothing_outside(
        tmp_path: Path, extra: list[tuple[tarfile.TarInfo, bytes]]) -> None:
    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(tar_gz(SUITE + extra))
    into = tmp_path / "work" / "into"
    into.mkdir(parents=True)
    with pytest.raises(SuiteError):
        unpack_suite(archive, into)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.tar.gz", "work"]
    assert [p.name for p in (tmp_path / "work").iterdir()] == ["into"]
    assert not (into / "conformance-tests" / "v1" / "passwd").exists()
    code, out = invoke("run", "--suite-archive", str(archive))
    assert code == 2 and "Error" in out


def test_an_archive_without_a_suite_is_a_usage_error(tmp_path: Path) -> None:
    archive = tmp_path / "other.tar.gz"
    archive.write_bytes(tar_gz([member("something/else.json")]))
    code, out = invoke("run", "--suite-archive", str(archive))
    assert code == 2 and "no conformance-tests/" in out
    code, _ = invoke("run", "--suite-archive", str(tmp_path / "missing.tgz"))
    assert code == 2
