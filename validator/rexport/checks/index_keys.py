"""Files judged by one key, "size/sha256/path": the index entries a file may match at once,
and the small members of a stream judged by it as they are read."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Collection

from rexport.checks.completeness import Tracker
from rexport.checks.scanned_files import scanned_for_secrets, scanned_paths
from rexport.json_values import IndexColumns
from rexport.paths import MANIFEST
from rexport.sources import Entry


def key(size: int, sha256: str, path: str) -> str:
    """The one key a file is judged by: its size, its SHA-256 in lower case and its path (the
    form the read-ahead workers give theirs in, sources.readahead.Part.keys, inline there in
    the loop over every file)."""
    return f"{size}/{sha256.lower()}/{path}"


def expected_keys(tracker: Tracker, columns: IndexColumns | None, *, scanning: bool,
                  parsed: Collection[str | None]) -> dict[str, str]:
    """{"size/sha256/path": path} for each index entry a file may match at once: it asks
    for SHA-256 alone, and its file is neither scanned for credentials (``scanning``) nor
    among the ``parsed`` paths (a config file, its schema, a lockfile). Of a path listed
    twice, only the first entry: the one its file is judged by."""
    config = set(parsed)
    if columns is not None:  # each entry asks for SHA-256 alone: no step but the key
        alone = config | (scanned_paths(columns.paths, columns.media_types, columns.sizes)
                          if scanning else set())
        first = tracker.index.positions.get
        return {key(size, value, path): path for position, (path, size, value)
                in enumerate(zip(columns.paths, columns.sizes, columns.sha256, strict=True))
                if first(path) == position and path not in alone}
    expected = {}
    for entry in tracker.index.values():
        digests, size, path = entry.digests, entry.size, entry.path
        if len(digests) != 1 or size is None or path in config or (
                scanning and scanned_for_secrets(path, entry.media_type, size)):
            continue
        value = digests.get("sha256")
        if type(value) is str:
            expected[key(size, value, path)] = path
    return expected


def _head(data: bytes, n: int) -> bytes:
    return data[:n]


def _raise(error: BaseException, n: int) -> bytes:
    raise error


class KeyedReads:
    """The small members of a stream judged by their key as they come, without the steps
    of the member-by-member pass (the Python around each is what a small file costs).

    A member listed in ``expected`` (by expected_keys) is read whole and hashed here; when
    its key is the index entry's, it is what that pass would judge without a finding:
    ``judge`` gives its size, and marks its path seen. Any other member is handed back for
    that pass, with the bytes read (and their digest) or the error met reading them.
    """

    def __init__(self, expected: dict[str, str], tracker: Tracker, *, below: int,
                 errors: tuple[type[BaseException], ...]) -> None:
        self._keys = {path: key for key, path in expected.items()}
        self._seen = tracker.seen
        self._below = below
        self._errors = errors

    def judge(self, entry: Entry) -> Entry | int:
        """The bytes of ``entry`` when it is judged here, as indexed; else ``entry`` for the
        member-by-member pass (its bytes, when read here, held by its reader)."""
        path = entry.path
        wanted = self._keys.get(path)
        reader = entry.reader
        if wanted is None or reader is None or entry.kind != "file" or not entry.safe \
                or entry.size >= self._below or entry.hashed is not None \
                or path in self._seen or path == MANIFEST:
            return entry
        try:
            data = reader(entry.size + 1)  # the one byte more the pass would ask for
        except self._errors as exc:
            entry.reader = functools.partial(_raise, exc)  # the pass reports it
            return entry
        digest = hashlib.sha256(data).hexdigest()
        if key(len(data), digest, path) == wanted:
            self._seen.add(path)
            return len(data)
        entry.reader = functools.partial(_head, data)
        entry.hashed = (len(data), digest)
        return entry
