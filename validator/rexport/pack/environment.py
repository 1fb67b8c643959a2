"""Environment capture: OS, Python, distributions, lockfiles, hardware, compiler, variables."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sysconfig
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

# Lockfile names looked for at the top of the project, with the format recorded for each.
LOCKFILES: tuple[tuple[str, str], ...] = (
    (r"requirements[\w.-]*\.(?:txt|lock)", "pip-requirements"),
    (r"pylock(?:\.[\w-]+)?\.toml", "pylock"),
    (r"uv\.lock", "uv-lock"),
    (r"poetry\.lock", "poetry-lock"),
    (r"Pipfile\.lock", "pipenv-lock"),
    (r"pdm\.lock", "pdm-lock"),
    (r"conda-lock\.ya?ml", "conda-lock"),
    (r"(?:environment|conda)[\w.-]*\.ya?ml", "conda-environment"),
)

# Variables that change numerical results or their reproducibility; only these are recorded
# (values of secret-looking names are redacted even when asked for).
DEFAULT_VARIABLES: tuple[str, ...] = (
    "CUBLAS_WORKSPACE_CONFIG", "CUDA_VISIBLE_DEVICES", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "PYTHONHASHSEED", "TF_DETERMINISTIC_OPS",
    "TF_CUDNN_DETERMINISTIC", "VECLIB_MAXIMUM_THREADS",
)


@dataclass(frozen=True)
class EnvironmentOptions:
    """Which parts of the environment to record; each part can be switched off.

    ``packages`` says where the package list comes from: every installed distribution, the pins
    of the project's pip lockfile (machine-independent), or nowhere.
    """

    os: bool = True
    os_release: bool = True
    python: bool = True
    packages: Literal["installed", "lockfile", "none"] = "installed"
    lockfiles: bool = True
    hardware: bool = True
    gpus: bool = True
    compiler: bool = True
    variables: tuple[str, ...] = DEFAULT_VARIABLES
    reproduce: bool = True


_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*===?\s*([^\s;#\\]+)")
_HASH = re.compile(r"--hash[=\s]+(sha256:[0-9a-f]{64})")


def pinned_packages(text: str) -> list[dict[str, Any]]:
    """Parse ``name==version`` pins (with their ``--hash`` options) from a pip requirements file."""
    from rexport.pack.distributions import normalise  # not with the module: see capture()

    found: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    for line in text.splitlines():
        match = _PIN.match(line)
        if match:
            current = {"name": match[1], "version": match[2]}
            found[normalise(match[1])] = current
        if current is not None:
            hashes = _HASH.findall(line)
            if hashes:
                current.setdefault("hashes", []).extend(hashes)
        if not line.rstrip().endswith("\\"):
            current = None
    return sorted(found.values(), key=lambda p: str(p["name"]))


def find_lockfiles(project_dir: Path) -> list[tuple[Path, str]]:
    """The lockfiles at the top of ``project_dir`` as (path, format), sorted by name."""
    if not project_dir.is_dir():
        return []
    found = []
    for entry in sorted(project_dir.iterdir(), key=lambda p: p.name):
        for pattern, kind in LOCKFILES:
            if entry.is_file() and not entry.is_symlink() and re.fullmatch(pattern, entry.name):
                found.append((entry, kind))
                break
    return found


def _os_release(path: Path = Path("/etc/os-release")) -> str | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(r'^PRETTY_NAME="?([^"\n]*)"?', text, re.MULTILINE)
    return match[1] if match else None


def os_section(release: bool) -> dict[str, Any]:
    """OS name, and when asked the kernel release and distribution."""
    out: dict[str, Any] = {"name": platform.system() or "unknown"}
    if release:
        if platform.release():
            out["version"] = platform.release()
        distribution = _os_release() if out["name"] == "Linux" else None
        if distribution:
            out["distribution"] = distribution
    return out


def python_section() -> dict[str, Any]:
    return {"implementation": platform.python_implementation(),
            "version": platform.python_version()}


def _cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str | None:
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or None
    match = re.search(r"^(?:model name|Hardware|Processor|cpu model)\s*:\s*(.+)$", text,
                      re.MULTILINE)
    return match[1].strip() if match else (platform.processor() or None)


def _memory_bytes(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    try:
        match = re.search(r"^MemTotal:\s+(\d+)\s*kB", meminfo.read_text(), re.MULTILINE)
    except OSError:
        match = None
    if match:
        return int(match[1]) * 1024
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def _run(args: list[str]) -> str | None:
    try:
        done = subprocess.run(args, capture_output=True, timeout=20, check=False,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else None


def gpus() -> list[dict[str, Any]]:
    """GPUs through nvidia-smi (model, driver, CUDA version, memory); empty without it."""
    # looked up first: starting a process only to learn that there is no such program costs
    # a fork of this one (some 8 ms of a pack's start, where most machines have no GPU)
    program = shutil.which("nvidia-smi")
    if program is None:
        return []
    listing = _run([program, "--query-gpu=name,driver_version,memory.total",
                    "--format=csv,noheader,nounits"])
    if not listing:
        return []
    banner = _run([program]) or ""
    cuda = re.search(r"CUDA Version:\s*([0-9.]+)", banner)
    found = []
    for line in listing.splitlines():
        fields = [part.strip() for part in line.split(",")]
        if len(fields) != 3 or not fields[0]:
            continue
        gpu: dict[str, Any] = {"model": fields[0], "driver": fields[1]}
        if cuda:
            gpu["cuda"] = cuda[1]
        if fields[2].isdigit():
            gpu["memory_bytes"] = int(fields[2]) * 1024 * 1024  # nvidia-smi reports MiB
        found.append(gpu)
    return found


def hardware_section(with_gpus: bool) -> dict[str, Any]:
    cpu: dict[str, Any] = {"count": os.cpu_count() or 1}
    model = _cpu_model()
    if model:
        cpu["model"] = model
    out: dict[str, Any] = {"cpu": cpu}
    memory = _memory_bytes()
    if memory:
        out["memory_bytes"] = memory
    found = gpus() if with_gpus else []
    if found:
        out["gpus"] = found
    return out


def compiler_section() -> dict[str, Any] | None:
    """The compiler that built this Python and the flags extensions are built with (sysconfig).

    Flags naming absolute local paths are left out: they would tie the export to one machine.
    """
    match = re.match(r"(GCC|Clang|MSC)\D*([0-9][\w.]*)", platform.python_compiler())
    if not match:
        return None
    out: dict[str, Any] = {"name": match[1].lower(), "version": match[2]}
    flags = str(sysconfig.get_config_var("CFLAGS") or "")
    kept = [flag for flag in flags.split() if "/" not in flag and "\\" not in flag]
    if kept:
        out["flags"] = " ".join(kept)
    return out


def variables(names: Iterable[str], environ: Mapping[str, str]) -> list[dict[str, Any]]:
    """The allowlisted variables that are set, sorted by name (redaction happens later)."""
    return [{"name": name, "value": environ[name]} for name in sorted(set(names))
            if name in environ]


@dataclass
class Captured:
    """The environment section as captured, and the lockfiles to embed with it; ``unread``,
    when set, reads the installed packages that capture left for later (see settle)."""

    section: dict[str, Any]
    lockfiles: list[tuple[Path, str]] = field(default_factory=list)
    unread: Callable[[], list[dict[str, Any]]] | None = None

    def settle(self) -> None:
        """Read into the section what capture left for later, if anything (once)."""
        if self.unread is not None:
            read, self.unread = self.unread, None
            self.section["packages"] = read()


def capture(options: EnvironmentOptions, project_dir: Path,
            environ: Mapping[str, str] | None = None, *,
            packages_later: bool = False) -> Captured:
    """Capture the environment now, part by part as ``options`` says; with
    ``packages_later``, all but the installed packages, read by Captured.settle.

    Variables are returned unredacted here; the builder redacts them before anything is
    recorded. OS name and architecture are always recorded: the spec requires them.
    """
    # not imported with this module: the probe runs it by path, in interpreters without rexport
    from rexport.pack import distributions

    env = os.environ if environ is None else environ
    section: dict[str, Any] = {"os": os_section(options.os and options.os_release),
                               "architecture": platform.machine() or "unknown"}
    if options.python:
        section["python"] = python_section()
    lockfiles = find_lockfiles(project_dir) if options.lockfiles else []
    unread = None
    if options.packages == "installed" and packages_later:
        unread = distributions.installed_packages
    elif options.packages == "installed":
        section["packages"] = distributions.installed_packages()
    elif options.packages == "lockfile":
        pip_locks = [path for path, kind in lockfiles if kind == "pip-requirements"]
        if pip_locks:
            section["packages"] = pinned_packages(pip_locks[0].read_text("utf-8", "replace"))
    if options.hardware:
        section["hardware"] = hardware_section(options.gpus)
    if options.compiler:
        compiler = compiler_section()
        if compiler:
            section["compiler"] = compiler
    found = variables(options.variables, env)
    if found:
        section["variables"] = found
    return Captured(section, lockfiles, unread)
