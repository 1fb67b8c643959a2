"""What differs between two exports' manifests: code, data, environment, config and results only.

Each difference names its section, a stable label (``vcs.commit``, ``package numpy``, a JSON
pointer such as ``/config/seeds/python``, ``metric accuracy (test)``) and both values. Creation
time, producer, export digest, annotations and file metadata are never compared, so the answer
to "why do these runs differ" stays short. A file's digest is reported only where the recorded
values it backs (packages for a lockfile, config values for the config file) show nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rexport.diff.base import Difference, compare, fields, file_digest, index_digests, keyed
from rexport.diff.env import diff_environment
from rexport.findings import pointer
from rexport.json_values import as_list, get, obj

SECTIONS: tuple[str, ...] = ("code", "data", "environment", "config", "results")

__all__ = ["SECTIONS", "Difference", "diff_code", "diff_config", "diff_data", "diff_environment",
           "diff_manifests", "diff_results"]


# --- code --------------------------------------------------------------------------------------

_VCS_FIELDS = tuple(("code", "vcs", f) for f in ("repository", "commit", "branch", "tag", "dirty"))


def diff_code(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[Difference]:
    """Commit, branch, tag, dirty flag, the uncommitted diff's digest, and snapshot file digests."""
    out = list(fields("code", a, b, _VCS_FIELDS))
    ia, ib = index_digests(a), index_digests(b)
    diff_a, diff_b = get(a, "code", "vcs", "diff"), get(b, "code", "vcs", "diff")
    out += compare("code", "uncommitted diff", file_digest(ia, diff_a), file_digest(ib, diff_b),
                   pointer("code", "vcs", "diff"))
    snap_a, snap_b = _snapshot(a, ia), _snapshot(b, ib)
    for path in sorted(snap_a.keys() | snap_b.keys()):
        (na, da), (nb, db) = snap_a.get(path, (None, None)), snap_b.get(path, (None, None))
        pa = None if na is None else pointer("files", na)
        pb = None if nb is None else pointer("files", nb)
        if da is None:
            out.append(Difference("code", f"file {path}", "added", None, db, None, pb))
        elif db is None:
            out.append(Difference("code", f"file {path}", "removed", da, None, pa, None))
        elif da != db:
            out.append(Difference("code", f"file {path}", "changed", da, db, pa, pb))
    return out


def _snapshot(manifest: Mapping[str, Any], index: Mapping[str, tuple[int, str | None]]
              ) -> dict[str, tuple[int, str | None]]:
    root = get(manifest, "code", "snapshot", "root")
    if not isinstance(root, str) or not root:
        return {}
    # files another section speaks for (the uncommitted diff, the config file, lockfiles) are
    # reported there, even when they sit under the snapshot root
    elsewhere = {get(manifest, "code", "vcs", "diff"), get(manifest, "config", "path"),
                 get(manifest, "config", "hyperparameters_schema")}
    elsewhere |= {lf.get("path") for lf in as_list(get(manifest, "environment", "lockfiles"))
                  if isinstance(lf, dict)}
    return {p: v for p, v in index.items() if p.startswith(root) and p not in elsewhere}


# --- data --------------------------------------------------------------------------------------

def _dataset_print(ds: Mapping[str, Any], index: Mapping[str, tuple[int, str | None]]
                   ) -> dict[str, Any]:
    """What identifies a dataset's content: its digests, embedded files' digests, its reference."""
    fp: dict[str, Any] = {"sha256": get(ds, "digests", "sha256"), "size": ds.get("size")}
    for path in as_list(get(ds, "embedded", "paths")):
        fp[f"file {path}"] = file_digest(index, path)
    ref = obj(ds.get("reference"))
    for name, value in (("uri", ref.get("uri")), ("reference size", ref.get("size")),
                        ("reference sha256", get(ref, "digests", "sha256"))):
        fp[name] = value
    return fp


def diff_data(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[Difference]:
    """Datasets added or removed (by id) or whose content digests changed, and splits likewise."""
    out: list[Difference] = []
    ia, ib = index_digests(a), index_digests(b)
    for kind, items, key in (("dataset", "datasets", "id"), ("split", "splits", "name")):
        ka, kb = keyed(get(a, "data", items), key), keyed(get(b, "data", items), key)
        for name in sorted(ka.keys() | kb.keys()):
            what = f"{kind} {name}"
            if name not in kb:
                na, item = ka[name]
                out.append(Difference("data", what, "removed", item.get("name", name), None,
                                      pointer("data", items, na), None))
                continue
            if name not in ka:
                nb, item = kb[name]
                out.append(Difference("data", what, "added", None, item.get("name", name),
                                      None, pointer("data", items, nb)))
                continue
            (na, da), (nb, db) = ka[name], kb[name]
            if kind == "dataset":
                fa, fb = _dataset_print(da, ia), _dataset_print(db, ib)
            else:
                fa = {"sha256": file_digest(ia, da.get("path")), "size": da.get("size"),
                      "dataset": da.get("dataset"), "method": da.get("method")}
                fb = {"sha256": file_digest(ib, db.get("path")), "size": db.get("size"),
                      "dataset": db.get("dataset"), "method": db.get("method")}
            for field in sorted(fa.keys() | fb.keys()):
                for d in compare("data", f"{what} {field}", fa.get(field), fb.get(field), ""):
                    out.append(Difference("data", d.what, d.change, d.a, d.b,
                                          pointer("data", items, na), pointer("data", items, nb)))
    return out


# --- config ------------------------------------------------------------------------------------

_CONFIG_FILES = ("path", "hyperparameters_schema")


def deep_diff(section: str, a: Any, b: Any, tokens: tuple[str | int, ...]
              ) -> Iterator[Difference]:
    """Every leaf that differs between two JSON values, labelled by its JSON pointer."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys()):
            yield from deep_diff(section, a.get(key), b.get(key), (*tokens, key))
        return
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from deep_diff(section, x, y, (*tokens, n))
        return
    ptr = pointer(*tokens)
    yield from compare(section, ptr, a, b, ptr)


def diff_config(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[Difference]:
    """A deep diff of config (hyperparameters, seeds, ...), labelled with JSON pointers.

    The config file's digest is reported only when the recorded values show no difference.
    """
    ca, cb = obj(a.get("config")), obj(b.get("config"))
    values_a = {k: v for k, v in ca.items() if k not in _CONFIG_FILES}
    values_b = {k: v for k, v in cb.items() if k not in _CONFIG_FILES}
    out = list(deep_diff("config", values_a, values_b, ("config",)))
    if not out:
        ia, ib = index_digests(a), index_digests(b)
        for key in _CONFIG_FILES:
            out += compare("config", f"{key} file", file_digest(ia, ca.get(key)),
                            file_digest(ib, cb.get(key)), pointer("config", key))
    return out


# --- results -----------------------------------------------------------------------------------

def metric_label(name: Any, split: Any) -> str:
    return f"metric {name}" + (f" ({split})" if split is not None else "")


def _metrics(manifest: Mapping[str, Any]) -> dict[tuple[Any, ...], tuple[int, Any]]:
    out: dict[tuple[Any, ...], tuple[int, Any]] = {}
    for n, m in enumerate(as_list(get(manifest, "results", "metrics"))):
        if isinstance(m, dict) and isinstance(m.get("name"), str):
            key: tuple[Any, ...] = (m["name"], m.get("split"))
            if key in out:  # the same metric at several steps: keep them apart
                key = (*key, m.get("step"))
            out.setdefault(key, (n, m.get("value")))
    return out


def diff_results(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[Difference]:
    """Metrics added, removed or changed (with the delta b - a), keyed by name and split."""
    ma, mb = _metrics(a), _metrics(b)
    out: list[Difference] = []
    for key in sorted(ma.keys() | mb.keys(), key=repr):
        what = metric_label(key[0], key[1]) + (f" step {key[2]}" if len(key) > 2 else "")
        na, va = ma.get(key, (None, None))
        nb, vb = mb.get(key, (None, None))
        for d in compare("results", what, va, vb, ""):
            out.append(Difference(d.section, d.what, d.change, d.a, d.b,
                                  None if na is None else pointer("results", "metrics", na),
                                  None if nb is None else pointer("results", "metrics", nb)))
    return out


def diff_manifests(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[Difference]:
    """Every difference between two manifests, section by section (code, data, env, config,
    results); file mtimes, export digests, creation times and producers are never compared."""
    return [*diff_code(a, b), *diff_data(a, b), *diff_environment(a, b), *diff_config(a, b),
            *diff_results(a, b)]
