"""Read a W&B offline run's log (run-ID.wandb): config, summary, history, environment, git.

The log is a LevelDB-style record log (a 7-byte header ``:W&B`` + magic 0xBEE1 + version 0, then
32 KiB blocks of chunks: CRC-32 of type and data, length, type FULL/FIRST/MIDDLE/LAST) of
protocol-buffer ``Record`` messages; the few fields read here are decoded by hand, so that
neither wandb nor protobuf is needed. Standard library only: this file is also copied into
exports for their replay.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

HEADER = b":W&B" + struct.pack("<HB", 0xBEE1, 0)
BLOCK = 32768
CHUNK_HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
MAX_RECORD = 64 << 20
MAX_HISTORY_ROWS = 2_000_000


class LogError(ValueError):
    """The file is not a W&B run log, or is damaged."""


class _Truncated(Exception):
    """The log ends inside a chunk."""


@dataclass
class WandbRun:
    """What the log recorded; values are decoded JSON (text kept where it does not parse)."""

    run_id: str = ""
    project: str = ""
    entity: str = ""
    display_name: str = ""
    notes: str = ""
    tags: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)
    git_remote: str = ""
    git_commit: str = ""
    start_time: float | None = None
    exit_code: int | None = None
    runtime: int | None = None
    version: str = ""
    python_version: str = ""
    files: list[str] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise LogError("a record holds a malformed number")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def fields(buf: bytes) -> Iterator[tuple[int, Any]]:
    """(field number, value) of a protocol-buffer message: ints, bytes, or raw fixed bytes."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            value, pos = buf[pos:pos + width], pos + width
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        else:
            raise LogError(f"a record uses an unknown wire type {wire}")
        if pos > len(buf):
            raise LogError("a record is cut short")
        yield number, value


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def _item(buf: bytes) -> tuple[list[str], Any]:
    """A config, summary or history item: its key path and value."""
    key: list[str] = []
    nested: list[str] = []
    value: Any = None
    for number, raw in fields(buf):
        if number == 1:
            key = [_text(raw)]
        elif number == 2:
            nested.append(_text(raw))
        elif number in (16, 7, 8):
            value = _json(_text(raw)) if number != 7 else _text(raw)
        elif number == 4:
            value = bool(raw)
        elif number == 5:
            value = (raw >> 1) ^ -(raw & 1)
        elif number == 6:
            value = struct.unpack("<d", raw)[0]
    return nested or key, value


def _apply(target: dict[str, Any], path: list[str], value: Any, remove: bool = False) -> None:
    for part in path[:-1]:
        child = target.get(part)
        if not isinstance(child, dict):
            child = target[part] = {}
        target = child
    if path and remove:
        target.pop(path[-1], None)
    elif path:
        target[path[-1]] = value


def _updates(buf: bytes, target: dict[str, Any]) -> None:
    for number, raw in fields(buf):
        if number in (1, 2):
            path, value = _item(raw)
            _apply(target, path, value, remove=number == 2)


def _timestamp(buf: bytes) -> float:
    parts = dict(fields(buf))
    return float(parts.get(1, 0)) + float(parts.get(2, 0)) / 1e9


def _git(buf: bytes, run: WandbRun) -> None:
    for number, raw in fields(buf):
        if number == 1:
            run.git_remote = _text(raw)
        elif number == 2:
            run.git_commit = _text(raw)


_RUN_TEXT = {1: "run_id", 2: "entity", 3: "project", 8: "display_name", 9: "notes"}
_ENV_TEXT = {1: "os", 2: "python", 4: "docker", 6: "program", 7: "code_path", 11: "root",
             12: "host", 14: "executable", 18: "gpu_type", 25: "cuda_version"}
_ENV_INT = {16: "cpu_count", 17: "cpu_count_logical", 19: "gpu_count"}


def _run(buf: bytes, run: WandbRun) -> None:
    for number, raw in fields(buf):
        if number in _RUN_TEXT:
            setattr(run, _RUN_TEXT[number], _text(raw))
        elif number == 4:
            _updates(raw, run.config)
        elif number == 10:
            run.tags.append(_text(raw))
        elif number == 17:
            run.start_time = _timestamp(raw)
        elif number == 21:
            _git(raw, run)


def _environment(buf: bytes, run: WandbRun) -> None:
    env = run.environment
    for number, raw in fields(buf):
        if number in _ENV_TEXT:
            env[_ENV_TEXT[number]] = _text(raw)
        elif number in _ENV_INT:
            env[_ENV_INT[number]] = raw
        elif number == 5:
            env.setdefault("args", []).append(_text(raw))
        elif number == 9:
            _git(raw, run)
        elif number == 21:
            env["memory_total"] = dict(fields(raw)).get(1)
        elif number == 22:
            env["cpu_model"] = _text(dict(fields(raw)).get(3, b""))
        elif number == 24:
            gpu = dict(fields(raw))
            env.setdefault("gpus", []).append({"name": _text(gpu.get(1, b"")),
                                               "memory_total": gpu.get(2)})


def _history(buf: bytes, run: WandbRun) -> None:
    row: dict[str, Any] = {}
    for number, raw in fields(buf):
        if number == 1:
            path, value = _item(raw)
            _apply(row, path, value)
        elif number == 2 and "_step" not in row:
            row["_step"] = dict(fields(raw)).get(1, 0)
    if len(run.history) >= MAX_HISTORY_ROWS:
        raise LogError(f"the log holds more than {MAX_HISTORY_ROWS} history rows")
    run.history.append(row)


def _artifact(buf: bytes, run: WandbRun) -> None:
    entry: dict[str, Any] = {"entries": []}
    for number, raw in fields(buf):
        if number in (4, 5, 6):
            entry[{4: "type", 5: "name", 6: "digest"}[number]] = _text(raw)
        elif number == 12:
            for sub, content in fields(raw):
                if sub == 4:
                    parts = dict(fields(content))
                    entry["entries"].append({"path": _text(parts.get(1, b"")),
                                             "digest": _text(parts.get(2, b"")),
                                             "ref": _text(parts.get(3, b"")),
                                             "size": parts.get(4)})
    run.artifacts.append(entry)


def _record(buf: bytes, run: WandbRun) -> None:
    for number, raw in fields(buf):
        if number == 2:
            _history(raw, run)
        elif number == 3:
            _updates(raw, run.summary)
        elif number == 5:
            _updates(raw, run.config)
        elif number == 6:
            run.files += [_text(dict(fields(item)).get(1, b"")) for sub, item in fields(raw)
                          if sub == 1]
        elif number == 8:
            _artifact(raw, run)
        elif number == 11:
            parts = dict(fields(raw))
            run.python_version = _text(parts.get(4, run.python_version))
            run.version = run.version or _text(parts.get(5, b""))
        elif number == 17:
            _run(raw, run)
        elif number == 18:
            parts = dict(fields(raw))
            run.exit_code = struct.unpack("<i", struct.pack("<I", parts.get(1, 0) & 0xFFFFFFFF))[0]
            run.runtime = parts.get(2)
        elif number == 21:
            info = dict(fields(raw)).get(1, b"")
            run.version = _text(dict(fields(info)).get(1, b"")).split("+")[0]
        elif number == 26:
            _environment(raw, run)


def records(handle: BinaryIO) -> Iterator[bytes]:
    """The records of the log, reassembled from their chunks, CRC-checked.

    A chunk cut short at the end (a run that was killed) ends the log; ``LogError`` for
    anything else out of place.
    """
    if handle.read(len(HEADER)) != HEADER:
        raise LogError("not a W&B run log (no ':W&B' header)")
    offset, pending = len(HEADER), bytearray()
    while True:
        room = BLOCK - offset % BLOCK
        if room < CHUNK_HEADER:
            handle.read(room)
            offset += room
            continue
        head = handle.read(CHUNK_HEADER)
        if len(head) < CHUNK_HEADER:
            if head.strip(b"\0"):
                raise _Truncated
            return
        crc, size, kind = struct.unpack("<IHB", head)
        if crc == 0 and size == 0 and kind == 0:  # zero padding to the end of the block
            handle.read(room - CHUNK_HEADER)
            offset += room
            continue
        data = handle.read(size)
        offset += CHUNK_HEADER + size
        if len(data) < size:
            raise _Truncated
        if zlib.crc32(data, zlib.crc32(bytes([kind]))) != crc or size > room - CHUNK_HEADER:
            raise LogError(f"the log is damaged at byte {offset - size - CHUNK_HEADER}")
        if kind == FULL and not pending:
            yield data
        elif kind == FIRST and not pending:
            pending += data
        elif kind in (MIDDLE, LAST) and pending:
            pending += data
            if len(pending) > MAX_RECORD:
                raise LogError(f"a record is larger than {MAX_RECORD} bytes")
            if kind == LAST:
                yield bytes(pending)
                pending.clear()
        else:
            raise LogError(f"chunks out of order at byte {offset - size - CHUNK_HEADER}")


def read(handle: BinaryIO) -> WandbRun:
    """Read a whole run log into a WandbRun; LogError when it cannot be read."""
    run = WandbRun()
    try:
        for data in records(handle):
            _record(data, run)
    except _Truncated:
        run.truncated = True
    return run
