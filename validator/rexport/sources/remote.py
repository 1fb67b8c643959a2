"""Exports behind URLs, through fsspec: a tar or tar.gz read as one streaming GET, a zip by
ranged reads of its central directory and then of its members, a prefix by listing.

The archive readers are the local ones over other byte sources; memory stays bounded as it
does for a local file (nothing is held whole but the manifest).
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO, cast

from rexport.paths import MANIFEST
from rexport.sources.base import Entry, InputError, Ledger, Source, container_of, read_capped
from rexport.sources.gzip_feed import GzipFeed
from rexport.sources.manifest import ManifestSource
from rexport.sources.remote_io import RemoteError, classify, filesystem, open_range, open_stream
from rexport.sources.tar import Feed, TarSource
from rexport.sources.tar_members import FileFeed
from rexport.sources.zip import ZipSource
from rexport.sources.zip_directory import LOCAL, Central

_DIRECTORY_BUFFER = 1 << 16  # a zip's end records and central directory, read in such requests
_SPAN_MAX = 1 << 20  # members up to this size are fetched with their header, in one request
_HELD_MAX = 16 << 20  # what is held of such members at most, waiting to be read
_EXTRA_SLACK = 64
_SKIP_CHUNK = 1 << 20


class StreamFeed(FileFeed):
    """A plain tar on a forward-only stream: skips are reads."""

    def __init__(self, fp: BinaryIO) -> None:
        self._fp = fp  # type: ignore[assignment]
        self.pos = 0

    def skip(self, n: int) -> int:
        done = 0
        while done < n:
            chunk = self._fp.read(min(n - done, _SKIP_CHUNK))
            if not chunk:
                break
            done += len(chunk)
        self.pos += done
        return done


class RemoteTarSource(TarSource):
    """A .tar or .tar.gz behind a URL: every pass is one streaming GET."""

    def __init__(self, url: str, fs: Any, path: str, *, gz: bool, max_files: int,
                 max_bytes: int) -> None:
        super().__init__(url, gz=gz, max_files=max_files, max_bytes=max_bytes)
        self.random_access = False  # members are read as the stream passes them
        self._fs = fs
        self._object = path

    def _feed(self) -> Feed:
        fp = open_stream(self._fs, self._object)
        feed: Feed = GzipFeed(cast(Any, fp), stream=True) if self.container == "tar.gz" \
            else StreamFeed(fp)
        self._open_feeds.append(feed)
        return feed


class _Spans:
    """A small member's local header and data, fetched in one request when the walk reads its
    header and kept until its data is read: one request a member, not two or three."""

    def __init__(self, fs: Any, path: str) -> None:
        self._fs = fs
        self._path = path
        self._ends: dict[int, int] = {}  # a member's header offset -> where its span ends
        self._last: dict[int, int] = {}  # a held span's offset -> where its member's data ends
        self._held: OrderedDict[int, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def expect(self, start: int, end: int) -> None:
        if end - start <= _SPAN_MAX:
            self._ends[start] = end

    def data_ends(self, start: int, end: int) -> None:
        """The member whose header is at ``start`` ends before ``end``: its span is dropped
        once read that far."""
        with self._lock:
            if start in self._held:
                self._last[start] = end

    def fetch(self, start: int, end: int) -> bytes:
        with self._lock:
            for offset, block in self._held.items():
                if offset <= start and end <= offset + len(block):
                    # its member's data read to its end: not needed again (the next member's
                    # header, which the span may hold too, is read past that end, perhaps first)
                    if start < self._last.get(offset, offset + len(block)) <= end:
                        del self._held[offset]
                        self._last.pop(offset, None)
                        self._bytes -= len(block)
                    return block[start - offset:end - offset]
            span_end = self._ends.pop(start, 0)
        if span_end <= end:
            return _get(self._fs, self._path, start, end)
        block = _get(self._fs, self._path, start, span_end)
        with self._lock:
            self._held[start] = block
            self._bytes += len(block)
            while self._bytes > _HELD_MAX:
                offset, dropped = self._held.popitem(last=False)
                self._last.pop(offset, None)
                self._bytes -= len(dropped)
        return block[:end - start]


def _get(fs: Any, path: str, start: int, end: int) -> bytes:
    try:
        return cast(bytes, fs.cat_file(path, start=start, end=end))
    except Exception as exc:
        raise classify(exc, path) from None


class RemoteZipSource(ZipSource):
    """A .zip behind a URL of known size: ranged reads only, of what the walk needs."""

    def __init__(self, url: str, fs: Any, path: str, size: int, *, max_files: int,
                 max_bytes: int) -> None:
        super().__init__(url, max_files=max_files, max_bytes=max_bytes)
        self._fs = fs
        self._object = path
        self._size = size
        self._spans = _Spans(fs, path)
        self._prefetch = True

    def manifest_bytes(self) -> bytes | None:
        # the look for rex.json reads headers only: the members' data is read by the walk
        self._prefetch = False
        try:
            return super().manifest_bytes()
        finally:
            self._prefetch = True

    def open_file(self, *, buffered: bool) -> BinaryIO:
        if buffered:
            return open_range(self._fs, self._object, self._size, buffer=_DIRECTORY_BUFFER)
        return open_range(self._fs, self._object, self._size, fetch=self._spans.fetch)

    def size_of(self, fp: BinaryIO) -> int:
        return self._size

    def _inspect(self, item: Central, local: BinaryIO, cd_start: int, ledger: Ledger
                 ) -> tuple[str, bool, int]:
        # the local header's extra field is most often the central one's, or a little more
        end = item.header_offset + LOCAL.size + len(item.raw_name) + item.extra_len \
            + _EXTRA_SLACK + item.compress_size
        if self._prefetch:
            self._spans.expect(item.header_offset, min(end, cd_start))
        kind, refused, data_at = super()._inspect(item, local, cd_start, ledger)
        self._spans.data_ends(item.header_offset, data_at + item.compress_size)
        return kind, refused, data_at


class RemoteManifestSource(ManifestSource):
    """A bare rex.json behind a URL."""

    def __init__(self, url: str, fs: Any, path: str, *, max_files: int, max_bytes: int) -> None:
        super().__init__(url, max_files=max_files, max_bytes=max_bytes)
        self._fs = fs
        self._object = path

    def manifest_bytes(self) -> bytes | None:
        with open_stream(self._fs, self._object) as fp:
            return read_capped(fp)


def _read_head(fs: Any, path: str, size: int, n: int) -> bytes:
    """At most ``n`` bytes of an object from its start, in one request."""
    try:
        # an empty object has no byte range to ask for
        data = fs.cat_file(path, start=0, end=n) if size > 0 else fs.cat_file(path)
    except Exception as exc:
        raise classify(exc, path) from None
    return cast(bytes, data[:n])


class RemoteDirectorySource(Source):
    """A prefix of an object store (or a remote folder) holding an export, read by listing."""

    container = "directory"
    random_access = True  # every object is its own request: several may be read at once

    def __init__(self, url: str, fs: Any, path: str, *, max_files: int, max_bytes: int) -> None:
        super().__init__(url.rstrip("/"), max_files=max_files, max_bytes=max_bytes)
        self._fs = fs
        self._root = path.rstrip("/")

    def manifest_bytes(self) -> bytes | None:
        try:
            with open_stream(self._fs, f"{self._root}/{MANIFEST}") as fp:
                return read_capped(fp)
        except RemoteError as exc:
            if exc.code == "REX-U101":
                return None
            raise InputError(exc.code, exc.message) from None

    def _walk(self, ledger: Ledger) -> Iterator[Entry]:
        try:
            listing: Mapping[str, Any] = self._fs.find(self._root, withdirs=True, detail=True)
        except Exception as exc:
            error = classify(exc, self.path)
            ledger.report(error.code, error.message, self.name)
            return
        prefix = self._root + "/"
        for key in sorted(listing):
            if not key.startswith(prefix):
                continue
            info = listing[key]
            kind = "dir" if info.get("type") == "directory" else "file"
            size = int(info.get("size") or 0) if kind == "file" else 0
            admitted = ledger.admit(key[len(prefix):], kind, size)
            if admitted is None:
                return
            path, safe = admitted
            if kind == "dir":
                if path:
                    yield Entry(path, kind, 0, safe)
                continue
            yield Entry(path, kind, size, safe, functools.partial(open_stream, self._fs, key),
                        functools.partial(_read_head, self._fs, key, size))


def open_remote(url: str, options: Mapping[str, Any], *, max_files: int,
                max_bytes: int) -> Source:
    """The Source of the export at ``url``; raise InputError (REX-U101..U106)."""
    caps = {"max_files": max_files, "max_bytes": max_bytes}
    try:
        fs, path = filesystem(url, options)
        try:
            info = fs.info(path)
        except Exception as exc:
            raise classify(exc, url) from None
        if info.get("type") == "directory" or url.endswith("/"):
            return RemoteDirectorySource(url, fs, path, **caps)
        size = info.get("size")
        # by its name, else by its first bytes (one small ranged read)
        kind = container_of(url, b"") or container_of(url, _read_head(fs, path, size or 1, 520))
        if kind == "tar" or kind == "tar.gz":
            return RemoteTarSource(url, fs, path, gz=kind == "tar.gz", **caps)
        if kind == "manifest":
            return RemoteManifestSource(url, fs, path, **caps)
        if kind == "zip":
            if not isinstance(size, int):
                raise RemoteError("REX-U103", f"{url}: the server does not give the size a zip "
                                  "needs to be read by ranges")
            return RemoteZipSource(url, fs, path, size, **caps)
    except RemoteError as exc:
        raise InputError(exc.code, exc.message) from None
    raise InputError("REX-U102", f"'{url}' is not a .tar, .tar.gz, .tgz, .zip, rex.json or a "
                                 "folder")
