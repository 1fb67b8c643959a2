"""One reader interface over every export container: directory, tar, tar.gz, zip, bare rex.json.

``open_source(path, max_files=..., max_bytes=...)`` picks the reader (a URL's is in
rexport.sources.remote); each checks member names (rexport.paths), kinds, duplicates, twins
and caps once, as it walks, and never writes.
``read_manifest(path)`` reads only the manifest of an export.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from typing import Any

from rexport.limits import MAX_BYTES, MAX_FILES
from rexport.parsing import load_json
from rexport.paths import display
from rexport.sources.base import Entry, InputError, ManifestError, Source, container_of

__all__ = ["Entry", "InputError", "ManifestError", "Source", "container_of", "open_source",
           "read_manifest"]

_SNIFF = 512 + 8


def open_source(path: str | os.PathLike[str], *, max_files: int = MAX_FILES,
                max_bytes: int = MAX_BYTES,
                storage_options: Mapping[str, Any] | None = None) -> Source:
    """Return the Source for the export at ``path``; raise InputError (REX-U1xx).

    ``max_files`` caps the number of entries, ``max_bytes`` the sum of member sizes. A URL
    (``s3://``, ``https://``, ...) is read through fsspec with ``storage_options``.
    """
    from rexport.sources.remote_io import is_url

    if is_url(path):
        from rexport.sources.remote import open_remote

        return open_remote(str(path), storage_options or {}, max_files=max_files,
                           max_bytes=max_bytes)
    name = os.fsdecode(path)
    shown = display(name)
    try:
        info = os.stat(name)  # the path given is the user's choice: a link to it is followed
    except FileNotFoundError:
        raise InputError("REX-U101", f"'{shown}' does not exist") from None
    except OSError as exc:
        raise InputError("REX-U103", f"'{shown}' cannot be read: {exc.strerror}") from None
    caps = {"max_files": max_files, "max_bytes": max_bytes}
    # each reader is imported when its container is met: the archive readers cost a
    # directory or a bare manifest start-up time for nothing
    if stat.S_ISDIR(info.st_mode):
        if not os.access(name, os.R_OK | os.X_OK):
            raise InputError("REX-U103", f"'{shown}' cannot be listed")
        from rexport.sources.directory import DirectorySource

        return DirectorySource(name, **caps)
    if not stat.S_ISREG(info.st_mode):
        # a FIFO or device is never opened: reading it could block or never end
        raise InputError("REX-U102", f"'{shown}' is neither a directory nor a regular file")
    try:
        with open(name, "rb") as fp:
            head = fp.read(_SNIFF)
    except OSError as exc:
        raise InputError("REX-U103", f"'{shown}' cannot be read: {exc.strerror}") from None
    kind = container_of(name, head)
    if kind is None:
        raise InputError("REX-U102", f"'{shown}' is not a directory, .tar, .tar.gz, .tgz, "
                                     ".zip or rex.json")
    if kind == "manifest":
        from rexport.sources.manifest import ManifestSource

        return ManifestSource(name, **caps)
    if kind == "zip":
        from rexport.sources.zip import ZipSource

        return ZipSource(name, **caps)
    from rexport.sources.tar import TarSource

    return TarSource(name, gz=kind == "tar.gz", **caps)


def read_manifest(path: str | os.PathLike[str], *, max_files: int = MAX_FILES,
                  max_bytes: int = MAX_BYTES) -> tuple[dict[str, Any], bytes]:
    """Read only the manifest of a directory or archive export: (parsed object, its bytes).

    Raise ManifestError when the input is unreadable or rex.json is absent or not a JSON object.
    """
    try:
        with open_source(path, max_files=max_files, max_bytes=max_bytes) as src:
            data = src.manifest_bytes()
    except InputError as exc:
        raise ManifestError(exc.code, str(exc)) from None
    except OSError as exc:
        raise ManifestError("REX-U103", str(exc)) from None
    if data is None:
        raise ManifestError("REX-C101", f"{os.fspath(path)}: no rex.json")
    doc, problems = load_json(data)
    if problems or not isinstance(doc, dict):
        first = problems[0] if problems else None
        raise ManifestError(first.code if first else "REX-P108",
                            f"{os.fspath(path)}: rex.json unusable"
                            + (f": {first.message}" if first else ""))
    return doc, data
