"""What a reading looks at in a conformance case: its manifest, its members, its values."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from collections.abc import Iterator
from typing import Any

from rexport.conformance.suite import Case


def strings(value: Any, at: str = "") -> Iterator[tuple[str, str]]:
    """(pointer, string) for every string value of ``value``."""
    if isinstance(value, str):
        yield at, value
    elif isinstance(value, (dict, list)):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            yield from strings(item, f"{at}/{key}")



def manifest_of(case: Case) -> Any:
    """The case's manifest, when it is a plain rex.json in a directory export; else None."""
    path = case.input_path / "rex.json"
    try:
        return json.loads(path.read_bytes()) if path.is_file() else None
    except ValueError:
        return None



def bare_manifest_of(case: Case) -> Any:
    """The manifest of a case given as rex.json alone; else None."""
    try:
        return json.loads(case.input_path.read_bytes()) if case.input_path.is_file() \
            and case.input_path.name == "rex.json" else None
    except ValueError:
        return None



def big_integer(value: Any, at: str = "") -> str | None:
    """The pointer of the first integer beyond ±(2^53-1) in ``value``, if any."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53 - 1:
        return at
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, item in items:
        found = big_integer(item, f"{at}/{key}")
        if found is not None:
            return found
    return None



def tree(case: Case) -> list[tuple[str, int]]:
    """(name, size) of each entry of a zip or directory case; empty for other containers."""
    path = case.input_path
    if path.is_dir():
        return [(p.relative_to(path).as_posix(), p.stat().st_size if p.is_file() else 0)
                for p in path.rglob("*")]
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return [(i.filename, i.file_size) for i in archive.infolist()]
    return []



def member_names(case: Case) -> list[str]:
    if case.input_path.suffix != ".tar":
        return []
    try:
        with tarfile.open(case.input_path, encoding="utf-8", errors="surrogateescape") as tar:
            return tar.getnames()
    except (tarfile.TarError, EOFError):  # a damaged archive: its names are not all known
        return []



def end_blocks(case: Case) -> int | None:
    """How many zero blocks follow the last member of a tar case, when nothing else does."""
    if case.input_path.suffix != ".tar":
        return None
    data = case.input_path.read_bytes()
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            last = archive.getmembers()[-1]
    except (tarfile.TarError, IndexError):
        return None
    end = last.offset_data + -(-last.size // 512) * 512
    return None if data[end:].strip(b"\0") else (len(data) - end) // 512



def value_at(case: Case, at: str) -> Any:
    values = dict(strings(manifest_of(case) or bare_manifest_of(case)))
    return values.get(at)



def steps(case: Case) -> int:
    manifest = manifest_of(case)
    lineage = manifest.get("lineage") if isinstance(manifest, dict) else None
    steps = lineage.get("steps") if isinstance(lineage, dict) else None
    return len(steps) if isinstance(steps, list) else 0



def hyperparameter_names(case: Case) -> list[str]:
    manifest = manifest_of(case)
    config = manifest.get("config") if isinstance(manifest, dict) else None
    hyper = config.get("hyperparameters") if isinstance(config, dict) else None
    return list(hyper) if isinstance(hyper, dict) else []



def size_at(case: Case, at: str) -> Any:
    manifest = manifest_of(case)
    parts = at.strip("/").split("/")
    if not isinstance(manifest, dict) or len(parts) != 3 or not parts[1].isdigit():
        return None
    entries = manifest.get("files", [])
    n = int(parts[1])
    return entries[n].get("size") if n < len(entries) else None



def extended_headers(case: Case) -> bool:
    """Whether a tar case has pax extended headers or GNU long-name ones."""
    if case.input_path.suffix != ".tar":
        return False
    with tarfile.open(case.input_path) as archive:
        return any(m.pax_headers for m in archive.getmembers()) \
            or b"././@LongLink" in case.input_path.read_bytes()
