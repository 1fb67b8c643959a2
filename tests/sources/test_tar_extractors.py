"""What our tar reader reports is what GNU tar and Python's tarfile extract, or the archive is
refused: a pax global header that would rename, resize or relink members is REX-X120 (EXP-14)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from rexport.sources import open_source

FILES = [("rex.json", b'{"rex_version": "1.0"}\n'), ("code/train.py", b"print('train')\n"),
         ("data/Z\u00fcrich.csv", b"a,b\n1,2\n")]

# name -> (global records before the first member, or after the first member when the name
# ends in "-midway"; whether the archive must be refused)
ARCHIVES: dict[str, tuple[dict[str, str], bool]] = {
    "plain": ({}, False),
    "global-harmless": ({"comment": "made by hand", "mtime": "0", "uname": "x"}, False),
    "global-path": ({"path": "evil.sh"}, True),
    "global-path-midway": ({"path": "evil.sh"}, True),
    "global-size": ({"size": "3"}, True),
    "global-linkpath": ({"linkpath": "/etc/passwd"}, True),
    "global-hdrcharset": ({"hdrcharset": "BINARY"}, True),
    "global-sparse": ({"GNU.sparse.size": "4096", "GNU.sparse.major": "1"}, True),
}


def _tar(name: str, records: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for index, (path, data) in enumerate(FILES):
            if records and index == (1 if name.endswith("-midway") else 0):
                tf.fileobj.write(tarfile.TarInfo.create_pax_global_header(records))
                tf.offset += len(tarfile.TarInfo.create_pax_global_header(records))
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _ours(path: Path) -> tuple[list[tuple[str, int]], set[str]]:
    with open_source(path) as source:
        files = sorted((e.path, e.size) for e in source.entries() if e.kind == "file")
        return files, {f.code for f in source.findings}


def _tarfile_listing(path: Path) -> list[tuple[str, int]]:
    with tarfile.open(path) as tf:
        return sorted((m.name.removeprefix("./"), m.size) for m in tf.getmembers() if m.isfile())


def _gnu_extracted(path: Path, into: Path) -> list[tuple[str, int]] | None:
    tar = shutil.which("tar")
    if tar is None:
        return None
    into.mkdir()
    subprocess.run([tar, "-xf", str(path), "-C", str(into)], capture_output=True, check=False)
    return sorted((os.path.relpath(os.path.join(folder, n), into), os.path.getsize(
        os.path.join(folder, n))) for folder, _, names in os.walk(into) for n in names)


@pytest.mark.parametrize("name", sorted(ARCHIVES))
@pytest.mark.parametrize("gz", [False, True], ids=["tar", "tar.gz"])
def test_reader_agrees_with_extractors_or_refuses(tmp_path: Path, name: str, gz: bool) -> None:
    import gzip

    records, refused = ARCHIVES[name]
    data = _tar(name, records)
    path = tmp_path / ("export.tar.gz" if gz else "export.tar")
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    files, codes = _ours(path)
    assert ("REX-X120" in codes) is refused, codes
    if refused:
        return
    assert files == sorted((p, len(d)) for p, d in FILES)
    assert _tarfile_listing(path) == files
    extracted = _gnu_extracted(path, tmp_path / "gnu")
    if extracted is not None:
        assert extracted == files


@pytest.mark.parametrize("name", [n for n, (_, refused) in ARCHIVES.items() if refused])
def test_each_refused_archive_would_extract_otherwise(tmp_path: Path, name: str) -> None:
    """The refusals are not hypothetical: tarfile applies the global record."""
    path = tmp_path / "export.tar"
    path.write_bytes(_tar(name, ARCHIVES[name][0]))
    with tarfile.open(path) as tf:
        members = tf.getmembers()
    plain = [(p, len(d), "") for p, d in FILES]
    applied = [(m.name, m.size if m.isfile() else -1, m.linkname) for m in members]
    if "sparse" in name or "hdrcharset" in name:
        # these change how names and data are read rather than the listing of this archive
        assert all(k in m.pax_headers for m in members for k in ARCHIVES[name][0])
    else:
        assert applied != plain
