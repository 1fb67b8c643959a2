"""The manifests of conformance cases, read from whatever container holds them."""

from __future__ import annotations

import io
import tarfile
import zipfile
import zlib

from rexport.conformance.suite import Case


def case_manifest(case: Case) -> bytes:
    """The bytes of the case's rex.json, read from whatever container holds it."""
    path = case.input_path
    if path.is_dir():
        return (path / "rex.json").read_bytes()
    name = path.name.lower()
    if name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            info = next(i for i in archive.infolist()
                        if i.filename.removeprefix("./") == "rex.json")
            info.flag_bits &= ~1  # a case flags every member as encrypted; rex.json is not
            with archive.open(info) as stream:
                return stream.read()
    if name.endswith((".tar", ".tar.gz", ".tgz")):
        data = path.read_bytes()
        if not name.endswith(".tar"):
            data = _gunzip(data)
        # streaming: rex.json comes first, before the damage some cases carry
        with tarfile.open(fileobj=io.BytesIO(data), mode="r|") as archive:
            for member in archive:
                if member.name.removeprefix("./") == "rex.json":
                    stream = archive.extractfile(member)
                    assert stream is not None
                    return stream.read()
        raise AssertionError(f"{path}: no rex.json")
    return path.read_bytes()


def _gunzip(data: bytes) -> bytes:
    """Every gzip member's content, as far as the stream goes (some cases cut it short)."""
    out = b""
    while data[:2] == b"\x1f\x8b":
        stream = zlib.decompressobj(wbits=31)
        try:
            out += stream.decompress(data)
        except zlib.error:  # a damaged trailer: the deflate data itself is still readable
            return out + zlib.decompressobj(wbits=-15).decompress(data[10:])
        data = stream.unused_data
    return out
