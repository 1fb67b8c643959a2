"""A bare rex.json: the manifest alone, without payload (its payload checks are skipped)."""

from __future__ import annotations

from collections.abc import Iterator

from rexport.sources.base import Entry, Ledger, Source, read_capped
from rexport.sources.directory import open_regular


class ManifestSource(Source):
    """A path naming a manifest file: ``entries()`` yields nothing."""

    container = "manifest"
    random_access = True

    def manifest_bytes(self) -> bytes | None:
        try:
            with open_regular(self.path) as fp:
                return read_capped(fp)
        except OSError:
            return None

    def _walk(self, ledger: Ledger) -> Iterator[Entry]:
        return iter(())
