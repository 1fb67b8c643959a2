"""Cases of config.md, environment.md, narrative.md and replay.md."""

from __future__ import annotations

import hashlib
from typing import Any

from bases import full
from registry import Expect, case, dotted, shown
from rexgen import Export, gzip_bytes, tar_of

CONFIG = "config/config.yaml"

# --- the configuration file (CFG-02) ---------------------------------------------------------


def _config_file(name: str, description: str, code: str, text: bytes, *,
                 path: str = CONFIG, sections: tuple[str, ...] = ("CFG-02",),
                 pointer: str | None = None) -> None:
    @case("invalid", "config", name, description, list(sections),
          mutation=f"The full export with its config file replaced by {path} holding "
                   f"{shown(text)}; re-indexed and re-sealed.")
    def build(x: Expect) -> Export:
        e = full()
        del e.files[CONFIG]
        e.add(path, text, "application/yaml", "config")
        e.m["config"]["path"] = path
        x.find(code, pointer, file=path)
        return e.index().seal()


_config_file("yaml-syntax", "the YAML config does not parse", "REX-P201",
             b"model: [logistic\nC: 1.0\n")
_config_file("yaml-anchor", "the YAML config uses an anchor and an alias", "REX-P202",
             b"defaults: &defaults\n  max_iter: 200\nmodel:\n  base: *defaults\n  C: 1.0\n")
_config_file("yaml-merge-key", "the YAML config merges an alias", "REX-P202",
             b"defaults: &d {max_iter: 200}\nmodel:\n  <<: *d\n")
_config_file("yaml-tag", "the YAML config uses an explicit tag", "REX-P203",
             b'seed: !!int "0"\nC: 1.0\n')
_config_file("yaml-python-tag", "the YAML config asks for a Python object", "REX-P203",
             b"model: !!python/object/apply:os.system ['true']\n")
_config_file("yaml-duplicate-key", "the YAML config repeats a key", "REX-P204",
             b"C: 1.0\nmax_iter: 200\nC: 2.0\n")
_config_file("yaml-byte-order-mark", "the YAML config starts with a byte order mark", "REX-P102",
             b"\xef\xbb\xbfC: 1.0\n")
_config_file("yaml-not-utf8", "the YAML config is not UTF-8", "REX-P103",
             b"name: caf\xe9\nC: 1.0\n")
_config_file("yaml-too-deep", "the YAML config nests 70 levels", "REX-P106",
             b"deep: " + b"[" * 70 + b"]" * 70 + b"\n", sections=("CFG-02", "EXP-04"))
_config_file("yml-suffix-upper-case", "a .YML config is parsed as YAML", "REX-P202",
             b"a: &x 1\nb: *x\n", path="config/config.YML")
_config_file("json-duplicate-key", "a JSON config with a duplicate key", "REX-P104",
             b'{"C": 1.0, "C": 2.0}\n', path="config/config.json", sections=("CFG-02", "EXP-03"))
_config_file("json-syntax", "a JSON config that does not parse", "REX-P101",
             b'{"C": 1.0,}\n', path="config/config.json", sections=("CFG-02", "EXP-03"))
# exactly one document: none is as wrong as two, at the empty pointer (no node is concerned)
_config_file("yaml-empty", "an empty YAML config holds no document", "REX-P201", b"",
             pointer="", sections=("CFG-02", "VAL-06"))
_config_file("yaml-comments-only", "a YAML config of comments only holds no document",
             "REX-P201", b"# C: 1.0\n# max_iter: 200\n", pointer="", sections=("CFG-02",))


@case("invalid", "config", "yaml-finding-pointers", "each YAML finding points at its node in "
      "the document", ["CFG-02", "VAL-06"])
def _yaml_pointers(x: Expect) -> Export:
    """The full export with config/config.yaml rewritten with an anchor, a tag, an alias and a
    repeated key; re-indexed and re-sealed."""
    e = full()
    e.files[CONFIG] = (b"defaults: &d\n  max_iter: 200\nseed: !!int \"0\"\nmodel:\n"
                       b"  base: *d\n  C: 1.0\n  C: 2.0\n")
    x.find("REX-P202", "/defaults", CONFIG)  # the anchor, at the node that carries it
    x.find("REX-P203", "/seed", CONFIG)
    x.find("REX-P202", "/model/base", CONFIG)  # the alias, where it stands
    x.find("REX-P204", "/model/C", CONFIG)
    return e.index().seal()


@case("invalid", "config", "yaml-too-large", "a YAML config above 16 MiB", ["CFG-02", "EXP-04"])
def _too_large(x: Expect) -> dict[str, bytes]:
    """The full export as a tar.gz whose config/config.yaml grows past 16 MiB with comment lines;
    re-indexed and re-sealed."""
    e = full()
    # lines of varying content keep the gzip ratio far below the 1,000:1 bomb cap (EXP-04)
    lines = [b"# " + hashlib.sha256(b"%d" % n).hexdigest().encode() * 8 + b"\n"
             for n in range(32)]
    block = b"".join(lines) * 64
    text = b"C: 1.0\n" + block * ((16 << 20) // len(block) + 1)
    e.add(CONFIG, text, "application/yaml", "config")
    x.find("REX-P107", file=CONFIG)
    return {"export.tar.gz": gzip_bytes(tar_of(e.index().seal()))}


@case("valid", "config", "yaml-plain", "a YAML config of plain mappings, sequences and scalars",
      ["CFG-02"])
def _plain(x: Expect) -> Export:
    """The full export with config/config.yaml rewritten in plain mappings, sequences and scalars;
    re-indexed and re-sealed."""
    e = full()
    e.files[CONFIG] = (b"# comment\nmodel: logistic-regression\nC: 1.0\nlayers: [4, 8]\n"
                       b"seed: 0\nname: \"yes\"\nnested:\n  - {a: 1}\n  - b: two\n")
    return e.index().seal()


@case("valid", "config", "toml-not-parsed", "a TOML config is carried, not parsed", ["CFG-02"])
def _toml(x: Expect) -> Export:
    """The full export with its YAML config replaced by config/config.toml, which is no YAML, and
    config.path naming it; re-sealed."""
    e = full()
    del e.files[CONFIG]
    e.add("config/config.toml", b"[model]\nC = 1.0\nthis is not: yaml: [\n", "application/toml",
          "config")
    e.m["config"]["path"] = "config/config.toml"
    return e.index().seal()


# --- config members (CFG-01, CFG-03, CFG-04, CFG-05) ------------------------------------------


def _config(outcome: str, name: str, description: str, section: str, edit: dict[str, object],
            code: str | None = None, pointer: str | None = None, drop: tuple[str, ...] = (),
            also: tuple[str, str] | None = None) -> None:
    changes = [f"config.{key} removed" for key in drop]
    changes += [f"config.{key} set to {shown(value)}" for key, value in edit.items()]

    @case(outcome, "config", name, description, [section],
          mutation=f"The full export with {' and '.join(changes) or 'nothing changed'}; re-sealed.")
    def build(x: Expect) -> Export:
        e = full()
        for key in drop:
            e.m["config"].pop(key)
        e.m["config"].update(edit)
        if code:
            x.find(code, pointer)
        if also:
            x.find(*also)
        return e.seal()


_config("invalid", "metric-direction", "a metric direction that is not maximize or minimize",
        "CFG-01", {"metrics": [{"name": "accuracy", "direction": "up"}]}, "REX-S101",
        "/config/metrics/0/direction")
_config("invalid", "patience-negative", "early_stopping.patience below zero", "CFG-01",
        {"early_stopping": {"metric": "accuracy", "patience": -1}}, "REX-S101",
        "/config/early_stopping/patience")
_config("invalid", "hyperparameters-not-object", "hyperparameters given as a list", "CFG-01",
        {"hyperparameters": [1.0, 200]}, "REX-S101", "/config/hyperparameters",
        also=("REX-R106", "/config/hyperparameters"))  # the experiment's schema refuses it too
_config("invalid", "no-seeds-no-reason", "neither seeds nor nondeterminism", "CFG-03", {},
        "REX-S101", "/config", drop=("seeds",))
_config("invalid", "seed-as-string", "a seed written as a string", "CFG-03",
        {"seeds": {"python": "0"}}, "REX-S101", "/config/seeds/python")
_config("invalid", "seeds-empty", "seeds without a member", "CFG-03", {"seeds": {}},
        "REX-S101", "/config/seeds")
_config("valid", "nondeterminism-only", "no seeds, with a reason", "CFG-03",
        {"nondeterminism": {"reason": "asynchronous updates"}}, drop=("seeds",))
_config("valid", "seeds-and-nondeterminism", "seeded, and the reason it still varies", "CFG-03",
        {"nondeterminism": {"reason": "cuDNN autotuning"},
         "seeds": {"python": 0, "numpy": 0, "x-note": "torch unseeded"}})
_config("invalid", "unresolved-split-name", "config.splits names a split data.splits lacks",
        "CFG-04", {"splits": ["train", "validation"]}, "REX-R104", "/config/splits/1")
_config("valid", "unmatched-metric-name", "config.metrics names no result: no finding", "CFG-04",
        {"metrics": [{"name": "log_loss", "direction": "minimize"}]})
_config("invalid", "hyperparameters-violate-schema", "max_iter breaks the experiment's schema",
        "CFG-05", {"hyperparameters": {"C": 1.0, "max_iter": 0}}, "REX-R106",
        "/config/hyperparameters/max_iter")
_config("invalid", "hyperparameters-missing-required", "hyperparameters lack a required value",
        "CFG-05", {"hyperparameters": {"C": 1.0}}, "REX-R106")
_config("valid", "hyperparameters-absent", "a schema and no hyperparameters: nothing to check",
        "CFG-05", {}, drop=("hyperparameters",))


def _experiment_schema(name: str, description: str, text: bytes, pointer: str) -> None:
    @case("invalid", "config", name, description, ["CFG-05"],
          mutation="The full export with config/hyperparameters.schema.json replaced by "
                   f"{shown(text, 100)}; re-indexed and re-sealed.")
    def build(x: Expect) -> Export:
        e = full()
        e.files["config/hyperparameters.schema.json"] = text
        # reported in the schema file, at the offending part of it
        x.find("REX-R107", pointer, "config/hyperparameters.schema.json")
        return e.index().seal()


_experiment_schema("schema-remote-ref", "the experiment's schema has a $ref leaving the file",
                   b'{"$schema": "https://json-schema.org/draft/2020-12/schema",\n'
                   b' "$ref": "https://example.org/hyper.schema.json"}\n', "/$ref")
_experiment_schema("schema-not-a-schema", "the experiment's schema breaks its metaschema",
                   b'{"$schema": "https://json-schema.org/draft/2020-12/schema",\n'
                   b' "type": "objekt"}\n', "/type")
_experiment_schema("schema-unknown-draft", "the experiment's schema names an unknown draft",
                   b'{"$schema": "https://example.org/my-own-draft", "type": "object"}\n',
                   "/$schema")
# CFG-05 names five drafts: draft 3 is not among them, however well a validator knows it
_experiment_schema("schema-draft-03", "the experiment's schema is a draft 3 schema",
                   b'{"$schema": "http://json-schema.org/draft-03/schema#", "type": "object"}\n',
                   "/$schema")
# the pointer is that of the $ref member itself, not of the schema object holding it
_experiment_schema("schema-remote-ref-nested", "a nested $ref leaves the experiment's schema",
                   b'{"$schema": "https://json-schema.org/draft/2020-12/schema",\n'
                   b' "properties": {"C": {"$ref": "https://example.org/c.schema.json"}}}\n',
                   "/properties/C/$ref")


@case("valid", "config", "schema-draft-04", "a draft 4 schema is read as draft 4, not 2020-12",
      ["CFG-05"])
def _draft_04(x: Expect) -> Export:
    """The full export with config/hyperparameters.schema.json a draft 4 schema using the boolean
    exclusiveMinimum; re-indexed and re-sealed."""
    e = full()
    # a boolean exclusiveMinimum is draft 4; read as 2020-12 it would break the metaschema
    e.files["config/hyperparameters.schema.json"] = (
        b'{"$schema": "http://json-schema.org/draft-04/schema#",\n'
        b' "properties": {"C": {"type": "number", "minimum": 0, "exclusiveMinimum": true}}}\n')
    x.never("REX-R107")
    return e.index().seal()


_experiment_schema("schema-ref-cycle", "the experiment's schema refers to itself in place",
                   b'{"$ref": "#"}\n', "/$ref")


@case("invalid", "config", "schema-pattern-linear", "a nested quantifier is matched at once",
      ["CFG-05"])
def _linear_pattern(x: Expect) -> Export:
    """The full export whose hyperparameters schema gives `solver` the pattern `^(a+)+$`, and
    `solver` 64 `a` then `!`."""
    e = full()
    # exponential for a backtracking engine: CFG-05 asks for linear time on such patterns
    e.files["config/hyperparameters.schema.json"] = (
        b'{"properties": {"solver": {"type": "string", "pattern": "^(a+)+$"}}}\n')
    e.m["config"]["hyperparameters"]["solver"] = "a" * 64 + "!"
    x.find("REX-R106", "/config/hyperparameters/solver")
    return e.index().seal()


@case("valid", "config", "hyperparameter-redacted", "a redacted hyperparameter is not checked",
      ["CFG-05", "SEC-04"])
def _redacted(x: Expect) -> Export:
    """The full export with config.hyperparameters.max_iter replaced by the redaction marker,
    listed in redactions; re-sealed."""
    e = full()
    e.m["config"]["hyperparameters"]["max_iter"] = "[REDACTED]"
    e.m["redactions"] = [{"pointer": "/config/hyperparameters/max_iter", "reason": "secret-name"}]
    x.never("REX-R106")
    return e.seal()


# --- environment (ENV) -----------------------------------------------------------------------


def _edited(member: str, path: tuple[str | int, ...], value: object, code: str | None) -> str:
    """How a factory below changed ``member`` at ``path``, in words (a credential unshown)."""
    where = dotted((member, *path))
    if value is None:
        return f"{where} removed"
    return f"{where} set to {'a credential' if code == 'REX-K101' else shown(value)}"


def _env(outcome: str, name: str, description: str, section: str, path: tuple[str | int, ...],
         value: object, code: str | None = None, pointer: str | None = None) -> None:
    @case(outcome, "environment", name, description, [section],
          mutation=f"The full export with {_edited('environment', path, value, code)}; re-sealed.")
    def build(x: Expect) -> Export:
        e = full()
        holder = e.m["environment"]
        for token in path[:-1]:
            holder = holder[token]
        if value is None:
            del holder[path[-1]]
        else:
            holder[path[-1]] = value
        if code:
            x.find(code, pointer)
        return e.seal()


_env("invalid", "no-architecture", "environment without architecture", "ENV-01",
     ("architecture",), None, "REX-S101", "/environment")
_env("invalid", "os-without-name", "environment.os without a name", "ENV-01", ("os", "name"),
     None, "REX-S101", "/environment/os")
_env("valid", "runtime-extension", "another runtime recorded as an extension", "ENV-01",
     ("x-r",), {"version": "4.3.2"})
_env("invalid", "package-hash-upper-case", "a package hash in upper case", "ENV-02",
     ("packages", 0, "hashes", 0), "SHA256:2C26B46B", "REX-S101",
     "/environment/packages/0/hashes/0")
_env("invalid", "package-without-version", "a package without its version", "ENV-02",
     ("packages", 0, "version"), None, "REX-S101", "/environment/packages/0")
_env("invalid", "lockfile-without-format", "a lockfile without its format", "ENV-03",
     ("lockfiles", 0, "format"), None, "REX-S101", "/environment/lockfiles/0")
_env("valid", "lockfile-other-format", "a lockfile format of another tool", "ENV-03",
     ("lockfiles", 0, "format"), "pixi-lock")
_env("invalid", "container-digest-bare", "a container digest without sha256:", "ENV-04",
     ("container", "digest"), "5f5ac3e1a29c9ddf8e2b11e4d4cc2e8c1e4c7f1e0ad7b4e5d9d5e9a7b0c3f2d1",
     "REX-S101", "/environment/container/digest")
_env("invalid", "memory-with-unit", "memory written with a unit", "ENV-05",
     ("hardware", "memory_bytes"), "24 GiB", "REX-S101", "/environment/hardware/memory_bytes")
_env("invalid", "cpu-count-zero", "a CPU count of zero", "ENV-05", ("hardware", "cpu", "count"),
     0, "REX-S101", "/environment/hardware/cpu/count")
_env("invalid", "compiler-without-name", "a compiler without its name", "ENV-06",
     ("compiler", "name"), None, "REX-S101", "/environment/compiler")
_env("invalid", "variable-without-value", "a variable with neither value nor redaction",
     "ENV-07", ("variables", 0, "value"), None, "REX-S101", "/environment/variables/0")
_env("invalid", "variable-holds-credential", "a variable whose value is a credential", "ENV-07",
     ("variables", 0), {"name": "CI_PUSH_URL",
                        "value": "https://ci:" + "hunter2secret" + "@git.example.org/lab.git"},
     "REX-K101", "/environment/variables/0/value")
_env("valid", "reproduce-absent", "a reproduce script is optional", "ENV-08", ("reproduce",),
     None)


LOCK = "environment/requirements.lock"


@case("invalid", "environment", "lockfile-includes-other-files", "a pip lockfile with -r, -c and "
      "-e lines", ["ENV-03"])
def _lock_includes(x: Expect) -> Export:
    """The full export with environment/requirements.lock given -r, --constraint= and -e lines;
    re-indexed and re-sealed."""
    e = full()
    e.files[LOCK] = (b"-r requirements-base.txt\n" + e.files[LOCK]
                     + b"--constraint=constraints.txt\n  -e ./vendor/lib\n")
    x.find("REX-R111", "", LOCK)
    return e.index().seal()


@case("invalid", "environment", "lockfile-includes-attached", "a pip lockfile with -r and the "
      "file name attached", ["ENV-03"])
def _lock_attached(x: Expect) -> Export:
    """The full export with environment/requirements.lock given the line -rbase.txt; re-indexed
    and re-sealed."""
    e = full()
    e.files[LOCK] += b"-rbase.txt\n"
    x.find("REX-R111", "", LOCK)
    return e.index().seal()


@case("valid", "environment", "lockfile-other-options", "pip options that include no file, and "
      "-r lines of other formats", ["ENV-03"])
def _lock_other_options(x: Expect) -> Export:
    """The full export with environment/requirements.lock given index, hash and comment lines,
    and a conda lockfile holding -r; re-indexed and re-sealed."""
    e = full()
    e.files[LOCK] = (b"--index-url https://pypi.org/simple\n# -r is not used here\n"
                     b"--require-hashes\n" + e.files[LOCK] + b"--extra-index-url=https://x.org\n")
    e.add("environment/conda-lock.yml", b"# -r is no option here\nversion: 1\n",
          "application/yaml", "environment")
    e.m["environment"]["lockfiles"].append({"path": "environment/conda-lock.yml",
                                            "format": "conda-lock"})
    x.never("REX-R111")
    return e.index().seal()


# --- narrative, governance, annotations (NAR) ------------------------------------------------


def _nar(outcome: str, name: str, description: str, section: str, member: str,
         path: tuple[str | int, ...], value: object, pointer: str | None = None,
         **options: Any) -> None:
    sealed = "re-sealed" if member != "annotations" else "export digest kept"

    @case(outcome, "narrative", name, description, [section],
          mutation=f"The full export with {_edited(member, path, value, None)}; {sealed}.",
          **options)
    def build(x: Expect) -> Export:
        e = full()
        holder = e.m[member]
        for token in path[:-1]:
            holder = holder[token]
        if value is None:
            del holder[path[-1]]
        else:
            holder[path[-1]] = value
        if outcome == "invalid":
            x.find("REX-S101", pointer)
        return e.seal() if member != "annotations" else e


_nar("invalid", "producer-without-version", "a producer without its version", "NAR-01",
     "producer", ("version",), None, "/producer")
_nar("invalid", "intent-empty", "an empty narrative intent", "NAR-02", "narrative", ("intent",),
     "", "/narrative/intent")
_nar("valid", "narrative-free-text", "narrative text is free", "NAR-02", "narrative",
     ("notes",), "Anything at all: *markdown*, emoji \u2603, <html>.")
_nar("invalid", "orcid-as-url", "an ORCID written as a URL", "NAR-03", "governance",
     ("creators", 0, "orcid"), "https://orcid.org/0000-0002-1825-0097",
     "/governance/creators/0/orcid")
_nar("invalid", "email-malformed", "a creator email that is not a mailbox", "NAR-03",
     "governance", ("creators", 0, "email"), "ada at example.org", "/governance/creators/0/email")
_nar("invalid", "email-too-long", "a creator email longer than a mailbox may be", "EXP-05",
     "governance", ("creators", 0, "email"), "ada.lovelace@" + "sub." * 60 + "org",
     "/governance/creators/0/email",
     # the length limit is EXP-05's own: python-jsonschema and jsonschema-rs pass the value
     schema_valid=True)
_nar("invalid", "retention-date-time", "retention.until that is not a full-date", "NAR-03",
     "governance", ("retention", "until"), "2031-01-01T00:00:00Z",
     "/governance/retention/until")
_nar("valid", "governance-absent", "no governance at all", "NAR-03", "governance",
     ("creators",), None)
_nar("invalid", "review-date-format", "a review dated 01/02/2026", "NAR-04", "annotations",
     ("reviews", 0, "date"), "01/02/2026", "/annotations/reviews/0/date")


# --- replay (RPL) ----------------------------------------------------------------------------


def _replay(outcome: str, name: str, description: str, sections: list[str],
            path: tuple[str | int, ...], value: object, code: str | None = None,
            pointer: str | None = None) -> None:
    @case(outcome, "replay", name, description, sections,
          mutation=f"The full export with {_edited('replay', path, value, code)}; re-sealed.")
    def build(x: Expect) -> Export:
        e = full()
        holder = e.m["replay"]
        for token in path[:-1]:
            holder = holder[token]
        if value is None:
            del holder[path[-1]]
        else:
            holder[path[-1]] = value
        if code:
            x.find(code, pointer)
        return e.seal()


_replay("invalid", "command-string", "a replay command as one string", ["RPL-01"], ("command",),
        "python code/train.py", "REX-S101", "/replay/command")
_replay("invalid", "metrics-empty", "a replay section without metrics", ["RPL-01"],
        ("metrics",), [], "REX-S101", "/replay/metrics")
_replay("invalid", "metric-without-tolerance", "a replay metric without a tolerance", ["RPL-01"],
        ("metrics", 0, "tolerance"), None, "REX-S101", "/replay/metrics/0")
_replay("valid", "metrics-file-not-in-export", "the metrics file is written by the command",
        ["RPL-01", "RPL-04"], ("metrics_file",), "replay/out/metrics.json")
_replay("invalid", "environment-credential", "replay.environment holds a credential",
        ["RPL-01", "SEC-01", "RPL-05"], ("environment", "GITHUB_TOKEN"),
        "ghp_" + "1234567890abcdefghijABCDEFGHIJ123456", "REX-K101",
        "/replay/environment/GITHUB_TOKEN")
_replay("invalid", "working-directory-unknown", "the working directory is not in the export",
        ["RPL-02"], ("working_directory",), "src", "REX-R105", "/replay/working_directory")
_replay("valid", "working-directory-folder", "the working directory is a folder of the export",
        ["RPL-02"], ("working_directory",), "code")
_replay("invalid", "metric-unknown-name", "a replay metric not among the results", ["RPL-02"],
        ("metrics", 0, "name"), "f1", "REX-R105", "/replay/metrics/0/name")
_replay("invalid", "metric-unknown-split", "a replay metric on a split never recorded",
        ["RPL-02"], ("metrics", 0, "split"), "validation", "REX-R105",
        "/replay/metrics/0/split")
_replay("valid", "metric-without-split", "a replay metric without split matches any split",
        ["RPL-02"], ("metrics", 0, "split"), None)
_replay("invalid", "tolerance-empty", "a tolerance with neither bound", ["RPL-03"],
        ("metrics", 0, "tolerance"), {}, "REX-S101", "/replay/metrics/0/tolerance")
_replay("invalid", "tolerance-negative", "a negative absolute tolerance", ["RPL-03"],
        ("metrics", 0, "tolerance"), {"absolute": -0.01}, "REX-S101",
        "/replay/metrics/0/tolerance/absolute")
_replay("valid", "tolerance-zero-and-relative", "a zero bound and a relative one", ["RPL-03"],
        ("metrics", 0, "tolerance"), {"absolute": 0, "relative": 0.01})


@case("invalid", "replay", "invalid-export-not-replayed", "a replay section in an invalid "
      "export", ["RPL-05", "VAL-01"])
def _invalid_replay(x: Expect) -> Export:
    """The full export with seed(0) changed to seed(9) in code/train.py after packing; index and
    export digest kept."""
    e = full()
    e.files["code/train.py"] = e.files["code/train.py"].replace(b"seed(0)", b"seed(9)")
    n = e.idx("code/train.py")
    for algorithm in e.m["files"][n]["digests"]:  # each recorded algorithm differs (DIG-02)
        x.find("REX-I102", f"/files/{n}/digests/{algorithm}")
    return e


@case("valid", "replay", "lockfile-continued-lines", "a lockfile pip reads in logical lines: "
      "continuations, comments, hashes", ["RPL-06", "ENV-03"])
def _replay_lockfile(x: Expect) -> Export:
    """The full export whose lockfile holds a comment, two options and one requirement
    continued over three lines with its hash and a comment."""
    e = full()
    # what a replay tool accepts (RPL-06): one requirement over three lines, a comment, options
    e.files["environment/requirements.lock"] = (
        b"# generated by pip-compile\n--only-binary :all:\n--require-hashes\n"
        b"numpy==1.26.4 \\\n"
        b"    --hash=sha256:2e3bdae2e2b1d27fb0dd6e1fd46b4ad7ca2c29d3ac2ff5a83cdd1b79c1253016 \\\n"
        b"    # via scikit-learn\n")
    return e.index().seal()
