"""Commands timed side by side, interleaved and repeated; ratios judged against their marks."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each command is started by this small launcher, not by the harness itself: on Linux a
# process inherits its parent's peak RSS across fork/vfork and exec, so a command started
# straight from the harness would report the harness's own memory (fixtures built in it) as
# its peak. The launcher times the command itself and reports "seconds peak_kib status" on
# the descriptor it is given. The peak is the largest of the command's processes (wait4
# gives the maximum over the waited-for tree), the launcher's own few MiB its floor.
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


@dataclass
class Run:
    seconds: float
    max_rss_mib: float
    code: int
    out: str


@dataclass
class Command:
    """A shell command to time; ``prepare``, when given, runs untimed before each run (say,
    to remove what the previous run wrote, which a user's first run does not find)."""

    label: str
    shell: str
    cwd: Path = ROOT
    prepare: str = ""
    runs: list[Run] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(r.seconds for r in self.runs)

    @property
    def peak_mib(self) -> float:
        return max(r.max_rss_mib for r in self.runs)


def run_once(cmd: Command) -> Run:
    if cmd.prepare:
        subprocess.run(["bash", "-c", cmd.prepare], cwd=cmd.cwd, check=True)
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
    # ru_maxrss is in KiB on Linux
    return Run(float(seconds), int(peak_kib) / 1024, int(code), out.decode(errors="replace"))


@dataclass
class Case:
    """One comparison: ``ours`` against ``reference``, judged by the ratio of their best
    times (ours / reference). ``mark`` > 0: the ratio must be at most ``mark``; ``mark`` < 0:
    ours must be at least ``-mark`` times faster; 0: reported only. ``memory_mib`` caps the
    peak resident memory of ours. ``why`` explains a miss, or what stands between the mark
    and the goal; ``quick_mark`` replaces ``mark`` for the small fixtures of --quick, where
    start-up weighs more."""

    name: str
    ours: Command
    reference: Command
    mark: float
    memory_mib: float | None = None
    expect_code: int = 0
    why: str = ""
    quick_mark: float | None = None
    ratio: float = 0.0
    problems: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)

    def goal(self, quick: bool) -> float:
        return self.quick_mark if quick and self.quick_mark is not None else self.mark

    def mark_text(self, quick: bool) -> str:
        mark = self.goal(quick)
        if mark > 0:
            return f"<= {mark:g}x"
        if mark < 0:
            return f">= {-mark:g}x faster"
        return "reported"

    def ratio_text(self) -> str:
        if self.goal(False) < 0 and self.ratio > 0:
            return f"{1 / self.ratio:.2f}x faster"
        return f"{self.ratio:.2f}x"

    def judge(self, quick: bool, tolerance: float) -> None:
        """Set problems: what misses the mark, ``tolerance`` times loosened (1.25: 25 %)."""
        self.ratio = self.ours.best / self.reference.best
        mark = self.goal(quick)
        if mark > 0 and self.ratio > mark * tolerance:
            self.problems.append(f"{self.ratio:.2f}x > {mark * tolerance:.2f}x")
        if mark < 0 and 1 / self.ratio < -mark / tolerance:
            self.problems.append(f"{1 / self.ratio:.2f}x faster < {-mark / tolerance:.2f}x")
        codes = {r.code for r in self.ours.runs}
        if codes != {self.expect_code}:
            self.problems.append(f"exit codes {sorted(codes)} (expected {self.expect_code})")
        if self.memory_mib is not None and self.ours.peak_mib > self.memory_mib * tolerance:
            self.problems.append(f"peak {self.ours.peak_mib:.0f} MiB > "
                                 f"{self.memory_mib * tolerance:.0f} MiB")

    @property
    def passed(self) -> bool:
        return not self.problems

    def result(self) -> str:
        """met or missed, what was found, and ``why`` (the reason for a miss, or what stands
        between the mark and the goal)."""
        said = self.facts + ([self.why] if self.why else [])
        if self.passed:
            return "met" + (f": {'; '.join(said)}" if said else "")
        return "missed: " + "; ".join(self.problems + said)


def measure(case: Case, repeats: int) -> None:
    """Run both commands ``repeats`` times, interleaved so that machine noise hits both,
    after one warm-up each (so that both read from the page cache).

    What earlier cases wrote is flushed to disk first (sync): the kernel would otherwise
    write it back, some 30 s later, while this case runs, and charge it to whichever side
    it met."""
    os.sync()
    run_once(case.ours)
    run_once(case.reference)
    for _ in range(repeats):
        case.ours.runs.append(run_once(case.ours))
        case.reference.runs.append(run_once(case.reference))
