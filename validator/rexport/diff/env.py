"""The environment section of a diff: Python, OS, hardware, packages, variables, lockfiles."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from rexport.checks.secret_patterns import REDACTED
from rexport.diff.base import Difference, compare, fields, file_digest, index_digests, keyed, same
from rexport.findings import pointer
from rexport.json_values import as_list, get

# Installer tools that every fresh virtual environment brings: their presence says nothing about
# the experiment, so `only_recorded` comparisons (replay drift) skip them unless recorded.
BOOTSTRAP_PACKAGES: frozenset[str] = frozenset({"pip", "setuptools", "wheel", "distribute"})

_ENV_FIELDS: tuple[tuple[str, ...], ...] = (
    ("environment", "python", "implementation"), ("environment", "python", "version"),
    ("environment", "os", "name"), ("environment", "os", "version"),
    ("environment", "os", "distribution"), ("environment", "architecture"),
    ("environment", "compiler", "name"), ("environment", "compiler", "version"),
    ("environment", "hardware", "cpu", "model"), ("environment", "hardware", "cpu", "count"),
    ("environment", "hardware", "memory_bytes"),
)
# What a machine cannot tell about itself: compared between two recorded runs only.
_RECORD_FIELDS: tuple[tuple[str, ...], ...] = (
    ("environment", "container", "image"), ("environment", "container", "digest"),
)


def normalize_name(name: str) -> str:
    """A distribution name in its PEP 503 normal form."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _packages(manifest: Mapping[str, Any]) -> dict[str, tuple[int, Any]]:
    out: dict[str, tuple[int, Any]] = {}
    for n, pkg in enumerate(as_list(get(manifest, "environment", "packages"))):
        if isinstance(pkg, dict) and isinstance(pkg.get("name"), str):
            out.setdefault(normalize_name(pkg["name"]), (n, pkg.get("version")))
    return out


def _gpus(manifest: Mapping[str, Any]) -> list[str] | None:
    gpus = get(manifest, "environment", "hardware", "gpus")
    if not isinstance(gpus, list):
        return None
    return [" ".join(str(g.get(k)) for k in ("model", "driver", "cuda") if g.get(k) is not None)
            for g in gpus if isinstance(g, dict)]


def diff_environment(a: Mapping[str, Any], b: Mapping[str, Any], *,
                     only_recorded: bool = False, extra_packages: bool = True
                     ) -> list[Difference]:
    """Python, OS, architecture, container, compiler, hardware, packages (by normalised name).

    With ``only_recorded``, B describes a machine rather than a recorded run: only what A
    records is compared (a field A leaves out cannot have drifted), and installer tools B has
    but A does not record are left out. ``extra_packages`` False leaves out every package
    B has and A does not record.
    """
    out = list(fields("environment", a, b, _ENV_FIELDS, only_recorded=only_recorded))
    ga, gb = _gpus(a), _gpus(b)
    if ga is not None or not only_recorded:
        # a probe leaves gpus out when it finds none: recorded GPUs are then "removed"
        out += compare("environment", "hardware.gpus", ga, gb,
                       pointer("environment", "hardware", "gpus"))
    if not only_recorded:
        out += fields("environment", a, b, _RECORD_FIELDS)
    pa, pb = _packages(a), _packages(b)
    for name in sorted(pa.keys() | pb.keys()):
        what = f"package {name}"
        if name not in pb:
            out.append(Difference("environment", what, "removed", pa[name][1], None,
                                  pointer("environment", "packages", pa[name][0]), None))
        elif name not in pa:
            if not extra_packages or (only_recorded and name in BOOTSTRAP_PACKAGES):
                continue
            out.append(Difference("environment", what, "added", None, pb[name][1],
                                  None, pointer("environment", "packages", pb[name][0])))
        elif not same(pa[name][1], pb[name][1]):
            out.append(Difference("environment", what, "changed", pa[name][1], pb[name][1],
                                  pointer("environment", "packages", pa[name][0]),
                                  pointer("environment", "packages", pb[name][0])))
    if not only_recorded:
        out += _variables(a, b)
        if not any(d.what.startswith("package ") for d in out):
            out += _lockfiles(a, b)
    return out


def _variables(a: Mapping[str, Any], b: Mapping[str, Any]) -> Iterator[Difference]:
    va, vb = (keyed(get(m, "environment", "variables"), "name") for m in (a, b))
    for name in sorted(va.keys() | vb.keys()):
        xa, xb = _variable_value(va, name), _variable_value(vb, name)
        for d in compare("environment", f"variable {name}", xa, xb, ""):
            yield Difference(d.section, d.what, d.change, d.a, d.b,
                             None if name not in va
                             else pointer("environment", "variables", va[name][0]),
                             None if name not in vb
                             else pointer("environment", "variables", vb[name][0]))


def _variable_value(variables: Mapping[str, tuple[int, dict[str, Any]]], name: str) -> Any:
    if name not in variables:
        return None
    entry = variables[name][1]
    # a redacted variable compares as the marker: its value is not in the manifest anyway
    return REDACTED if entry.get("redacted") else entry.get("value")


def _lockfiles(a: Mapping[str, Any], b: Mapping[str, Any]) -> Iterator[Difference]:
    # a lockfile's digest is reported only when the package lists show nothing: its content is
    # what the packages record, and saying the same difference twice lengthens the answer
    ia, ib = index_digests(a), index_digests(b)
    la = {e.get("path"): n for n, e in enumerate(as_list(get(a, "environment", "lockfiles")))
          if isinstance(e, dict)}
    lb = {e.get("path"): n for n, e in enumerate(as_list(get(b, "environment", "lockfiles")))
          if isinstance(e, dict)}
    for path in sorted(p for p in la.keys() | lb.keys() if isinstance(p, str)):
        yield from compare("environment", f"lockfile {path}",
                            file_digest(ia, path) if path in la else None,
                            file_digest(ib, path) if path in lb else None,
                            pointer("environment", "lockfiles", la.get(path, lb.get(path, 0))))
