#!/usr/bin/env python3
"""Generate the REX conformance cases (conformance-tests/v1) from base exports, deterministically.

Usage: python conformance-tests/tools/generate.py [--out DIR]
Needs the rexport package (for the export digest). Rewrites DIR (default: conformance-tests/v1).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cases_archives  # noqa: E402,F401  (each module registers its cases on import)
import cases_content  # noqa: E402,F401
import cases_damage  # noqa: E402,F401
import cases_export  # noqa: E402,F401
import cases_formats  # noqa: E402,F401
import cases_integrity  # noqa: E402,F401
import cases_member_paths  # noqa: E402,F401
import cases_packaging  # noqa: E402,F401
import cases_parts  # noqa: E402,F401
import cases_producer  # noqa: E402,F401
import cases_readings  # noqa: E402,F401
import cases_redaction  # noqa: E402,F401
import cases_references  # noqa: E402,F401
import cases_secrets  # noqa: E402,F401
import cases_validator  # noqa: E402,F401
import cases_versioning  # noqa: E402,F401
from registry import CASES  # noqa: E402

OUTCOMES = ("valid", "invalid", "warning")


def write(out: Path) -> int:
    """Write every case under ``out``; return how many were written."""
    seen: set[tuple[str, str, str]] = set()
    for outcome in OUTCOMES:
        shutil.rmtree(out / outcome, ignore_errors=True)
    for definition in CASES:
        key = (definition.outcome, definition.area, definition.name)
        if key in seen:
            raise SystemExit(f"case defined twice: {'/'.join(key)}")
        seen.add(key)
        folder = out.joinpath(*key)
        files, expected = definition.render()
        for name, data in sorted(files.items()):
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        folder.mkdir(parents=True, exist_ok=True)
        text = json.dumps(expected, indent=2, ensure_ascii=False) + "\n"
        (folder / "expected.json").write_text(text, encoding="utf-8")
    return len(CASES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE.parent / "v1")
    args = parser.parse_args()
    count = write(args.out)
    print(f"{count} cases written to {args.out}")


if __name__ == "__main__":
    main()
