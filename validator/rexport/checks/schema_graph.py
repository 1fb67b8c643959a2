"""How much work an experiment's JSON Schema can make, judged before it is applied (CFG-05)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from rexport.findings import escape_pointer_token

# Within these, evaluating the schema in this process is certainly cheap (a fraction of a
# second, tens of megabytes at worst, an error holding a copy of the data it compared);
# beyond them, or when the work cannot be bounded beforehand (recursion, references
# that cannot be resolved here), it is evaluated in a child process with a deadline.
WORK_BUDGET = 500_000  # (schema paths weighted by their keyword data) x (instance size)
PATTERN_BUDGET = 1_000_000  # what compiling every pattern may cost, see _pattern_cost
MAX_DEPTH = 128  # subschemas within subschemas, or nested values: the engine recurses on both
_CHARS_PER_UNIT = 16  # this many characters of a string count as one unit

# subschemas applied to the same instance, and subschemas applied to its members or items
_SAME_ONE = ("not", "if", "then", "else")
_SAME_LISTS = ("allOf", "anyOf", "oneOf")
_SAME_MAPS = ("dependentSchemas", "dependencies")
_DOWN_ONE = ("additionalProperties", "propertyNames", "additionalItems", "contains",
             "unevaluatedItems", "unevaluatedProperties", "items")
_DOWN_LISTS = ("prefixItems", "items")
_DOWN_MAPS = ("properties", "patternProperties")
_REFS = ("$ref", "$dynamicRef", "$recursiveRef")
_QUANTIFIER = re.compile(r"\{\s*([0-9]+)\s*(?:,\s*([0-9]*)\s*)?\}")

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Plan:
    """What the schema may cost: ``cycle`` is the pointer of a reference that loops back to
    the same instance without ever descending into it (the schema is unusable); ``bounded``
    says the evaluation is cheap enough to run in this process."""

    cycle: str | None
    bounded: bool


class _Unbounded(Exception):
    """The work cannot be bounded beforehand."""


def plan(schema: Any, instance: Any) -> Plan:
    """The Plan for applying ``schema`` (a parsed JSON Schema) to ``instance``."""
    try:
        graph = _Graph(schema)
        cycle = graph.same_instance_cycle()
        if cycle is not None:
            return Plan(cycle, bounded=False)
        work = graph.weighted_paths() * _size(instance, WORK_BUDGET)
        patterns = sum(_pattern_cost(p) for p in graph.patterns)
        return Plan(None, bounded=work <= WORK_BUDGET and patterns <= PATTERN_BUDGET)
    except _Unbounded:
        return Plan(None, bounded=False)


class _Graph:
    """The schema's subschemas as nodes, with the edges an evaluation follows."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.nodes: dict[int, tuple[Any, Path]] = {}
        self.edges: dict[int, list[tuple[int, bool, Path]]] = {}  # (target, descends, where)
        self.patterns: list[str] = []
        self._collect()

    def _collect(self) -> None:
        stack: list[tuple[Any, Path]] = [(self.root, ())]
        while stack:
            node, at = stack.pop()
            if id(node) in self.nodes:
                continue
            self.nodes[id(node)] = (node, at)
            out: list[tuple[int, bool, Path]] = []
            if isinstance(node, dict):
                if at and ("$id" in node or ("id" in node and isinstance(node["id"], str))):
                    raise _Unbounded  # an embedded resource: its "#..." refs resolve elsewhere
                for child, descends, where in _children(node, at):
                    if isinstance(child, (dict, bool)):
                        out.append((id(child), descends, where))
                        stack.append((child, where))
                for keyword in _REFS:
                    if keyword in node:
                        target = self._resolve(node[keyword])
                        out.append((id(target), False, (*at, keyword)))
                        stack.append((target, _pointer_path(node[keyword])))
                if isinstance(node.get("pattern"), str):
                    self.patterns.append(node["pattern"])
                if isinstance(node.get("patternProperties"), dict):
                    self.patterns.extend(node["patternProperties"])
            self.edges[id(node)] = out

    def _resolve(self, ref: Any) -> Any:
        if not isinstance(ref, str) or not (ref == "#" or ref.startswith("#/")):
            raise _Unbounded  # anchors and dynamic references are resolved by the engine
        node = self.root
        for token in _pointer_path(ref):
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and isinstance(token, str) and token.isdigit() \
                    and int(token) < len(node):
                node = node[int(token)]
            else:
                raise _Unbounded  # the engine reports the unresolvable reference
        if not isinstance(node, (dict, bool)):
            raise _Unbounded
        return node

    def same_instance_cycle(self) -> str | None:
        """The pointer of a reference on a cycle of edges that never descend, if any."""
        state: dict[int, int] = {}  # 1: on the path being walked, 2: done
        for start in self.nodes:
            if start in state:
                continue
            stack = [(start, iter(self.edges[start]))]
            state[start] = 1
            while stack:
                node, todo = stack[-1]
                step = next((e for e in todo if not e[1]), None)
                if step is None:
                    state[node] = 2
                    stack.pop()
                    continue
                target, _, where = step
                if state.get(target) == 1:
                    return "".join("/" + escape_pointer_token(t) for t in where)
                if target not in state:
                    state[target] = 1
                    stack.append((target, iter(self.edges[target])))
        return None

    def weighted_paths(self) -> int:
        """Paths from the root to each node, weighted by the node's keyword data; raise
        _Unbounded for recursion (a cycle through a descending edge)."""
        total: dict[int, int] = {}
        depth: dict[int, int] = {}
        state: dict[int, int] = {}
        root = id(self.root)
        stack = [(root, iter(self.edges[root]))]
        state[root] = 1
        while stack:
            node, todo = stack[-1]
            step = next(todo, None)
            if step is not None:
                target = step[0]
                if state.get(target) == 1:
                    raise _Unbounded
                if target not in state:
                    state[target] = 1
                    stack.append((target, iter(self.edges[target])))
                continue
            value = _weight(self.nodes[node][0]) + sum(total[t] for t, _, _ in self.edges[node])
            total[node] = min(value, WORK_BUDGET + 1)
            depth[node] = 1 + max((depth[t] for t, _, _ in self.edges[node]), default=0)
            if depth[node] > MAX_DEPTH:
                raise _Unbounded
            state[node] = 2
            stack.pop()
        return total[root]


def _children(node: dict[str, Any], at: Path) -> Iterator[tuple[Any, bool, Path]]:
    for keyword in _SAME_ONE:
        if keyword in node:
            yield node[keyword], False, (*at, keyword)
    for keyword in _DOWN_ONE:
        if keyword in node and not isinstance(node[keyword], list):
            yield node[keyword], True, (*at, keyword)
    for keywords, descends in ((_SAME_LISTS, False), (_DOWN_LISTS, True)):
        for keyword in keywords:
            if isinstance(node.get(keyword), list):
                for index, child in enumerate(node[keyword]):
                    yield child, descends, (*at, keyword, index)
    for keywords, descends in ((_SAME_MAPS, False), (_DOWN_MAPS, True)):
        for keyword in keywords:
            if isinstance(node.get(keyword), dict):
                for name, child in node[keyword].items():
                    yield child, descends, (*at, keyword, name)


def _pointer_path(ref: str) -> Path:
    return tuple(unquote(t).replace("~1", "/").replace("~0", "~") for t in ref[2:].split("/")) \
        if ref.startswith("#/") else ()


def _weight(node: Any) -> int:
    """The cost of one node's keywords on one instance: 1, plus the data they compare."""
    if not isinstance(node, dict):
        return 1
    weight = 1
    for keyword in ("enum", "const", "required", "dependentRequired"):
        if keyword in node:
            weight += _size(node[keyword], WORK_BUDGET)
    return weight


def _size(value: Any, cap: int) -> int:
    """JSON nodes in ``value``, plus its string characters in units; at most ``cap`` + 1.
    Raise _Unbounded for a value nested deeper than MAX_DEPTH."""
    count = 0
    stack = [(value, 1)]
    while stack and count <= cap:
        item, level = stack.pop()
        count += 1
        if isinstance(item, str):
            count += len(item) // _CHARS_PER_UNIT
        elif isinstance(item, (dict, list)):
            if level > MAX_DEPTH:
                raise _Unbounded
            if isinstance(item, dict):
                count += sum(len(k) for k in item) // _CHARS_PER_UNIT
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict)
                                                  else item))
    return count


def _pattern_cost(pattern: str) -> int:
    """An upper bound on what compiling ``pattern`` costs: its length times every counted
    repetition in it (a{1000} compiles to a thousand copies of a)."""
    cost = max(1, len(pattern))
    for low, high in _QUANTIFIER.findall(pattern):
        cost *= max(int(low[:12]), int(high[:12] or 0), 1)
        if cost > PATTERN_BUDGET:
            break
    return cost
