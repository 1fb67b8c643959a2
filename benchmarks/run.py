"""Speed and memory of `rexport validate` against reference tools, as ratios measured in one run.

Usage (from the repository root):
    python benchmarks/run.py                 # every case; fixtures go to benchmarks/_work/
    python benchmarks/run.py --quick         # smaller fixtures, fewer repeats (a smoke run)
    python benchmarks/run.py --only small    # cases whose name contains "small"
    python benchmarks/run.py --markdown out.md

Each command runs several times, interleaved with its reference so that machine noise hits both;
the median wall time is kept, and the peak resident memory of the largest run (from wait4).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import fixtures  # noqa: E402
import remote_cases  # noqa: E402

BUNDLE = ROOT / "schemas" / "v1" / "rex.bundle.schema.json"


@dataclass
class Run:
    seconds: float
    max_rss_mib: float
    code: int
    out: str


@dataclass
class Command:
    label: str
    shell: str
    cwd: Path = ROOT
    runs: list[Run] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def peak_mib(self) -> float:
        return max(r.max_rss_mib for r in self.runs)


# Each command is started by this small launcher, not by the harness itself: on Linux a
# process inherits its parent's peak RSS across fork/vfork and exec, so a command started
# straight from the harness would report the harness's own memory (fixtures built in it) as
# its peak. The launcher times the command itself and reports "seconds peak_kib status" on
# the descriptor it is given.
_LAUNCHER = """
import os, sys, time
out = int(sys.argv[2])
os.set_inheritable(out, False)  # the command must not hold the harness's pipe open
start = time.perf_counter()
pid = os.posix_spawn("/bin/bash", ["bash", "-c", sys.argv[1]], os.environ)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
os.write(out, f"{seconds} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}".encode())
"""


def run_once(cmd: Command) -> Run:
    read_end, write_end = os.pipe()
    try:
        proc = subprocess.Popen([sys.executable, "-S", "-c", _LAUNCHER, cmd.shell, str(write_end)],
                                cwd=cmd.cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                pass_fds=(write_end,))
    finally:
        os.close(write_end)
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.wait()
    with os.fdopen(read_end, "rb") as fp:
        fields = fp.read().decode().split()
    if len(fields) != 3:
        raise RuntimeError(f"the launcher failed to run {cmd.shell!r}: {out!r}")
    seconds, peak_kib, code = fields
    # ru_maxrss is in KiB on Linux; the launcher's own few MiB are the floor of the figure
    return Run(float(seconds), int(peak_kib) / 1024, int(code), out.decode(errors="replace"))


@dataclass
class Case:
    name: str
    ours: Command
    reference: Command
    mark: str  # human text of the goal
    limit: float  # ours/reference must be <= limit (or >= -limit for "faster than" marks)
    memory_mib: float | None = None
    expect_code: int = 0
    ratio: float = 0.0
    passed: bool = False
    note: str = ""

    def judge(self) -> None:
        self.ratio = self.ours.median / self.reference.median
        if self.limit == 0:  # reported, no mark
            ok = True
        elif self.limit > 0:
            ok = self.ratio <= self.limit
        else:  # "at least N times faster": reference / ours >= N
            ok = self.reference.median / self.ours.median >= -self.limit
        codes = {r.code for r in self.ours.runs}
        if codes != {self.expect_code}:
            ok = False
            self.note += f" exit codes {sorted(codes)} (expected {self.expect_code});"
        if self.memory_mib is not None and self.ours.peak_mib > self.memory_mib:
            ok = False
            self.note += f" peak {self.ours.peak_mib:.0f} MiB > {self.memory_mib:.0f} MiB;"
        self.passed = ok


def measure(case: Case, repeats: int) -> None:
    # one warm-up each so that both read from the page cache
    run_once(case.ours)
    run_once(case.reference)
    for _ in range(repeats):
        case.ours.runs.append(run_once(case.ours))
        case.reference.runs.append(run_once(case.reference))
    case.judge()


def rexport_cmd(args: str) -> str:
    return f"{shlex.quote(sys.executable)} -m rexport {args}"


def build_cases(work: Path, quick: bool) -> list[Case]:
    large_n, large_size = (4, 64 << 20) if quick else (4, 512 << 20)
    small_n = 2000 if quick else 20000
    manifest_n = 10000 if quick else 100000
    cases: list[Case] = []

    large = fixtures.large_files(work / f"large-{large_n}x{large_size >> 20}", large_n, large_size)
    parts = " ".join(f"data/part-{i}.bin" for i in range(large_n))
    cases.append(Case(
        "large-jobs2",
        Command("rexport validate --jobs 2", rexport_cmd(f"validate -q --jobs 2 {large}")),
        Command("xargs -P2 openssl dgst -sha256",
                "ls data/*.bin | xargs -P2 -n1 openssl dgst -sha256 > /dev/null", large),
        "<= 1.15x", 1.15, memory_mib=100))
    cases.append(Case(
        "large-jobs1",
        Command("rexport validate --jobs 1", rexport_cmd(f"validate -q --jobs 1 {large}")),
        Command("openssl dgst -sha256 (sequential)",
                f"for f in {parts}; do openssl dgst -sha256 $f; done > /dev/null", large),
        "<= 1.15x", 1.15, memory_mib=100))
    large_tar = fixtures.tar_of(large, work / f"{large.name}.tar", compress=False)
    cases.append(Case(
        "large-tar-vs-dir",
        Command("rexport validate (.tar)", rexport_cmd(f"validate -q --jobs 1 {large_tar}")),
        Command("rexport validate (directory)", rexport_cmd(f"validate -q --jobs 1 {large}")),
        "<= 1.2x", 1.2, memory_mib=100))

    small = fixtures.small_files(work / f"small-{small_n}", small_n)
    sums = fixtures.sha256sum_list(small, work / f"small-{small_n}.sha256")
    cases.append(Case(
        "small-vs-sha256sum",
        Command("rexport validate --jobs 2", rexport_cmd(f"validate -q --jobs 2 {small}")),
        Command("sha256sum -c", f"sha256sum -c --quiet {sums}", small),
        "<= 1.5x", 1.5, memory_mib=100))
    bag = fixtures.bag_of(small, work / f"small-{small_n}-bag")
    cases.append(Case(
        "small-vs-bagit",
        Command("rexport validate --jobs 2", rexport_cmd(f"validate -q --jobs 2 {small}")),
        Command("bagit.py --validate --processes 2",
                f"{shlex.quote(sys.executable)} -m bagit --validate --processes 2 {bag} "
                "2> /dev/null"),
        ">= 3x faster", -3.0, memory_mib=100))
    small_tgz = fixtures.tar_of(small, work / f"small-{small_n}.tar.gz", compress=True)
    cases.append(Case(
        "small-targz-vs-gzip",
        Command("rexport validate (.tar.gz)", rexport_cmd(f"validate -q {small_tgz}")),
        Command("gzip -dc", f"gzip -dc {small_tgz} > /dev/null"),
        "<= 1.3x", 1.3, memory_mib=100))
    cases.append(remote_cases.inflater_case(small_tgz, case=Case, command=Command,
                                            rexport_cmd=rexport_cmd))
    cases += remote_cases.remote_cases(
        work, {large_tar.name: large_tar, small_tgz.name: small_tgz}, case=Case,
        command=Command, rexport_cmd=rexport_cmd)

    big = work / f"manifest-{manifest_n}" / "rex.json"
    if not big.exists():
        fixtures.big_manifest(big, manifest_n)
    cases.append(Case(
        "manifest-100k",
        Command("rexport validate rex.json", rexport_cmd(f"validate -q {big}")),
        Command("check-jsonschema --schemafile", f"check-jsonschema --schemafile {BUNDLE} {big}"),
        ">= 5x faster", -5.0, memory_mib=250))
    bad = work / f"manifest-{manifest_n}-invalid" / "rex.json"
    broken = fixtures.big_manifest(bad, manifest_n, invalid=True)
    inv = Case(
        "manifest-100k-invalid",
        Command("rexport validate rex.json", rexport_cmd(f"validate -q -o json {bad}")),
        Command("check-jsonschema --schemafile",
                f"check-jsonschema -o json --schemafile {BUNDLE} {bad}"),
        ">= 5x faster, same errors", -5.0, memory_mib=250, expect_code=1)
    inv.note = json.dumps(broken)
    cases.append(inv)

    minimal = ROOT / "examples" / "minimal"
    cases.append(Case(
        "minimal-vs-check-jsonschema",
        Command("rexport validate examples/minimal", rexport_cmd(f"validate -q {minimal}")),
        Command("check-jsonschema --schemafile",
                f"check-jsonschema --schemafile {BUNDLE} {minimal / 'rex.json'}"),
        "<= 1.2x", 1.2))
    pack_size = (32 << 20) if quick else (256 << 20)
    tree = fixtures.pack_tree(work / f"pack-tree-{pack_size >> 20}", pack_size)
    pack_args = (f"pack --no-git --force --code {tree / 'code'} --data {tree / 'data'} "
                 f"--metrics {tree / 'metrics.json'} --seed python=0 --no-progress")
    cases.append(Case(
        "pack-targz-vs-tar-czf",
        Command("rexport pack (.tar.gz)", rexport_cmd(f"{pack_args} -o {work / 'packed.tar.gz'}")),
        Command("tar -czf", f"tar -C {tree} -czf {work / 'tar-czf.tgz'} ."),
        "<= 1.5x", 1.5))
    cases.append(Case(
        "pack-dir-vs-hash-limit",
        Command("rexport pack (directory)", rexport_cmd(f"{pack_args} -o {work / 'packed-dir'}")),
        Command("openssl dgst -sha256 (the hash limit)",
                f"openssl dgst -sha256 {tree / 'data'}/* > /dev/null"),
        "reported (copy + hash vs hash only)", 0.0))
    return cases


def same_errors(case: Case) -> None:
    """Both tools must find exactly the broken entries of the invalid manifest."""
    expected = set(json.loads(case.note))
    ours = json.loads(case.ours.runs[-1].out)
    found = {f["pointer"] for f in ours["findings"] if f["severity"] == "error"}
    theirs = json.loads(case.reference.runs[-1].out)
    their_paths = set()
    for err in theirs.get("errors", []):
        path = err.get("path", "")  # "$.files[7].size"
        their_paths.add(path.replace("$", "").replace("[", "/").replace("]", "").replace(".", "/"))
    ok = expected <= found and expected <= their_paths
    ours_ok = "found" if expected <= found else "MISSED"
    theirs_ok = "found" if expected <= their_paths else "MISSED"
    case.note = f"errors at {sorted(expected)}: rexport {ours_ok}, check-jsonschema {theirs_ok};"
    case.passed = case.passed and ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="")
    parser.add_argument("--repeats", type=int, default=0)
    parser.add_argument("--work", type=Path, default=HERE / "_work")
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    if shutil.which("check-jsonschema") is None:
        print("check-jsonschema is not installed: pip install check-jsonschema", file=sys.stderr)
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    # what `pip install` does: without it an editable checkout under PYTHONDONTWRITEBYTECODE
    # would compile every module on every run, and that would be measured as start-up
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "validator" / "rexport")],
                   check=True)
    cases = [c for c in build_cases(args.work, args.quick) if args.only in c.name]
    repeats = args.repeats or (3 if args.quick else 5)
    rows = []
    for case in cases:
        measure(case, repeats)
        if case.name == "manifest-100k-invalid":
            same_errors(case)
        rows.append(
            f"| {case.name} | {case.ours.label} | {case.ours.median:.3f} s | "
            f"{case.reference.label} | {case.reference.median:.3f} s | {case.ratio:.2f}x | "
            f"{case.mark} | {case.ours.peak_mib:.0f} MiB | "
            f"{'met' if case.passed else 'MISSED'} {case.note.strip()} |")
        print(rows[-1], flush=True)
    header = ("| case | ours | time | reference | time | ratio ours/ref | mark | peak RSS (ours) "
              "| result |\n|---|---|---|---|---|---|---|---|---|\n")
    table = header + "\n".join(rows) + "\n"
    if args.markdown:
        args.markdown.write_text(table, encoding="utf-8")
    print(f"{sum(c.passed for c in cases)} of {len(cases)} marks met")
    return 0 if all(c.passed for c in cases) else 1


if __name__ == "__main__":
    sys.exit(main())
