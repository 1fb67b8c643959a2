"""The benchmark cases: each rexport command beside the tool or the floor it is measured against."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import fixtures
import remote_cases
from harness import ROOT, Case, Command
from rexport.jobs import default_jobs

BUNDLE = ROOT / "schemas" / "v1" / "rex.bundle.schema.json"
FLOOR = Path(__file__).resolve().parent / "floor_jsonschema_rs.py"
PY = shlex.quote(sys.executable)

SMALL_WHY = ("what stands between it and 0.8x: about 10 us of Python a file in the workers "
             "(open, fstat, read, hash, close and a line of text: the floor of such a loop in "
             "Python, where sha256sum spends some 20 us a file on one core) and some 0.15 s of "
             "manifest checks for 20,000 entries (strict parse, schema, digest, credentials, "
             "path rules) in the main process, beside them")
PACK_DIR_WHY = ("beyond hashing, which openssl alone does: the copy and the search of every "
                "byte for a private key block (each 128 MiB on one core: read 0.025 s, SHA-256 "
                "0.08 s, the search 0.02 s in the C library's memmem, which leaves the "
                "interpreter lock to the other thread, the write 0.035 s: some 0.32 s of CPU "
                "for the two, hashed on both cores at once), and start-up, which no thread "
                "shares: an interpreter, imports and the run's record, some 0.09 s before the "
                "first byte is hashed. The installed packages (listed from sys.path's folders), "
                "the environment's redaction and the self-check's compiling (some 0.05 s of "
                "CPU) are done while the files are hashed. Run to run the pack varies more than "
                "openssl here (0.30 to 0.45 s): the goal needs less work, as on a file system "
                "with reflinks (btrfs, xfs), which spare the copy")
MANIFEST_WHY = ("beyond the floor (parse and schema): keys given twice and the depth found "
                "while parsing (some 60 ms), the index read as columns (some 65 ms), the "
                "references and redaction markers (some 45 ms), start-up (some 60 ms more "
                "imports and schemas) and forking a process of 130 MiB (some 30 ms); the path "
                "rules, credential patterns and export digest run beside, in the forked helper "
                "(some 130 ms of the second core, which a busy machine does not always have)")

INVALID_WHY = ("beyond the valid manifest's work: the manifest read again and each error "
               "placed on its line and column, the entries before /files/99999 passed over "
               "by string search and checked by counts (some 50 ms; json's scanner an entry "
               "took 0.1 s)")


def rexport(args: str) -> str:
    return f"{PY} -m rexport {args}"


def build_cases(work: Path, quick: bool, only: str = "") -> list[Case]:
    """The cases whose name holds ``only``, their fixtures built (or reused) under ``work``;
    smaller ones for ``quick``."""
    groups = {("large", "large-jobs1", "large-tar-vs-dir"): _large,
              ("small", "small-vs-bagit", "small-targz-vs-gzip"): _small,
              ("small-targz-vs-gzip-fast-inflater", "s3-large", "s3-small"): _remote,
              ("manifest-100k", "manifest-100k-invalid"): _manifest,
              ("minimal", "minimal-vs-floor", "pre-commit batch"): _startup,
              ("pack-targz-vs-tar-czf", "pack-dir-vs-hash-limit"): _pack}
    cases = []
    for names, build in groups.items():
        if any(only in name for name in names):
            cases += [c for c in build(work, quick) if only in c.name]
    return cases


def _large(work: Path, quick: bool) -> list[Case]:
    jobs = default_jobs()
    count, size = (4, 64 << 20) if quick else (4, 512 << 20)
    large = fixtures.large_files(work / f"large-{count}x{size >> 20}", count, size)
    parts = " ".join(f"data/part-{i}.bin" for i in range(count))
    tar = fixtures.tar_of(large, work / f"{large.name}.tar", compress=False)
    return [
        Case(f"large ({count} x {size >> 20} MiB)",
             Command("`validate`", rexport(f"validate -q {large}")),
             Command(f"`xargs -P{jobs} openssl dgst -sha256` (the {jobs}-process limit)",
                     f"ls data/*.bin | xargs -P{jobs} -n1 openssl dgst -sha256 > /dev/null",
                     large),
             1.05, memory_mib=64, quick_mark=1.8,
             why="beyond the hashing: start-up (interpreter, imports, the manifest's "
                 "checks), some 70 ms; the files are hashed by threads, two at once"),
        Case("large-jobs1",
             Command("`validate --jobs 1`", rexport(f"validate -q --jobs 1 {large}")),
             Command("sequential `openssl dgst -sha256`",
                     f"for f in {parts}; do openssl dgst -sha256 $f; done > /dev/null", large),
             1.15, memory_mib=64, quick_mark=1.7),
        Case("large-tar-vs-dir",
             Command("`validate` on the `.tar`", rexport(f"validate -q {tar}")),
             Command("`validate --jobs 1` on the directory",
                     rexport(f"validate -q --jobs 1 {large}")),
             1.2, memory_mib=64),
    ]


def _small(work: Path, quick: bool) -> list[Case]:
    count = 20000
    small = fixtures.small_files(work / f"small-{count}", count)
    sums = fixtures.sha256sum_list(small, work / f"small-{count}.sha256")
    bag = fixtures.bag_of(small, work / f"small-{count}-bag")
    tgz = fixtures.tar_of(small, work / f"small-{count}.tar.gz", compress=True)
    return [
        Case("small (20,000 x 1-8 KiB)",
             Command("`validate`", rexport(f"validate -q {small}")),
             Command("`sha256sum -c`", f"sha256sum -c --quiet {sums}", small),
             1.0, memory_mib=64, why=SMALL_WHY, quick_mark=1.3),
        Case("small-vs-bagit",
             Command("`validate`", rexport(f"validate -q {small}")),
             Command("`bagit.py --validate --processes 2`",
                     f"{PY} -m bagit --validate --processes 2 {bag} 2> /dev/null"),
             -5.0, memory_mib=64, quick_mark=-4.0),
        Case("small-targz-vs-gzip",
             Command("`validate` on the `.tar.gz`", rexport(f"validate -q {tgz}")),
             Command("`gzip -dc`", f"gzip -dc {tgz} > /dev/null"),
             1.3, memory_mib=100, quick_mark=2.2,
             why="the inflater runs in a helper process (ISA-L where installed); the rest is "
                 "the tar headers and per-member Python"),
    ]


def _remote(work: Path, quick: bool) -> list[Case]:
    """The scale work's rows (benchmarks/remote_cases.py): the .tar.gz against its goal with
    the fast inflater, and exports read over s3:// from a local store against rclone cat."""
    count, size = (4, 64 << 20) if quick else (4, 512 << 20)
    large = fixtures.large_files(work / f"large-{count}x{size >> 20}", count, size)
    tar = fixtures.tar_of(large, work / f"{large.name}.tar", compress=False)
    small = fixtures.small_files(work / "small-20000", 20000)
    tgz = fixtures.tar_of(small, work / "small-20000.tar.gz", compress=True)
    return [remote_cases.inflater_case(tgz, case=Case, command=Command, rexport_cmd=rexport),
            *remote_cases.remote_cases(work, {tar.name: tar, tgz.name: tgz}, case=Case,
                                       command=Command, rexport_cmd=rexport)]


def _manifest(work: Path, quick: bool) -> list[Case]:
    count = 100000
    big = work / f"manifest-{count}" / "rex.json"
    if not big.exists():
        fixtures.big_manifest(big, count)
    bad = work / f"manifest-{count}-invalid" / "rex.json"
    broken = fixtures.big_manifest(bad, count, invalid=True)
    invalid = Case(
        "manifest-100k-invalid",
        Command("`validate -o json rex.json`", rexport(f"validate -q -o json {bad}")),
        Command("jsonschema-rs alone (the floor)", f"{PY} {FLOOR} {BUNDLE} {bad}"),
        2.0, memory_mib=150, expect_code=1, quick_mark=2.4, why=INVALID_WHY)
    invalid.facts.append(f"errors at {', '.join(broken)}")
    return [
        Case("manifest-100k (bare rex.json)",
             Command("`validate rex.json`", rexport(f"validate -q {big}")),
             Command("jsonschema-rs alone (the floor)", f"{PY} {FLOOR} {BUNDLE} {big}"),
             2.0, memory_mib=150, quick_mark=2.4, why=MANIFEST_WHY),
        invalid,
    ]


def _startup(work: Path, quick: bool) -> list[Case]:
    minimal = ROOT / "examples" / "minimal"
    batch = fixtures.many_exports(work / "precommit-50", 50)
    every = " ".join(str(p) for p in batch)
    five = "; ".join(rexport(f"validate -q {p}") for p in batch[:5])
    return [
        Case("minimal (pre-commit's case)",
             Command("`validate examples/minimal`", rexport(f"validate -q {minimal}")),
             Command("`check-jsonschema --schemafile` (bundle)",
                     f"check-jsonschema --schemafile {BUNDLE} {minimal / 'rex.json'}"),
             0.25),
        Case("minimal-vs-floor",
             Command("`validate examples/minimal`", rexport(f"validate -q {minimal}")),
             Command("jsonschema-rs alone (the floor)",
                     f"{PY} {FLOOR} {BUNDLE} {minimal / 'rex.json'}"),
             0.0, why="start-up beside the floor of any Python validator: an interpreter, "
                      "jsonschema-rs and the compiled schema"),
        Case("pre-commit batch",
             Command("`validate` on 50 small exports at once", rexport(f"validate -q {every}")),
             Command("5 separate `validate` calls", five),
             1.0),
    ]


def _pack_args(tree: Path) -> str:
    return (f"pack --no-git --code {tree / 'code'} --data {tree / 'data'} "
            f"--metrics {tree / 'metrics.json'} --seed python=0 --no-progress -q")


def _pack(work: Path, quick: bool) -> list[Case]:
    # the same 256 MiB for a directory, quick or not (it takes a second); compressing is
    # slow, so --quick compresses 32 MiB
    full = fixtures.pack_tree(work / "pack-tree-256", 256 << 20)
    size = (32 << 20) if quick else (256 << 20)
    tree = fixtures.pack_tree(work / f"pack-tree-{size >> 20}", size)
    packed, tgz, out = work / "packed.tar.gz", work / "tar-czf.tgz", work / "packed-dir"
    return [
        Case(f"pack-targz-vs-tar-czf ({size >> 20} MiB)",
             Command("`pack -o x.tar.gz`", rexport(f"{_pack_args(tree)} -o {packed}"),
                     prepare=f"rm -f {packed}"),
             Command("`tar -czf`", f"tar -C {tree} -czf {tgz} .", prepare=f"rm -f {tgz}"),
             1.0, memory_mib=64),
        Case("pack-dir-vs-hash-limit (256 MiB)",
             Command("`pack -o dir` (copy + hash)", rexport(f"{_pack_args(full)} -o {out}"),
                     prepare=f"rm -rf {out}"),
             Command("`openssl dgst -sha256` (hash only)",
                     f"openssl dgst -sha256 {full / 'data'}/* > /dev/null"),
             1.5, memory_mib=64, quick_mark=2.6, why=PACK_DIR_WHY),
    ]


def same_errors(case: Case) -> None:
    """rexport and the floor must find exactly the broken entries of the invalid manifest."""
    ours = json.loads(case.ours.runs[-1].out)
    found = sorted({f["pointer"] for f in ours["findings"] if f["severity"] == "error"})
    theirs = json.loads(case.reference.runs[-1].out)
    if found != theirs:
        case.problems.append(f"rexport found {found}, jsonschema-rs {theirs}")
    else:
        case.facts.append("both found exactly these")
