"""The references check: ids, lineage, splits, replay and path fields resolve inside the export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rexport.findings import Finding, pointer
from rexport.json_values import IndexColumns, Tokens, as_list, get, select

__all__ = ["check", "check_config_schema"]


# Fields that name one indexed file: (where, field): "*" walks each item of a list.
_FILE_FIELDS: tuple[tuple[Tokens, Tokens], ...] = (
    (("code", "vcs"), ("diff",)),
    (("code", "entry_points", "*"), ("path",)),
    (("data", "datasets", "*", "embedded", "paths", "*"), ()),
    (("data", "splits", "*"), ("path",)),
    (("environment", "lockfiles", "*"), ("path",)),
    (("environment", "reproduce"), ("path",)),
    (("config",), ("path",)),
    (("config",), ("hyperparameters_schema",)),
    (("results", "artifacts", "*"), ("path",)),
)


def check(manifest: Any, *, index: IndexColumns | None = None) -> list[Finding]:
    """Return R101-R105 and R108-R110 findings; any JSON value is accepted (schema errors are
    the schema check's to report, so values of the wrong type are skipped here). ``index``:
    the manifest's ``files`` as columns, when the caller has them."""
    if not isinstance(manifest, dict):
        return []
    paths = set(index.paths) if index is not None else {
        f["path"] for f in as_list(manifest.get("files"))
        if isinstance(f, dict) and isinstance(f.get("path"), str)}
    out: list[Finding] = []
    datasets = _unique(manifest, ("data", "datasets"), "id", "dataset id", out)
    splits = _unique(manifest, ("data", "splits"), "name", "split name", out)
    _unique(manifest, ("lineage", "steps"), "id", "step id", out)
    out.extend(_file_fields(manifest, paths))
    out.extend(_snapshot(manifest, paths))
    out.extend(_splits(manifest, datasets, splits))
    out.extend(_lineage(manifest, datasets, paths))
    out.extend(_replay(manifest, paths))
    if not isinstance(manifest.get("files"), list):
        # no index (REX-C104 or REX-S101 says so): nothing can be compared with it (IDX-02)
        return [f for f in out if not _needs_index(f)]
    return out


def _needs_index(finding: Finding) -> bool:
    """Whether ``finding`` says that a path is not among the indexed files."""
    return (finding.code in ("REX-R103", "REX-R109", "REX-R110")
            or (finding.code == "REX-R102" and finding.pointer.endswith("/file"))
            or finding.pointer == "/replay/working_directory")


def _unique(manifest: dict[str, Any], where: Tokens, key: str, what: str,
            out: list[Finding]) -> set[str]:
    seen: set[str] = set()
    for at, item in select(manifest, (*where, "*")):
        name = item.get(key) if isinstance(item, dict) else None
        if not isinstance(name, str):
            continue
        if name in seen:
            out.append(Finding.of("REX-R108", f"{what} {name!r} is used more than once",
                                  pointer=pointer(*at, key)))
        seen.add(name)
    return seen


def _file_fields(manifest: dict[str, Any], paths: set[str]) -> Iterator[Finding]:
    for where, field in _FILE_FIELDS:
        for at, value in select(manifest, (*where, *field)):
            if isinstance(value, str) and value not in paths:
                yield Finding.of("REX-R109", f"{value!r} is not a file listed in files",
                                 pointer=pointer(*at))


def _snapshot(manifest: dict[str, Any], paths: set[str]) -> Iterator[Finding]:
    root = get(manifest, "code", "snapshot", "root")
    if not isinstance(root, str):
        return
    prefix = root if root.endswith("/") or not root else root + "/"
    if not any(p.startswith(prefix) for p in paths):
        yield Finding.of("REX-R110", f"no listed file lies under {root!r}",
                         pointer="/code/snapshot/root")


def _splits(manifest: dict[str, Any], datasets: set[str], splits: set[str]) -> Iterator[Finding]:
    for at, split in select(manifest, ("data", "splits", "*")):
        dataset = split.get("dataset") if isinstance(split, dict) else None
        if isinstance(dataset, str) and dataset not in datasets:
            yield Finding.of("REX-R104", f"split names the unknown dataset {dataset!r}",
                             pointer=pointer(*at, "dataset"))
    for at, name in select(manifest, ("config", "splits", "*")):
        if isinstance(name, str) and name not in splits:
            yield Finding.of("REX-R104", f"config names the unknown split {name!r}",
                             pointer=pointer(*at))


def _lineage(manifest: dict[str, Any], datasets: set[str],
             paths: set[str]) -> Iterator[Finding]:
    steps = as_list(get(manifest, "lineage", "steps"))
    # artifacts are ("dataset", id) or ("file", path); each step's inputs and outputs
    uses: list[tuple[list[tuple[str, str]], list[tuple[str, str]]]] = []
    for n, step in enumerate(steps):
        if not isinstance(step, dict):
            uses.append(([], []))
            continue
        sides = []
        for side in ("inputs", "outputs"):
            refs: list[tuple[str, str]] = []
            for i, ref in enumerate(as_list(step.get(side))):
                if not isinstance(ref, dict):
                    continue
                for kind, known in (("dataset", datasets), ("file", paths)):
                    target = ref.get(kind)
                    if not isinstance(target, str):
                        continue
                    refs.append((kind, target))
                    if target not in known:
                        yield Finding.of(
                            "REX-R102", f"{side[:-1]} names the unknown {kind} {target!r}",
                            pointer=pointer("lineage", "steps", n, side, i, kind))
            sides.append(refs)
        uses.append((sides[0], sides[1]))
        code = get(step, "code", "path")
        if isinstance(code, str) and code not in paths:
            yield Finding.of("REX-R103", f"step code {code!r} is not a file listed in files",
                             pointer=pointer("lineage", "steps", n, "code", "path"))
    for cycle in _cycles(uses):
        names = [_step_name(steps[i], i) for i in cycle[:5]]
        more = f" and {len(cycle) - 5} more" if len(cycle) > 5 else ""
        yield Finding.of("REX-R101", f"steps {', '.join(names)}{more} depend on one another's "
                         "outputs", pointer=pointer("lineage", "steps", cycle[0]))


def _step_name(step: Any, index: int) -> str:
    name = step.get("id") if isinstance(step, dict) else None
    return repr(name) if isinstance(name, str) else f"#{index}"


def _cycles(uses: list[tuple[list[tuple[str, str]], list[tuple[str, str]]]]) -> list[list[int]]:
    """Return the steps of each cycle (strongly connected component), lowest index first.

    The graph is bipartite, step -> artifact it outputs -> step that inputs it, so that many
    producers and consumers of one artifact cost edges in proportion, not in product. A step
    that consumes its own output is a two-node component, so a self-loop is found like any cycle.
    """
    n_steps = len(uses)
    node_of: dict[tuple[str, str], int] = {}
    adjacency: list[list[int]] = [[] for _ in range(n_steps)]

    def artifact(ref: tuple[str, str]) -> int:
        if ref not in node_of:
            node_of[ref] = len(adjacency)
            adjacency.append([])
        return node_of[ref]

    for step, (inputs, outputs) in enumerate(uses):
        for ref in outputs:
            adjacency[step].append(artifact(ref))
        for ref in inputs:
            adjacency[artifact(ref)].append(step)
    components = _strongly_connected(adjacency)
    found = [sorted(v for v in comp if v < n_steps) for comp in components if len(comp) > 1]
    return sorted(found)


def _strongly_connected(adjacency: list[list[int]]) -> list[list[int]]:
    """Tarjan's algorithm with an explicit stack: 100,000 steps must not hit the recursion limit."""
    size = len(adjacency)
    index = [-1] * size
    low = [0] * size
    on_stack = [False] * size
    stack: list[int] = []
    components: list[list[int]] = []
    counter = 0
    for root in range(size):
        if index[root] != -1:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        work = [(root, 0)]
        while work:
            v, i = work[-1]
            edges = adjacency[v]
            if i < len(edges):
                work[-1] = (v, i + 1)
                w = edges[i]
                if index[w] == -1:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, 0))
                elif on_stack[w]:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    component.append(w)
                    if w == v:
                        break
                components.append(component)
    return components


def _replay(manifest: dict[str, Any], paths: set[str]) -> Iterator[Finding]:
    replay = manifest.get("replay")
    if not isinstance(replay, dict):
        return
    pairs: set[tuple[str, Any]] = set()
    for metric in as_list(get(manifest, "results", "metrics")):
        if isinstance(metric, dict) and isinstance(metric.get("name"), str):
            split = metric.get("split")
            pairs.add((metric["name"], split if isinstance(split, str) else None))
    names = {name for name, _ in pairs}
    for i, metric in enumerate(as_list(replay.get("metrics"))):
        if not isinstance(metric, dict) or not isinstance(metric.get("name"), str):
            continue
        name, split = metric["name"], metric.get("split")
        if name not in names:
            yield Finding.of("REX-R105", f"replay names the metric {name!r}, absent from "
                             "results.metrics", pointer=pointer("replay", "metrics", i, "name"))
        elif isinstance(split, str) and (name, split) not in pairs:
            yield Finding.of("REX-R105", f"results.metrics has no {name!r} for split {split!r}",
                             pointer=pointer("replay", "metrics", i, "split"))
    directory = replay.get("working_directory")
    if isinstance(directory, str) and directory != ".":
        prefix = directory.rstrip("/") + "/"
        if not any(p.startswith(prefix) for p in paths):
            yield Finding.of("REX-R105", f"working directory {directory!r} holds no listed file",
                             pointer="/replay/working_directory")


def check_config_schema(manifest: Any, schema_doc: Any, *, file: str) -> list[Finding]:
    """Apply the experiment's JSON Schema ``schema_doc`` (the file ``file``) to
    config.hyperparameters: R106 for each violation, R107 when the schema cannot be used.

    See rexport.checks.config_schema, imported here only when an export has such a schema.
    """
    from rexport.checks import config_schema

    return config_schema.check_config_schema(manifest, schema_doc, file=file)

