"""Replay an export: validate, unpack, rebuild its environment, run it, compare its metrics.

Exit codes: 0 every compared metric is within tolerance (reproduced); 1 at least one is not
(not reproduced, the metric is named); 2 the replay could not run: invalid export, nothing to run
or compare, unpack or install failure, command failed or timed out, no metrics written.

A metric passes when d = |got - expected| is within either bound given by its tolerance:
d <= absolute, or d <= relative * |expected|; with no tolerance the values must be equal.
The command runs without a shell, in its own process group (all of it killed at the timeout),
with only these variables: PATH (venv first), HOME and TMPDIR (fresh folders), LANG=C.UTF-8,
VIRTUAL_ENV, PYTHONHASHSEED=0, REX_SEED_<NAME> per recorded seed, REX_SEEDS (JSON), and then
``replay.environment``, which may override any of them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rexport import canonical
from rexport.diff.compare import Difference, diff_environment
from rexport.json_values import get, obj
from rexport.limits import MAX_BYTES, MAX_FILES
from rexport.pack import probe
from rexport.paths import path_problems
from rexport.replay import env, envcache, metrics, reap, run
from rexport.sources import ManifestError, read_manifest
from rexport.sources.unpack import UnpackError, unpack

EXIT_REPRODUCED, EXIT_NOT_REPRODUCED, EXIT_NOT_RUN = 0, 1, 2
DEFAULT_TIMEOUT = 3600.0


@dataclass
class Options:
    """How to replay: the work folder (kept when given), timeout, interpreter, venv isolation,
    and what pip may use: the lockfile's own index options, the caller's pip settings."""

    workdir: Path | None = None
    timeout: float | None = None
    python: str | None = None
    reuse_site_packages: bool = False
    keep: bool = False
    cache: bool = True  # environments kept between replays (rexport.replay.envcache)
    installer: str = "auto"  # uv when installed, else pip
    allow_export_index: bool = False
    pip_env: bool = False


@dataclass
class Plan:
    """Everything replay will do, known before anything is written or run."""

    export: str
    manifest: dict[str, Any]
    manifest_bytes: bytes
    command: list[str]
    working_directory: str
    timeout: float
    metrics_file: str
    declared_env: dict[str, str]
    lockfiles: list[str]
    skipped_lockfiles: list[str]
    python: str
    checks: list[metrics.Check]
    site_packages: bool = False
    cache: bool = True
    installer: str = "auto"
    allow_export_index: bool = False
    pip_env: bool = False

    def describe(self) -> list[str]:
        """What will run, one line each, for the confirmation prompt."""
        lines = [f"export:       {self.export}",
                 f"interpreter:  {self.python}" + (" (with its site-packages)"
                                                   if self.site_packages else " (isolated venv)")]
        tool = "pip" if self.installer == "pip" or not shutil.which("uv") else "uv pip"
        lines += [f"install:      {tool} install -r {p}" for p in self.lockfiles]
        if self.lockfiles:
            lines.append(f"{tool} uses:".ljust(14) + ("your settings, proxies and netrc"
                                                  if self.pip_env else "none of your settings")
                         + (", and the indexes the lockfile names" if self.allow_export_index
                            else ""))
        lines += [f"not installed (format not supported): {p}" for p in self.skipped_lockfiles]
        if not self.lockfiles:
            lines.append("install:      nothing (no pip-requirements lockfile)")
        lines += [f"run:          {' '.join(_quote(a) for a in self.command)}",
                  f"in:           {self.working_directory} (of the unpacked export)",
                  f"timeout:      {self.timeout:g} s",
                  f"metrics from: {self.metrics_file} (in that folder)"]
        lines += [f"variable:     {k}={v}" for k, v in sorted(self.declared_env.items())]
        return lines


def _quote(arg: str) -> str:
    return arg if arg and all(c.isalnum() or c in "-_./=:,+@%" for c in arg) else repr(arg)


@dataclass
class ReplayReport:
    """The verdict of one replay and everything that explains it."""

    export: str
    exit_code: int
    reason: str
    stage: str  # validate, plan, unpack, environment, run, metrics, compare
    outcomes: list[metrics.Outcome] = field(default_factory=list)
    drift: list[Difference] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    command: list[str] = field(default_factory=list)
    returncode: int | None = None
    seconds: float | None = None
    total_seconds: float | None = None
    tail: list[str] = field(default_factory=list)
    workdir: str | None = None
    package: str | None = None  # the requirement pip could not get, when that stopped it
    notes: list[str] = field(default_factory=list)
    environment_cache: str | None = None  # hit, miss or off (envcache.Provided.status)

    @property
    def status(self) -> str:
        return {EXIT_REPRODUCED: "reproduced",
                EXIT_NOT_REPRODUCED: "not-reproduced"}.get(self.exit_code, "not-run")

    def to_json(self) -> dict[str, Any]:
        return {"export": self.export, "status": self.status, "exit_code": self.exit_code,
                "reason": self.reason, "stage": self.stage,
                "metrics": [o.to_json() for o in self.outcomes],
                "drift": [d.to_json() for d in self.drift], "findings": self.findings,
                "command": self.command, "returncode": self.returncode,
                "wall_seconds": self.seconds, "total_seconds": self.total_seconds,
                "output_tail": self.tail, "workdir": self.workdir, "package": self.package,
                "notes": self.notes, "environment_cache": self.environment_cache}


class ReplayStop(Exception):
    """Replay cannot go on: the stage it stopped at and why (extra: findings, tail, package)."""

    def __init__(self, stage: str, reason: str, **extra: Any) -> None:
        super().__init__(reason)
        self.stage, self.reason, self.extra = stage, reason, extra


def _read_manifest(path: str | os.PathLike[str]) -> tuple[dict[str, Any], bytes]:
    try:
        return read_manifest(path, max_files=MAX_FILES, max_bytes=MAX_BYTES)
    except ManifestError as exc:
        raise ReplayStop("validate", f"unreadable export: {exc}",
                         findings=[{"code": exc.code}]) from None


def _safe_relpath(value: Any, what: str, *, allow_root: bool = False) -> str:
    if allow_root and value in (None, ".", ""):
        return "."
    if not isinstance(value, str) or path_problems(value):
        raise ReplayStop("plan", f"replay.{what} is not a safe relative path: {value!r}")
    return value


def prepare(path: str | os.PathLike[str], options: Options) -> Plan:
    """Validate the export and build the replay plan; raise ReplayStop if it must not run."""
    from rexport.validation import validate

    report = validate(path)
    if not report.valid or report.unreadable:
        raise ReplayStop("validate", "the export is not valid: nothing was run",
                         findings=[f.to_json() for f in report.errors])
    if report.container == "manifest":
        raise ReplayStop("validate", "a bare rex.json cannot be replayed: give the whole export")
    manifest, data = _read_manifest(path)
    # the manifest read here is the one validated (same digest), or the export changed meanwhile
    digest = canonical.export_digest(manifest)
    if digest != manifest.get("export_digest") or (report.export_digest not in (None, digest)):
        raise ReplayStop("validate", "the export changed while it was read: nothing was run")
    replay = manifest.get("replay")
    if not isinstance(replay, dict):
        raise ReplayStop("plan", "the export declares no replay section: nothing to run")
    argv = replay.get("command")
    if (not isinstance(argv, list) or not argv
            or not all(isinstance(a, str) and a and "\0" not in a for a in argv)):
        raise ReplayStop("plan", "replay.command must be a non-empty list of strings")
    if not isinstance(replay.get("metrics_file"), str):
        raise ReplayStop("plan", "replay.metrics_file is missing: nothing to compare")
    declared = obj(replay.get("environment"))
    bad = [k for k, v in declared.items() if not isinstance(v, str) or "\0" in k + v or "=" in k]
    if bad:
        raise ReplayStop("plan", f"replay.environment.{bad[0]} must be a string")
    checks = metrics.checks(manifest)
    if not checks:
        raise ReplayStop("plan", "no metric to compare: results.metrics is empty")
    timeout = options.timeout or replay.get("timeout_seconds") or DEFAULT_TIMEOUT
    used, skipped = env.pip_lockfiles(manifest)
    try:
        python = env.find_python(options.python)
    except env.SetupError as exc:
        raise ReplayStop("plan", str(exc)) from None
    return Plan(str(path), manifest, data, list(argv),
                _safe_relpath(replay.get("working_directory"), "working_directory",
                              allow_root=True),
                float(timeout), _safe_relpath(replay["metrics_file"], "metrics_file"),
                dict(declared), used, skipped, python, checks, options.reuse_site_packages,
                options.cache, options.installer, options.allow_export_index,
                options.pip_env)


def _workdir(options: Options) -> tuple[Path, bool]:
    """A fresh, empty work folder, and whether to keep it afterwards."""
    if options.workdir is None:
        return Path(tempfile.mkdtemp(prefix="rexport-replay-")), options.keep
    wd = options.workdir.absolute()  # commands run in other folders: no relative path
    if wd.is_symlink() or (wd.exists() and (not wd.is_dir() or any(wd.iterdir()))):
        raise ReplayStop("unpack", f"--workdir must be a new or empty folder: {wd}")
    wd.mkdir(parents=True, exist_ok=True)
    return wd, True


def _environment(plan: Plan, wd: Path, root: Path, report: ReplayReport
                 ) -> envcache.Provided:
    """The venv of the lockfiles, built or reused from the cache; set the report's drift."""
    report.notes += [f"lockfile not installed (format not supported): {p}"
                     for p in plan.skipped_lockfiles]
    try:
        locks = [env.inspect_lockfile(root / p, p, allow_sources=plan.allow_export_index)
                 for p in plan.lockfiles]
        needed = [(lock, wd / f"lockfile-{number}.txt")
                  for number, lock in enumerate((lk for lk in locks if lk.requirements), 1)]
        (wd / "pip-home").mkdir()
        provided = envcache.provide(plan.python, needed, site_packages=plan.site_packages,
                                    workdir=wd, cache=plan.cache, home=wd / "pip-home",
                                    caller_settings=plan.pip_env, installer=plan.installer)
    except env.SetupError as exc:
        raise ReplayStop("environment", str(exc), tail=exc.tail, package=exc.package) from None
    except OSError as exc:
        raise ReplayStop("environment", f"cannot read the lockfile: {exc}") from None
    report.environment_cache = provided.status
    report.notes += [provided.note] if provided.note else []
    # Python, OS, packages and hardware as seen from inside the venv that runs the command
    with reap.reaped():  # the venv may hold packages that start processes on import
        found = probe.probe(provided.venv.python, env=provided.venv.env)
    if found:
        recorded = {"environment": plan.manifest.get("environment")}
        report.drift = diff_environment(recorded, {"environment": found}, only_recorded=True)
    else:
        report.notes.append("the replay environment could not be described: no drift report")
    return provided


def _unpack(plan: Plan, root: Path) -> None:
    root.mkdir()
    try:
        unpack(plan.export, plan.manifest, plan.manifest_bytes, root,
               max_files=MAX_FILES, max_bytes=MAX_BYTES)
    except UnpackError as exc:
        shutil.rmtree(root, ignore_errors=True)  # nothing of a refused export stays behind
        raise ReplayStop("unpack", f"refused: {exc}" + (f" ({exc.code})" if exc.code else ""),
                         findings=[{"code": exc.code, "file": exc.path}]) from None


def _run(plan: Plan, wd: Path, root: Path, venv: env.Venv, report: ReplayReport) -> Path:
    """Run the command; return the folder it ran in. Raise ReplayStop if it did not succeed."""
    cwd = root.joinpath(*[p for p in plan.working_directory.split("/") if p != "."])
    if not cwd.is_dir():
        raise ReplayStop("run", f"working directory not in the export: {plan.working_directory}")
    for sub in ("home", "tmp"):
        (wd / sub).mkdir()
    child_env = run.command_environment(
        venv_root=venv.root, venv_bin=venv.python.parent, home=wd / "home", tmp=wd / "tmp",
        seeds=get(plan.manifest, "config", "seeds"), declared=plan.declared_env)
    argv = list(plan.command)
    exe = shutil.which(argv[0], path=child_env["PATH"])
    if exe is not None and os.sep not in argv[0] and "/" not in argv[0]:
        argv[0] = exe  # the venv's own python, never one found on the caller's PATH
    result = run.run_command(argv, cwd=cwd, env=child_env, timeout=plan.timeout,
                             log=wd / "output.log")
    report.returncode, report.seconds, report.tail = (result.returncode, result.seconds,
                                                      result.tail)
    if result.timed_out:
        raise ReplayStop("run", f"the command timed out after {plan.timeout:g} s")
    if result.returncode != 0:
        raise ReplayStop("run", f"the command failed with exit status {result.returncode}")
    return cwd


def _compare(plan: Plan, cwd: Path, report: ReplayReport) -> None:
    report.stage = "metrics"
    try:
        by_split, by_name = metrics.read_metrics(cwd, plan.metrics_file)
    except metrics.MetricsError as exc:
        raise ReplayStop("metrics", str(exc)) from None
    report.stage = "compare"
    report.outcomes = metrics.judge(plan.checks, by_split, by_name)
    failed = [o.check.label for o in report.outcomes if not o.passed]
    report.exit_code = EXIT_NOT_REPRODUCED if failed else EXIT_REPRODUCED
    report.reason = (f"outside tolerance: {', '.join(failed)}" if failed
                     else f"{len(report.outcomes)} metric(s) within tolerance")


def execute(plan: Plan, options: Options) -> ReplayReport:
    """Run the plan: unpack, build the venv, run the command, compare. Never raises."""
    start = time.monotonic()
    report = ReplayReport(plan.export, EXIT_NOT_RUN, "", "unpack", command=plan.command)
    wd: Path | None = None
    keep = True
    try:
        wd, keep = _workdir(options)
        _unpack(plan, wd / "export")
        report.stage = "environment"
        provided = _environment(plan, wd, wd / "export", report)
        report.stage = "run"
        try:
            cwd = _run(plan, wd, wd / "export", provided.venv, report)
        finally:
            note = envcache.release(provided)
            report.notes += [note] if note else []
        _compare(plan, cwd, report)
    except ReplayStop as stop:
        report.stage, report.reason = stop.stage, stop.reason
        report.findings = stop.extra.get("findings", [])
        report.package = stop.extra.get("package")
        report.tail = report.tail or list(stop.extra.get("tail", []))
    except OSError as exc:  # the work folder itself failed (disk full, permissions)
        report.reason = f"{report.stage} failed: {exc}"
    finally:
        report.total_seconds = time.monotonic() - start
        if wd is not None and not keep:
            shutil.rmtree(wd, ignore_errors=True)
        report.workdir = str(wd) if wd is not None and keep else None
    return report


def refused(path: str | os.PathLike[str], stop: ReplayStop) -> ReplayReport:
    """The report of a replay stopped before anything ran."""
    return ReplayReport(str(path), EXIT_NOT_RUN, stop.reason, stop.stage,
                        findings=stop.extra.get("findings", []))


def replay(path: str | os.PathLike[str], options: Options | None = None) -> ReplayReport:
    """Validate, plan and run in one call (no confirmation: the caller has decided)."""
    options = options or Options()
    try:
        plan = prepare(path, options)
    except ReplayStop as stop:
        return refused(path, stop)
    return execute(plan, options)
