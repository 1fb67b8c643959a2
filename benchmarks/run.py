"""Speed and memory of rexport against reference tools and floors, as ratios measured in one run.

Usage (from the repository root):
    python benchmarks/run.py                  # every case, full size; fixtures in benchmarks/_work/
    python benchmarks/run.py --write-readme   # ... and the results table of benchmarks/README.md
    python benchmarks/run.py --quick          # smaller fixtures, the check CI runs
    python benchmarks/run.py --only small     # cases whose name contains "small"

Each pair of commands runs interleaved, after a warm-up, so that machine noise hits both; the
best time of each is kept, and the peak resident memory of rexport's processes (from wait4).
A case passes when its ratio meets its mark; --tolerance loosens every mark (--quick: 1.25, a
ratio may regress 25% past its mark before the check fails). A case that misses is measured
once more, and judged on the best of all its runs. Exit 1 when a case fails.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# the rexport of this checkout, whatever is installed
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(HERE.parent / "validator"), *filter(None, [os.environ.get("PYTHONPATH")])])
sys.path.insert(0, str(HERE.parent / "validator"))

from cases import build_cases, same_errors  # noqa: E402
from harness import ROOT, Case, measure  # noqa: E402

README = HERE / "README.md"
START, END = "<!-- results: start -->", "<!-- results: end -->"
TOOLS = ("check-jsonschema", "openssl", "sha256sum", "tar", "gzip", "xargs")


def row(case: Case, quick: bool) -> str:
    return (f"| {case.name} | {case.ours.label} | {case.ours.best:.3f} s | "
            f"{case.reference.label} | {case.reference.best:.3f} s | {case.ratio_text()} | "
            f"{case.mark_text(quick)} | {case.ours.peak_mib:.0f} MiB | {case.result()} |")


HEADER = ("| case | rexport (no flags unless shown) | best | reference | best | ratio | mark "
          "| peak RSS | result |\n|---|---|---|---|---|---|---|---|---|")


def machine(load_before: tuple[float, ...], load_after: tuple[float, ...]) -> str:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1 << 30)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                            capture_output=True, check=False).stdout.strip() or "unknown"
    return (f"{datetime.date.today().isoformat()}, commit {commit}: {cores} cores, "
            f"{memory:.0f} GiB, Python {platform.python_version()}, {platform.system()}; "
            f"load average {load_before[0]:.2f} before the run, {load_after[0]:.2f} after")


def write_readme(table: str, about: str) -> None:
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{README} has no {START} ... {END} section to replace")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    body = (f"{START}\n<!-- written by `python benchmarks/run.py --write-readme`; do not edit "
            f"-->\n\nMeasured {about}.\n\n{table}{END}")
    README.write_text(head + body + tail, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller fixtures: the CI check")
    parser.add_argument("--only", default="", help="cases whose name contains this")
    parser.add_argument("--repeats", type=int, default=0, help="runs of each command")
    parser.add_argument("--tolerance", type=float, default=0.0,
                        help="loosen every mark by this factor (default 1.0; --quick 1.25)")
    parser.add_argument("--work", type=Path, default=HERE / "_work")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--write-readme", action="store_true",
                        help="write the table into benchmarks/README.md (a full run only)")
    args = parser.parse_args()
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        print(f"missing tools: {', '.join(missing)} (pip install -e '.[test]' brings "
              "check-jsonschema and bagit)", file=sys.stderr)
        return 2
    if args.write_readme and (args.quick or args.only):
        print("--write-readme takes a full run: no --quick, no --only", file=sys.stderr)
        return 2
    tolerance = args.tolerance or (1.25 if args.quick else 1.0)
    load_before = os.getloadavg()
    args.work.mkdir(parents=True, exist_ok=True)
    # what `pip install` does: without it an editable checkout under PYTHONDONTWRITEBYTECODE
    # would compile every module on every run, and that would be measured as start-up
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "validator" / "rexport")],
                   check=True)
    cases = build_cases(args.work, args.quick, args.only)
    repeats = args.repeats or (3 if args.quick else 7)
    rows = []
    for case in cases:
        measure(case, repeats)
        case.judge(args.quick, tolerance)
        if not case.passed:
            # a miss is measured once more before it counts: a burst of other work on the
            # machine can take one series of runs, rarely two; the best of all runs is kept
            measure(case, repeats)
            case.problems.clear()
            case.judge(args.quick, tolerance)
        if case.name.startswith("manifest-100k-invalid"):
            same_errors(case)
        rows.append(row(case, args.quick))
        print(rows[-1], flush=True)
    table = HEADER + "\n" + "\n".join(rows) + "\n"
    about = machine(load_before, os.getloadavg())
    print(f"{sum(c.passed for c in cases)} of {len(cases)} cases pass (tolerance "
          f"{tolerance:g}); {about}")
    if args.markdown:
        args.markdown.write_text(table, encoding="utf-8")
    if args.write_readme:
        write_readme(table, about)
    return 0 if all(c.passed for c in cases) else 1


if __name__ == "__main__":
    sys.exit(main())
