"""--jobs defaults to the processors this process may use: affinity, lowered by a cgroup quota."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rexport import jobs
from rexport.jobs import cgroup_cpu_quota, default_jobs


def _cgroups(tmp_path: Path, proc: str, files: dict[str, str]) -> tuple[str, str]:
    (tmp_path / "cgroup").write_text(proc, encoding="utf-8")
    mount = tmp_path / "fs"
    for name, text in files.items():
        target = mount / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="ascii")
    return str(tmp_path / "cgroup"), str(mount)


def test_v2_quota_of_the_process_cgroup(tmp_path: Path) -> None:
    proc, mount = _cgroups(tmp_path, "0::/user.slice/job\n",
                           {"user.slice/job/cpu.max": "150000 100000\n"})
    assert cgroup_cpu_quota(proc, mount) == 1.5


def test_v2_the_smallest_quota_along_the_path_wins(tmp_path: Path) -> None:
    proc, mount = _cgroups(tmp_path, "0::/a/b\n", {"a/cpu.max": "100000 100000\n",
                                                   "a/b/cpu.max": "max 100000\n"})
    assert cgroup_cpu_quota(proc, mount) == 1.0


def test_v2_container_with_its_cgroup_mounted_at_the_root(tmp_path: Path) -> None:
    # /proc names the host's path; the container sees its own cgroup at the mount point
    proc, mount = _cgroups(tmp_path, "0::/docker/abc\n", {"cpu.max": "300000 100000\n"})
    assert cgroup_cpu_quota(proc, mount) == 3.0


def test_v1_cfs_quota(tmp_path: Path) -> None:
    proc, mount = _cgroups(tmp_path, "4:memory:/x\n2:cpu,cpuacct:/job\n", {
        "cpu,cpuacct/job/cpu.cfs_quota_us": "50000\n",
        "cpu,cpuacct/job/cpu.cfs_period_us": "100000\n"})
    assert cgroup_cpu_quota(proc, mount) == 0.5


@pytest.mark.parametrize("files", [
    {"cpu.max": "max 100000\n"},
    {"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"},
    {"cpu.max": "garbage\n"},
    {"cpu.max": "100 0\n"},
    {},
])
def test_no_quota(tmp_path: Path, files: dict[str, str]) -> None:
    proc, mount = _cgroups(tmp_path, "1:cpu:/\n0::/\n", files)
    assert cgroup_cpu_quota(proc, mount) is None


def test_no_cgroups_at_all(tmp_path: Path) -> None:
    assert cgroup_cpu_quota(str(tmp_path / "absent"), str(tmp_path)) is None


def test_default_is_the_affinity_lowered_by_the_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(jobs, "cgroup_cpu_quota", lambda: None)
    assert default_jobs() == 4
    monkeypatch.setattr(jobs, "cgroup_cpu_quota", lambda: 1.5)
    assert default_jobs() == 2  # a part of a CPU still runs a worker
    monkeypatch.setattr(jobs, "cgroup_cpu_quota", lambda: 0.0)
    assert default_jobs() == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3}, raising=False)
    monkeypatch.setattr(jobs, "cgroup_cpu_quota", lambda: 8.0)
    assert default_jobs() == 1


def test_the_machine_this_runs_on() -> None:
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
        else os.cpu_count()
    assert 1 <= default_jobs() <= (expected or 1)
