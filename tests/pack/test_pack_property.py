"""Property: every export the packer writes validates; names it cannot store are refused."""

from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path

import pytest
import rexport
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rexport.pack import Capture, EnvironmentOptions, PackError, SecretsFound
from rexport.paths import fold, path_problems, twins

LIGHT = EnvironmentOptions(hardware=False, packages="none", compiler=False, reproduce=False)

# Letters from several scripts, digits, punctuation that file systems accept, and a few
# characters REX refuses (reserved names are built from the letters; "." and " " can end a
# segment); "/" and NUL are kept out since no file system stores them in a name.
_ALPHABET = st.sampled_from(list("abcAB019-_. ~+=,()'&!") + list(
    "\u00e9\u00c9\u00df\u0130\u0131\u03a3\u03c3\u03c2\u0436\u05d0\u4e2d\u6587\U0001f600"
    "\u0301\u212a\ufb01\u1e9e\u00c5\u212b"))
_SEGMENT = st.text(_ALPHABET, min_size=1, max_size=12).filter(lambda s: s not in (".", ".."))
# Names a careful producer would use: NFC, no trailing dot or space, no reserved name.
_CLEAN_SEGMENT = _SEGMENT.map(lambda s: unicodedata.normalize("NFC", s).rstrip(". ")).filter(
    lambda s: s not in ("", ".", "..") and not path_problems(s))
_WILD_PATHS = st.lists(st.lists(_SEGMENT, min_size=1, max_size=3).map("/".join),
                       min_size=1, max_size=8, unique=True)
_CLEAN_PATHS = st.lists(st.lists(_CLEAN_SEGMENT, min_size=1, max_size=3).map("/".join),
                        min_size=1, max_size=8, unique_by=fold)
# mostly trees that must be packed; some with names that must be refused
_PATHS = st.one_of(_CLEAN_PATHS, _CLEAN_PATHS, _WILD_PATHS)
_FORMATS = st.sampled_from(["dir", "tar", "tar.gz", "zip"])


def _build(root: Path, tree: dict[str, bytes]) -> list[str]:
    """Write the tree; return the relative paths that really became files."""
    written = []
    for rel, data in tree.items():
        target = root.joinpath(*rel.split("/"))
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                continue  # a name already used as a folder, or vice versa
            target.write_bytes(data)
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            continue
        written.append(rel)
    return written


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(paths=_PATHS, contents=st.lists(st.binary(max_size=300), min_size=8, max_size=8),
       fmt=_FORMATS, digests=st.sampled_from([(), ("sha512",), ("blake2b", "sha512")]))
def test_every_export_validates_or_is_refused(paths: list[str], contents: list[bytes],
                                              fmt: str, digests: tuple[str, ...]) -> None:
    with tempfile.TemporaryDirectory() as work:
        root = Path(work) / "code"
        root.mkdir()
        (root / "main.py").write_bytes(b"print('ok')\n")
        tree = {p: contents[i % len(contents)] for i, p in enumerate(paths)}
        files = ["main.py", *_build(root, tree)]
        cap = Capture(root, git=False, environment=LIGHT, digests=digests)
        cap.metric("accuracy", 0.5)
        exported = [f"code/{name}" for name in files]
        # a folder collides with a file or folder whose name differs only by case, too
        folders = {p[:i] for p in exported for i, c in enumerate(p) if c == "/"}
        refused = any(path_problems(p) for p in exported) or bool(twins(["rex.json",
                                                                         *exported, *folders]))
        out = Path(work) / f"out.{fmt}"
        if refused:
            with pytest.raises(PackError):
                cap.write(out, format=fmt)
            assert not out.exists()
            return
        try:
            written = cap.write(out, format=fmt)
        except SecretsFound:
            assert not out.exists()  # content that looks like a credential: refused, not written
            return
        report = rexport.validate(written.path)
        assert report.errors == [], [f.to_json() for f in report.errors]
        assert report.export_digest == written.export_digest
        assert sorted(f["path"] for f in written.manifest["files"]) == sorted(exported)
