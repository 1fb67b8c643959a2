"""One reader interface over every export container: directory, tar, tar.gz, zip, bare rex.json.

``open_source(path, max_files=..., max_bytes=...)`` picks the reader; each checks member
names (rexport.paths), kinds, duplicates, twins and caps once, as it walks, and never writes.
"""

from __future__ import annotations

import os
import stat

from rexport.paths import display
from rexport.sources.base import Entry, InputError, Source

__all__ = ["Entry", "InputError", "Source", "open_source"]

_SNIFF = 512 + 8


def _container(path: str, head: bytes) -> str | None:
    """The container a file holds, by its name first and its first bytes else."""
    lower = os.path.basename(path).lower()
    for suffix, kind in ((".tar.gz", "tar.gz"), (".tgz", "tar.gz"), (".tar", "tar"),
                         (".zip", "zip"), (".json", "manifest")):
        if lower.endswith(suffix):
            return kind
    if head.startswith(b"\x1f\x8b"):
        return "tar.gz"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head[257:262] == b"ustar":
        return "tar"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "manifest"
    return None


def open_source(path: str | os.PathLike[str], *, max_files: int = 200_000,
                max_bytes: int = 2**40) -> Source:
    """Return the Source for the export at ``path``; raise InputError (REX-U101/U102/U103).

    ``max_files`` caps the number of entries, ``max_bytes`` the sum of member sizes.
    """
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
    kind = _container(name, head)
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
