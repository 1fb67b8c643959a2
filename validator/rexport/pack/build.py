"""Turn a capture's Record into members and a manifest, check both, and write the export."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rexport.checks.secret_patterns import is_secret_name
from rexport.pack.clock import rfc3339
from rexport.pack.errors import PackError, SecretsFound
from rexport.pack.hashing import Hashed, hash_members
from rexport.pack.members import Member
from rexport.pack.record import Record
from rexport.pack.redact import (
    MIN_KNOWN_SECRET,
    Redaction,
    known_values,
    redact,
    scrub,
    secret_reason,
)
from rexport.pack.writers import DirectoryOutput, atomic_output, format_for, write_export

DIFF_PATH = "vcs/uncommitted.diff"
REPRODUCE_PATH = "environment/reproduce.sh"


@dataclass
class Written:
    """What :meth:`Capture.write` produced: where, in which format, and its export digest."""

    path: Path
    format: str
    export_digest: str
    manifest: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)  # what a reviewer would like added


class _Members(dict[str, Member]):
    def add(self, member: Member) -> str:
        if member.path in self:
            raise PackError(f"two files would both be stored at {member.path!r}")
        self[member.path] = member
        return member.path


def environment_secrets(environ: Mapping[str, str]) -> dict[bytes, str]:
    """Values of secret-named variables of this process: none may turn up in an export."""
    return {value.encode("utf-8", "surrogateescape"): f"holds the value of ${name}"
            for name, value in environ.items()
            if len(value) >= MIN_KNOWN_SECRET + 2 and is_secret_name(name)}


def _code(cap: Record, members: _Members, known: dict[bytes, str]) -> dict[str, Any]:
    section: dict[str, Any] = {}
    if cap.snapshot:
        section["snapshot"] = {"root": "code/"}
    if cap.git is not None:
        vcs: dict[str, Any] = {"type": "git", "commit": cap.git.commit, "dirty": cap.git.dirty}
        for key in ("repository", "branch", "tag"):
            value = getattr(cap.git, key)
            if value:
                vcs[key] = value
        if cap.git.url_had_credentials:
            cap.warnings.append("user and password were removed from the git remote's URL")
        if cap.git.diff:
            vcs["diff"] = members.add(Member(DIFF_PATH, "code", scrub(cap.git.diff, known)))
        section["vcs"] = vcs
    if not section:
        raise PackError("no code was recorded: give a code directory or work in a git checkout")
    if cap.entry_points:
        section["entry_points"] = cap.entry_points
    return section


def _variable(entry: dict[str, Any]) -> dict[str, Any]:
    name, value = entry["name"], entry["value"]
    reason = "secret-name" if is_secret_name(name) else secret_reason(value)
    if reason is None:
        return {"name": name, "value": value}
    return {"name": name, "redacted": True, "reason": reason}


def _environment(cap: Record, members: _Members, want_hashes: bool) -> dict[str, Any]:
    from rexport.pack import lockfiles, reproduce  # here: _write runs this while hashing

    section = dict(cap.environment.section)
    if "variables" in section:
        section["variables"] = [_variable(v) for v in section["variables"]]
    needs_rexport = lockfiles.imports_rexport(cap.snapshot)
    entries, warnings, advice = lockfiles.section_lockfiles(
        section, cap.environment.lockfiles, snapshot=cap.snapshot, add=members.add,
        needs_rexport=needs_rexport, want_hashes=want_hashes)
    cap.warnings += warnings
    cap.advice += advice
    if entries:
        section["lockfiles"] = entries
    if cap.env_options.reproduce:
        python = section.get("python", {}).get("version")
        script = reproduce.script([(lk["path"], lk["format"]) for lk in entries], python)
        members.add(Member(REPRODUCE_PATH, "environment", script, executable=True))
        section["reproduce"] = {"path": REPRODUCE_PATH}
    return section


def _with_digests(entry: dict[str, Any], path: str, hashed: Mapping[str, Hashed]) -> None:
    entry["size"] = hashed[path].size
    entry["digests"] = {"sha256": hashed[path].digests["sha256"]}


def _data(cap: Record, hashed: Mapping[str, Hashed]) -> dict[str, Any]:
    datasets = []
    for entry in cap.datasets.values():
        entry = dict(entry)
        paths = entry.get("embedded", {}).get("paths", [])
        if len(paths) == 1:
            _with_digests(entry, paths[0], hashed)
        elif paths:
            entry["size"] = sum(hashed[p].size for p in paths)
        datasets.append(entry)
    splits = []
    for split in cap.splits:
        split = dict(split)
        if "path" in split:
            split["digests"] = {"sha256": hashed[split["path"]].digests["sha256"]}
        splits.append(split)
    return {key: value for key, value in (("datasets", datasets), ("splits", splits)) if value}


def _config(cap: Record) -> dict[str, Any]:
    section = dict(cap.config_section)
    if cap.seed_values:
        section["seeds"] = dict(cap.seed_values)
    elif "nondeterminism" not in section:
        cap.warnings.append("no seeds were recorded, so the run is recorded as non-deterministic: "
                            "--seed NAME=INT or Capture.seeds(), or a seed or random_state "
                            "key in the config")
        section["nondeterminism"] = {"reason": "no random seeds were recorded for this run"}
    if cap.splits and "splits" not in section:
        section["splits"] = [s["name"] for s in cap.splits]
    return section


def _results(cap: Record) -> dict[str, Any]:
    section = {key: value for key, value in (("metrics", cap.metrics),
                                             ("artifacts", cap.artifacts)) if value}
    if not section:
        raise PackError("no results were recorded: record at least one metric or artifact")
    return section


class _PathRules:
    """REX's path rules over the members' names, checked as members are added (the
    environment's files come while the others are hashed)."""

    def __init__(self) -> None:
        from rexport.paths import MANIFEST, TwinFinder

        self._twins = TwinFinder()
        self._twins.add(MANIFEST)
        self._checked: set[str] = set()

    def check(self, names: Iterable[str]) -> None:
        """PackError when a name not checked before breaks a rule or collides with another."""
        from rexport.paths import display, path_problems

        new = [name for name in names if name not in self._checked]
        self._checked.update(new)
        problems = [f"{display(name)!r}: {message}" for name in new
                    for _, message in path_problems(name)]
        # folders count too: a file `B` and a file `b/0` collide where case is folded
        folders = sorted({name[:i] for name in new for i, c in enumerate(name) if c == "/"})
        problems += [f"{display(name)!r} collides with {display(hit[1])!r}"
                     for name in [*new, *folders] if (hit := self._twins.add(name))]
        if problems:
            raise PackError("some files cannot be stored under REX's path rules: "
                            + "; ".join(problems[:10]))


def _secrets(hashed: Mapping[str, Hashed], allow: bool, warnings: list[str]) -> None:
    hits = [(path, reason) for path, h in hashed.items() for reason in h.secrets]
    if hits and not allow:
        raise SecretsFound(hits)
    warnings += [f"{path} holds a credential ({reason}), embedded as allowed"
                 for path, reason in sorted(hits)]


def write(cap: Record, out: Path, *, fmt: str | None, jobs: int | None, progress: bool,
          allow_secrets: bool, overwrite: bool, ro_crate: bool = False,
          hashes: bool = False) -> Written:
    """Assemble, hash, check and write the export of ``cap``; see Capture.write.

    A directory is written while its members are hashed, each read once; an archive, whose
    rex.json comes first, once the manifest is made.
    """
    container = format_for(out, fmt)
    cap.keep_code_as_it_was()
    step = functools.partial(_write, cap, out, container, jobs=jobs, progress=progress,
                             allow_secrets=allow_secrets, overwrite=overwrite, ro_crate=ro_crate,
                             hashes=hashes)
    if container != "dir":
        return step(None)
    with atomic_output(out, is_dir=True, overwrite=overwrite) as tmp:
        return step(DirectoryOutput(tmp, cap.epoch))


def _write(cap: Record, out: Path, container: str, tree: DirectoryOutput | None, *,
           jobs: int | None, progress: bool, allow_secrets: bool, overwrite: bool,
           ro_crate: bool, hashes: bool) -> Written:
    redactions: list[Redaction] = list(cap.config_redactions)
    known = {**environment_secrets(os.environ), **known_values(redactions)}
    members = _Members()
    target = out.resolve()
    for local, member in cap.snapshot.items():
        if local != target and target not in local.parents:  # never pack a previous OUT
            members.add(member)
    sections: dict[str, Any] = {"title": cap.title, "description": cap.description,
                                "code": _code(cap, members, known)}
    for member in cap.embedded.values():
        members.add(member)
    for path, data in cap.overrides.items():
        members[path] = replace(members[path], source=data)
    rules = _PathRules()
    rules.check(members)
    output = None
    if tree is not None:
        tree.prepare(members.values())
        output = tree.file
    first = list(members.values())

    def meanwhile() -> None:
        # the environment and its files (lockfiles, requirements.txt, reproduce.sh) are made
        # while the other files are hashed: the installed packages are read now, when
        # packages_later left them
        cap.environment.settle()
        # redacted here too: its package list is most of what the redaction walks
        environment, found = redact(_environment(cap, members, hashes), ("environment",))
        sections["environment"] = environment
        redactions.extend(found)
        rules.check(members)
        if tree is not None:
            tree.prepare(members.values())
        from rexport.pack.manifest import prepare_self_check

        prepare_self_check()

    hashed = hash_members(first, cap.digests, jobs=jobs, progress=progress, known_secrets=known,
                          output=output, meanwhile=meanwhile)
    late = [member for path, member in members.items() if path not in hashed]
    hashed.update(hash_members(late, cap.digests, jobs=1, progress=False, known_secrets=known,
                               output=output))
    _secrets(hashed, allow_secrets, cap.warnings)
    from rexport.pack.manifest import assemble, self_check, to_bytes  # imported meanwhile
    sections.update(data=_data(cap, hashed), lineage={"steps": cap.steps} if cap.steps else None,
                    config=_config(cap), results=_results(cap), replay=cap.replay_section,
                    narrative=cap.narrative_section, governance=cap.governance_section)
    rest, found = redact({k: v for k, v in sections.items() if k != "environment"})
    sections = {k: v if k == "environment" else rest[k] for k, v in sections.items()}
    redactions += found
    sections["redactions"] = [r.entry() for r in sorted(redactions, key=lambda r: r.pointer)]
    manifest = assemble(sections, list(members.values()), hashed, rfc3339(cap.epoch),
                        producer=cap.producer)
    if ro_crate:
        # the crate describes the export as the manifest does, so it is made from a draft of
        # the manifest; the manifest is then sealed again, indexing the crate
        from rexport.pack.rocrate import CRATE, MEDIA_TYPE, crate_bytes

        members.add(Member(CRATE, "other", crate_bytes(manifest), MEDIA_TYPE))
        hashed = {**hashed, **hash_members([members[CRATE]], cap.digests, jobs=1,
                                           progress=False, known_secrets=known, output=output)}
        manifest = assemble(sections, list(members.values()), hashed, rfc3339(cap.epoch),
                            producer=cap.producer)
    data = to_bytes(manifest)
    self_check(data)
    if tree is not None:
        tree.finish(data)
    else:
        write_export(out, container, data, list(members.values()), hashed, cap.epoch,
                     overwrite=overwrite, progress=progress)
    return Written(out, container, manifest["export_digest"], manifest, list(cap.warnings),
                   list(cap.advice))
