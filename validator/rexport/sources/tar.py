"""Tar and tar.gz exports, read by our own bounded header walker: nothing is ever extracted.

A plain .tar on disk is random access (headers are walked by seeking, members are read
through fresh handles); a .tar.gz is one forward stream, read once when rex.json is its
first file, and otherwise after one extra pass that only looks for rex.json.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

from rexport.paths import MANIFEST, display
from rexport.sources.base import (
    MALFORMED,
    TRAILING_SCAN,
    ContainerError,
    Entry,
    Ledger,
    Source,
    corrupt,
    read_capped,
)
from rexport.sources.gzip_feed import GzipFeed
from rexport.sources.tar_headers import (
    BLOCK,
    EXTENDED,
    MAX_EXTENDED,
    ZERO_BLOCK,
    Header,
    apply_extended,
    header_fields,
    identity_keys,
    make_header,
    parse_pax,
)
from rexport.sources.tar_members import FileFeed, MemberData, Slice

Feed = FileFeed | GzipFeed
_PEEK = 256  # entries held back while looking for rex.json at the head of a stream
_IN_EXTENDED = "the archive is truncated inside an extended header"


OnData = Callable[[Header, str, bool, MemberData], Entry]


def walk(feed: Feed, ledger: Ledger, *, on_data: OnData) -> Iterator[Entry]:
    """Yield the entries of the tar stream in ``feed``; raise ContainerError when it is bad.

    ``on_data(header, path, safe, data)`` builds the Entry of a member whose data follows; the
    data is skipped (through the same bounded reader) once the next entry is asked for.
    """
    pax: dict[str, bytes] = {}
    long_name: bytes | None = None
    headers = 0
    max_headers = 4 * ledger.max_files + 16  # extended headers are not entries
    # this loop runs twice for each member of a Python- or pax-made archive: names
    # looked up once here cost less than on every turn
    read, skip, admit, report = feed.read, feed.skip, ledger.admit, ledger.report
    while True:
        block = read(BLOCK)
        if len(block) < BLOCK:
            raise corrupt("the archive is truncated (no end-of-archive marker)" if not block
                          else "the archive is truncated inside a header")
        if block == ZERO_BLOCK:
            if pax or long_name is not None:
                raise corrupt("an extended header is followed by the end of the archive")
            _check_trailing(feed, ledger)
            return
        headers += 1
        if headers > max_headers:
            report("REX-X113", f"more than {ledger.max_files} entries: reading stopped")
            return
        name, typeflag, size = header_fields(block)
        if typeflag in EXTENDED:  # extended headers carry data whatever their type
            extended = read(size) if size <= BLOCK else _read_extended(feed, size)
            if len(extended) < size or skip(-size % BLOCK) < -size % BLOCK:
                raise corrupt(_IN_EXTENDED)
            if typeflag == b"x" or typeflag == b"X":
                records = parse_pax(extended)
                if pax:
                    pax.update(records)
                else:
                    pax = records
            elif typeflag == b"L":
                long_name = extended
            elif typeflag == b"g":
                _check_global(parse_pax(extended), report)
            continue  # "K" (long link name): links are refused whatever their target
        header = make_header(name, typeflag, size)
        if pax or long_name is not None:
            header = apply_extended(header, pax, long_name)
            pax, long_name = {}, None
        data_size = header.data_size
        kind = header.kind
        admitted = admit(header.name, kind, data_size)
        if admitted is None:
            return
        path, safe = admitted
        data = MemberData(feed, data_size, path, report)
        if kind == "file":
            yield on_data(header, path, safe, data)
        elif path != "" or kind != "dir":  # not the archive's root ("./")
            yield Entry(path, kind, header.size, safe)
        data.finish(-data_size % BLOCK)
        if data.error is not None:
            raise data.error


def _check_global(records: dict[str, bytes], report: Callable[[str, str], None]) -> None:
    """Global records set defaults that no export needs; one that changes a member's identity
    would make extractors write other files than the ones checked (spec EXP-14)."""
    keys = identity_keys(records)
    if keys:
        report("REX-X120", "a pax global header sets " + ", ".join(map(display, keys))
               + " for the members after it")


def _read_extended(feed: Feed, size: int) -> bytes:
    """The data of an extended header larger than a block (its padding is the caller's)."""
    if size > MAX_EXTENDED:
        raise corrupt(f"an extended header of {size} bytes (at most {MAX_EXTENDED})")
    return feed.read(size)


def _check_trailing(feed: Feed, ledger: Ledger) -> None:
    """After the end-of-archive block only zero padding may follow (bounded look)."""
    rest = feed.read(TRAILING_SCAN + 1)
    if rest.strip(b"\0") or len(rest) > TRAILING_SCAN:
        ledger.report("REX-X112", "bytes follow the end-of-archive marker")
    elif feed.trailing():
        ledger.report("REX-X112", "bytes follow the end of the gzip stream")


class TarSource(Source):
    """A .tar (random access) or .tar.gz (one forward stream) export."""

    def __init__(self, path: str, *, gz: bool, max_files: int, max_bytes: int) -> None:
        super().__init__(path, max_files=max_files, max_bytes=max_bytes)
        self.container = "tar.gz" if gz else "tar"
        self.random_access = not gz
        self._manifest: bytes | None = None
        self._searched = False
        self._open_feeds: list[Feed] = []
        self._main: Iterator[Entry] | None = None
        self._peeked: list[Entry] = []

    def _feed(self) -> Feed:
        fp = open(self.path, "rb", buffering=0)  # noqa: SIM115 - closed by the feed's owner
        feed: Feed = GzipFeed(fp) if self.container == "tar.gz" else FileFeed(fp)
        self._open_feeds.append(feed)
        return feed

    def close(self) -> None:
        for feed in self._open_feeds:
            feed.close()
        self._open_feeds.clear()

    # -- the manifest ---------------------------------------------------------------------
    def manifest_bytes(self) -> bytes | None:
        if self._manifest is not None or self._searched:
            return self._manifest
        if not self.random_access and self._main is None and self._passes == 0:
            # Start the one real pass: when rex.json is the first file, it is cached on
            # the way and the pass goes on from there (entries() yields what was peeked).
            self._main = self._entries_once()
            exhausted = True
            for entry in self._main:
                self._peeked.append(entry)
                # directories and empty files ahead of rex.json cost nothing to hold,
                # but only so many of them: the rest of the pass must stay a stream
                if (entry.kind == "file" and entry.size > 0) or len(self._peeked) >= _PEEK:
                    exhausted = False
                    break
            if self._manifest is not None or exhausted:
                self._searched = True
                return self._manifest
        self._search()
        return self._manifest

    def _search(self) -> None:
        """One pass that records nothing and stops at the first root rex.json."""
        self._searched = True
        ledger = Ledger([], self.name, max_files=self.max_files, max_bytes=self.max_bytes)
        feed = self._feed()
        try:
            for _ in walk(feed, ledger, on_data=self._data_entry):
                if self._manifest is not None:
                    break
        except (ContainerError, OSError, *MALFORMED):
            pass  # the real pass reports it
        finally:
            feed.close()

    def _keep_manifest(self, data: MemberData) -> bytes:
        content = read_capped(data)
        if self._manifest is None:
            self._manifest = content
        return content

    # -- the members ----------------------------------------------------------------------
    def entries(self) -> Iterator[Entry]:
        if self._main is not None:
            main, self._main = self._main, None
            peeked, self._peeked = self._peeked, []
            yield from peeked
            yield from main
            return
        yield from super().entries()

    def _entries_once(self) -> Iterator[Entry]:
        yield from super().entries()

    def _walk(self, ledger: Ledger) -> Iterator[Entry]:
        feed = self._feed()
        try:
            yield from walk(feed, ledger, on_data=self._data_entry)
        finally:
            feed.close()

    def _data_entry(self, header: Header, path: str, safe: bool, data: MemberData) -> Entry:
        if path == MANIFEST and self._manifest is None:
            content = self._keep_manifest(data)
            return Entry(path, "file", header.size, safe, lambda: io.BytesIO(content))
        if self.random_access:
            opener = Slice.opener(self.path, data.offset, header.size)
            return Entry(path, "file", header.size, safe, opener)
        # the reader hands a small member over whole, without a stream around it
        return Entry(path, "file", header.size, safe, data.open, data.read)
