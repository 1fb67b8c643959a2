"""Replay's time against running the command directly: the first replay (environment built) and
a replay with the environment cached, with uv and with pip.

Usage (from the repository root):
    python benchmarks/replay.py                  # the scikit-learn project; replays fetch from PyPI
    python benchmarks/replay.py --repeats 7 --markdown out.md

The project is the tests' small scikit-learn one (tests/helpers/projects.py), made an export by
`rexport run`. "direct" runs `python train.py` in the project, in this environment. A first
replay starts from an empty replay cache (pip's and uv's download caches are kept, as on a
machine that has installed these packages before); a cached replay reuses the environment the
previous replay built. The overhead is the replay's time minus the command's own time
(wall_seconds of the replay report), the interpreter's start included.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from helpers.projects import rexport_environ, sklearn_project  # noqa: E402

OVERHEAD_MARK = 3.0  # seconds a cached replay may spend outside the command


def timed(argv: list[str], cwd: Path | None, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False,
                          timeout=3600)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}"
                         f"{done.stderr}")
    return seconds, done.stdout


def replay(export: Path, env: dict[str, str], installer: str) -> tuple[float, float, str]:
    """(seconds in all, seconds of the command, cache status) of one replay."""
    seconds, out = timed([sys.executable, "-m", "rexport", "replay", "--yes", "-o", "json",
                          "--installer", installer, str(export)], None, env)
    report = json.loads(out)
    assert report["status"] == "reproduced", report
    return seconds, float(report["wall_seconds"]), str(report["environment_cache"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--work", type=Path, default=HERE / "_work" / "replay")
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    project = sklearn_project(args.work / "project")
    env = rexport_environ(args.work / "cache")
    export = args.work / "export"
    timed([sys.executable, "-m", "rexport", "run", "-q", "-o", str(export), "--config",
           "params.yaml", "--metrics", "metrics.yaml", "--artifact", "model.joblib", "--",
           "python", "train.py"], project, env)
    direct = [timed([sys.executable, "train.py"], project, env)[0] for _ in range(args.repeats)]
    rows = [("direct: python train.py", statistics.median(direct), None, "-")]
    installers = ["uv", "pip"] if shutil.which("uv") else ["pip"]
    for installer in installers:
        firsts, cached = [], []
        for _ in range(max(1, args.repeats // 2)):
            shutil.rmtree(args.work / "cache", ignore_errors=True)
            firsts.append(replay(export, env, installer))
        cached = [replay(export, env, installer) for _ in range(args.repeats)]
        assert {status for *_, status in firsts} == {"miss"}
        assert {status for *_, status in cached} == {"hit"}
        for label, runs in ((f"first replay ({installer})", firsts),
                            (f"cached replay ({installer})", cached)):
            total = statistics.median(r[0] for r in runs)
            overhead = statistics.median(r[0] - r[1] for r in runs)
            rows.append((label, total, overhead, runs[0][2]))
    table = ["| run | median time | outside the command | cache |", "|---|---|---|---|"]
    table += [f"| {label} | {total:.2f} s | {'-' if extra is None else f'{extra:.2f} s'} | "
              f"{status} |" for label, total, extra, status in rows]
    text = "\n".join(table) + "\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    worst = max(extra for label, _, extra, _ in rows if extra is not None and "cached" in label)
    met = worst < OVERHEAD_MARK
    print(f"cached replay outside the command: {worst:.2f} s "
          f"({'met' if met else 'MISSED'}: < {OVERHEAD_MARK:g} s)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
