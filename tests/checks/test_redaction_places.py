"""SEC-07: a redaction stands only where the schemas allow it, and never turns invalid valid."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rexport import validate
from rexport.canonical import export_digest
from rexport.checks.secret_patterns import REDACTED
from rexport.findings import pointer
from rexport.pack.errors import PackError
from rexport.pack.redact import redact
from rexport.schema.redactable import parse_pointer, pattern_text, patterns, redactable

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = [ROOT / "examples" / name for name in ("minimal", "full", "classifier")]
AWS = "AKIA" + "Q3ZT7N2XK5VR8WJM"


def test_spec_table_is_the_schemas_marks() -> None:
    text = (ROOT / "spec" / "v1" / "secrets.md").read_text(encoding="utf-8")
    section = text[text.index("**[SEC-07]**"):]
    listed = re.findall(r"^\| `(/[^`]*)` \|$", section, flags=re.MULTILINE)
    assert listed == [pattern_text(p) for p in patterns()]
    assert "/config/hyperparameters" in listed


@pytest.mark.parametrize(("where", "allowed"), [
    ("/config/hyperparameters/db/password", True), ("/config/hyperparameters", True),
    ("/code/vcs/repository", True), ("/narrative/limitations/0", True),
    ("/files/0/x-note", True), ("/x-lab/anything/0", True), ("/annotations/reviews/0/text", True),
    ("/files/0/digests/sha256", False), ("/files/0/digests", False), ("/files/0/size", False),
    ("/files/0/path", False), ("/files/0/role", False), ("/export_digest", False),
    ("/rex_version", False), ("/code/vcs/commit", False), ("/config", False), ("", False),
    ("/data/splits/0/name", False), ("/results/metrics/0/name", False),
    ("/redactions/0/pointer", False), ("/config/seeds/python", False),
])
def test_redactable_members(where: str, allowed: bool) -> None:
    tokens = parse_pointer(where)
    assert tokens is not None
    assert redactable(tokens) is allowed


def _leaves(value: Any, at: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = [at] if at else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += _leaves(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _leaves(item, (*at, index))
    return out


def _set(manifest: Any, tokens: tuple[str | int, ...], value: Any) -> None:
    for token in tokens[:-1]:
        manifest = manifest[token]
    manifest[tokens[-1]] = value


def _write(root: Path, manifest: dict[str, Any]) -> None:
    manifest["export_digest"] = export_digest(manifest)
    (root / "rex.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_redaction_never_turns_invalid_into_valid(example: Path, data: st.DataObject) -> None:
    original = json.loads((example / "rex.json").read_text(encoding="utf-8"))
    files = original["files"]
    target = data.draw(st.integers(0, len(files) - 1), label="changed file")
    own = [("files", target, *t) for t in _leaves(files[target])]
    members = [t for t in _leaves(original) if t[0] not in ("redactions", "annotations")]
    chosen = data.draw(st.lists(st.one_of(st.sampled_from(own), st.sampled_from(members)),
                                min_size=1, max_size=3, unique=True), label="redacted")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "export"
        shutil.copytree(example, root)
        changed = root / files[target]["path"]
        payload = bytearray(changed.read_bytes() or b"\0")
        payload[0] ^= 0x01
        changed.write_bytes(bytes(payload))
        _write(root, json.loads(json.dumps(original)))
        assert not validate(root).valid  # tampered, re-sealed, nothing redacted
        manifest = json.loads(json.dumps(original))
        redactions = manifest.setdefault("redactions", [])
        for tokens in sorted(chosen, key=len, reverse=True):
            _set(manifest, tokens, REDACTED)
            redactions.append({"pointer": pointer(*tokens), "reason": "user-request"})
        _write(root, manifest)
        assert not validate(root).valid, chosen


def test_the_packer_never_redacts_a_verified_member() -> None:
    sections = {"code": {"vcs": {"type": "git", "commit": "a" * 40,
                                 "repository": f"https://x:{AWS}@example.org/r.git"}},
                "config": {"hyperparameters": {"key_id": AWS}, "seeds": {"api_token": 3}}}
    cleaned, found = redact(sections)
    assert sorted(r.pointer for r in found) == ["/code/vcs/repository",
                                               "/config/hyperparameters/key_id"]
    assert cleaned["config"]["seeds"] == {"api_token": 3}  # a seed is never redacted
    with pytest.raises(PackError, match="/data/splits/0/path"):
        redact({"data": {"splits": [{"name": "train", "dataset": "d",
                                     "path": f"data/{AWS}.idx"}]}})
