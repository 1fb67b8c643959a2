"""EXP-08 on every member holding a path; EXP-10's later twin in a tree is by UTF-8 bytes."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from rexport.checks.safety import PATH_MEMBERS, check_member_paths
from rexport.json_values import select
from rexport.paths import TwinFinder

ROOT = Path(__file__).resolve().parents[2]


def _spec_members() -> set[str]:
    text = (ROOT / "spec" / "v1" / "export.md").read_text(encoding="utf-8")
    table = text[text.index("| `files[].path` |"):]
    table = table[:table.index("\n\n")]
    return set(re.findall(r"`([a-z_]+(?:\[\])?(?:\.[a-z_]+(?:\[\])?)+)`", table))


def test_every_member_of_the_spec_table_is_checked() -> None:
    checked = {".".join(t if t != "*" else "[]" for t in m).replace(".[]", "[]")
               for m in PATH_MEMBERS}
    assert _spec_members() == checked | {"files[].path"}


def test_each_member_gets_every_rule_at_its_pointer() -> None:
    for member in PATH_MEMBERS:
        manifest: dict[str, object] = {}
        holder = manifest
        tokens = [t if t != "*" else 0 for t in member]
        for token, after in itertools.pairwise(tokens):
            child: object = [] if isinstance(after, int) else {}
            if isinstance(holder, list):
                holder.append(child)
            else:
                holder[token] = child  # type: ignore[index]
            holder = child  # type: ignore[assignment]
        bad = "C:/a\\..\\aux ."
        if isinstance(holder, list):
            holder.append(bad)
        else:
            holder[tokens[-1]] = bad  # type: ignore[index]
        where = "/" + "/".join(map(str, tokens))
        found = {(f.code, f.pointer) for f in check_member_paths(manifest)}
        assert found == {(c, where) for c in ("REX-X101", "REX-X103", "REX-X104", "REX-X111")}
        assert [v for _, v in select(manifest, member)] == [bad]


def test_working_directory_dot_is_the_root() -> None:
    assert check_member_paths({"replay": {"working_directory": "."}}) == []
    assert check_member_paths({"code": {"snapshot": {"root": "code/"}}}) == []


def test_the_later_twin_in_a_tree_does_not_depend_on_order() -> None:
    names = ["rex.json", "REX.json", "Rex.json", "code/a.py"]
    results = set()
    for order in itertools.permutations(names):
        finder = TwinFinder(by_bytes=True)
        results.add(frozenset(hit[1] for n in order if (hit := finder.meet(n)) is not None))
    assert results == {frozenset({"rex.json", "Rex.json"})}
