"""A source read as the validator reads it: the manifest first, then every entry to its end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rexport.sources import open_source


def read_all(path: Path, **options: Any) -> tuple[dict[str, bytes], list[str]]:
    """{path: content} of every file of the source at ``path`` (rex.json too), and the codes
    of its findings in order; ``options`` go to open_source."""
    files = {}
    with open_source(path, **options) as source:
        source.manifest_bytes()
        for entry in source.entries():
            if entry.kind == "file":
                with entry.open() as fp:
                    # in pieces: a header may claim a size no single read could hold
                    files[entry.path] = b"".join(iter(lambda: fp.read(1 << 20), b""))
        return files, [f.code for f in source.findings]
