"""Cases of references inside the manifest: code, data, lineage, results, replay (IDX-06 and on)."""

from __future__ import annotations

from typing import Any

from bases import full, minimal
from registry import Expect, case, dotted
from rexgen import Export

# --- members that name an indexed file (IDX-06) ----------------------------------------------

_FILE_MEMBERS = (
    ("vcs-diff", "code.vcs.diff", ("code", "vcs", "diff"), "COD-03"),
    ("entry-point-path", "an entry point's path", ("code", "entry_points", 0, "path"), "COD-04"),
    ("embedded-path", "an embedded dataset path",
     ("data", "datasets", 0, "embedded", "paths", 0), "DAT-03"),
    ("split-path", "a split's path", ("data", "splits", 0, "path"), "DAT-05"),
    ("lockfile-path", "a lockfile path", ("environment", "lockfiles", 0, "path"), "ENV-03"),
    ("reproduce-path", "environment.reproduce.path", ("environment", "reproduce", "path"),
     "ENV-08"),
    ("config-path", "config.path", ("config", "path"), "CFG-01"),
    ("hyperparameters-schema", "config.hyperparameters_schema",
     ("config", "hyperparameters_schema"), "CFG-05"),
    ("artifact-path", "an artifact's path", ("results", "artifacts", 0, "path"), "RES-02"),
)


def _unresolved(name: str, what: str, tokens: tuple[str | int, ...], section: str) -> None:
    @case("invalid", "references", f"unlisted-{name}", f"{what} names no indexed file",
          ["IDX-06", section],
          mutation=f"The full export with {dotted(tokens)} pointed at the same file name under "
                   "missing/; re-sealed.")
    def build(x: Expect) -> Export:
        e = full()
        holder: Any = e.m
        for token in tokens[:-1]:
            holder = holder[token]
        holder[tokens[-1]] = "missing/" + str(holder[tokens[-1]]).rsplit("/", 1)[-1]
        x.find("REX-R109", "".join(f"/{t}" for t in tokens))
        return e.seal()


for _name, _what, _tokens, _section in _FILE_MEMBERS:
    _unresolved(_name, _what, _tokens, _section)


@case("invalid", "references", "path-compared-exactly", "Config/config.yaml does not name "
      "config/config.yaml", ["IDX-06"])
def _exact(x: Expect) -> Export:
    """The full export with config.path written Config/config.yaml; re-sealed."""
    e = full()
    e.m["config"]["path"] = "Config/config.yaml"
    x.find("REX-R109", "/config/path")
    return e.seal()


@case("invalid", "references", "unlisted-path-manifest-only", "a reference checked from rex.json "
      "alone", ["IDX-06", "VAL-03"], input="rex.json")
def _bare(x: Expect) -> dict[str, bytes]:
    """The full export's rex.json alone, with the first artifact's path set to results/missing.pkl;
    re-sealed."""
    e = full()
    e.m["results"]["artifacts"][0]["path"] = "results/missing.pkl"
    x.find("REX-R109", "/results/artifacts/0/path")
    return {"rex.json": e.seal().manifest_bytes()}


# --- code (COD) ------------------------------------------------------------------------------


@case("invalid", "code", "neither-snapshot-nor-vcs", "code has neither snapshot nor vcs",
      ["COD-01"])
def _neither(x: Expect) -> Export:
    """The minimal export with code holding only an entry point, neither snapshot nor vcs; re-
    sealed."""
    e = minimal()
    e.m["code"] = {"entry_points": [{"name": "train", "command": ["python", "code/train.py"]}]}
    x.find("REX-S101", "/code")
    return e.seal()


@case("valid", "code", "vcs-only", "a code section with a git reference only", ["COD-01",
                                                                                 "COD-03"])
def _vcs_only(x: Expect) -> Export:
    """The minimal export with code holding only a git vcs reference; re-sealed."""
    e = minimal()
    e.m["code"] = {"vcs": {"type": "git", "repository": "https://example.org/lab/iris.git",
                           "commit": "4b825dc642cb6eb9a060e54bf8d69288fbee4904"}}
    return e.seal()


@case("invalid", "code", "snapshot-empty", "no indexed file under snapshot.root", ["COD-02"])
def _empty_snapshot(x: Expect) -> Export:
    """The minimal export with code.snapshot.root set to src/, under which no file lies; re-
    sealed."""
    e = minimal()
    e.m["code"]["snapshot"]["root"] = "src/"
    x.find("REX-R110", "/code/snapshot/root")
    return e.seal()


@case("invalid", "code", "snapshot-root-no-slash", "snapshot.root is not a directory prefix",
      ["COD-02"])
def _root_slash(x: Expect) -> Export:
    """The minimal export with code.snapshot.root set to code, without its final slash; re-
    sealed."""
    e = minimal()
    e.m["code"]["snapshot"]["root"] = "code"
    x.find("REX-S101", "/code/snapshot/root")
    return e.seal()


@case("invalid", "code", "abbreviated-commit", "a git commit abbreviated to 7 digits", ["COD-03"])
def _short_commit(x: Expect) -> Export:
    """The full export with code.vcs.commit abbreviated to 3f78685; re-sealed."""
    e = full()
    e.m["code"]["vcs"]["commit"] = "3f78685"
    x.find("REX-S101", "/code/vcs/commit")
    return e.seal()


@case("valid", "code", "sha256-commit", "a 64-digit commit of a SHA-256 repository", ["COD-03"])
def _long_commit(x: Expect) -> Export:
    """The full export with code.vcs.commit set to 64 hex digits; re-sealed."""
    e = full()
    e.m["code"]["vcs"]["commit"] = "a" * 64
    return e.seal()


@case("invalid", "code", "repository-with-credentials", "a repository URL with a token",
      ["COD-03", "SEC-01"])
def _repo_token(x: Expect) -> Export:
    """The full export with a user and a password in code.vcs.repository; re-sealed."""
    e = full()
    e.m["code"]["vcs"]["repository"] = "https://builder:hunter2hunter2@example.org/lab/iris.git"
    x.find("REX-K101", "/code/vcs/repository")
    return e.seal()


@case("invalid", "code", "entry-point-shell-string", "an entry point command as one string",
      ["COD-04"])
def _shell(x: Expect) -> Export:
    """The full export with the entry point's command written as one string; re-sealed."""
    e = full()
    e.m["code"]["entry_points"][0]["command"] = "python code/train.py"
    x.find("REX-S101", "/code/entry_points/0/command")
    return e.seal()


@case("invalid", "code", "entry-point-without-target", "an entry point with neither path nor "
      "command", ["COD-04"])
def _no_target(x: Expect) -> Export:
    """The full export with one entry point of name and symbol only; re-sealed."""
    e = full()
    e.m["code"]["entry_points"] = [{"name": "train", "symbol": "main"}]
    x.find("REX-S101", "/code/entry_points/0")
    return e.seal()


# --- data (DAT) ------------------------------------------------------------------------------


@case("invalid", "data", "split-unknown-dataset", "a split names no dataset", ["DAT-05"])
def _split(x: Expect) -> Export:
    """The full export with the second split's dataset set to iris, which no dataset is; re-
    sealed."""
    e = full()
    e.m["data"]["splits"][1]["dataset"] = "iris"
    x.find("REX-R104", "/data/splits/1/dataset")
    return e.seal()


@case("invalid", "data", "embedded-and-reference", "a dataset both embedded and referenced",
      ["DAT-02"])
def _both(x: Expect) -> Export:
    """The full export with the first dataset given the second one's reference besides its embedded
    paths; re-sealed."""
    e = full()
    e.m["data"]["datasets"][0]["reference"] = e.m["data"]["datasets"][1]["reference"]
    x.find("REX-S101", "/data/datasets/0")
    return e.seal()


@case("invalid", "data", "neither-embedded-nor-reference", "a dataset neither embedded nor "
      "referenced", ["DAT-02"])
def _neither_data(x: Expect) -> Export:
    """The full export with the second dataset's reference removed; re-sealed."""
    e = full()
    del e.m["data"]["datasets"][1]["reference"]
    x.find("REX-S101", "/data/datasets/1")
    return e.seal()


@case("invalid", "data", "reference-without-size", "a referenced dataset without its size",
      ["DAT-04"])
def _no_size(x: Expect) -> Export:
    """The full export with the size of the second dataset's reference removed; re-sealed."""
    e = full()
    del e.m["data"]["datasets"][1]["reference"]["size"]
    x.find("REX-S101", "/data/datasets/1/reference")
    return e.seal()


@case("invalid", "data", "doi-as-url", "a DOI written as a URL", ["DAT-01"])
def _doi(x: Expect) -> Export:
    """The full export with the DOI identifier written as an https://doi.org/ URL; re-sealed."""
    e = full()
    e.m["data"]["datasets"][0]["identifiers"][0]["value"] = "https://doi.org/10.24432/C56C76"
    x.find("REX-S101", "/data/datasets/0/identifiers/0/value")
    return e.seal()


@case("invalid", "data", "access-unknown", "an access level not in the list", ["DAT-01"])
def _access(x: Expect) -> Export:
    """The full export with the first dataset's access set to open; re-sealed."""
    e = full()
    e.m["data"]["datasets"][0]["access"] = "open"
    x.find("REX-S101", "/data/datasets/0/access")
    return e.seal()


@case("invalid", "data", "embedded-folder", "an embedded path that is a folder prefix",
      ["DAT-03"])
def _folder(x: Expect) -> Export:
    """The full export with the first dataset's embedded paths set to ["data/"]; re-sealed."""
    e = full()
    e.m["data"]["datasets"][0]["embedded"]["paths"] = ["data/"]
    x.find("REX-S101", "/data/datasets/0/embedded/paths/0")
    x.find("REX-R109", "/data/datasets/0/embedded/paths/0")  # no indexed file has that path
    x.find("REX-X116", "/data/datasets/0/embedded/paths/0")  # a final "/" (EXP-08)
    return e.seal()


@case("valid", "data", "licenses", "SPDX expressions, LicenseRef- and NOASSERTION", ["DAT-01"])
def _licenses(x: Expect) -> Export:
    """The full export with the dataset licenses MIT OR Apache-2.0 and NOASSERTION; re-sealed."""
    e = full()
    e.m["data"]["datasets"][0]["license"] = "MIT OR Apache-2.0"
    e.m["data"]["datasets"][1]["license"] = "NOASSERTION"
    return e.seal()


@case("valid", "data", "dataset-digests-informative", "dataset-level digests are not compared",
      ["DAT-01"])
def _informative(x: Expect) -> Export:
    """The full export with wrong values for the first dataset's own size and sha256; re-sealed."""
    e = full()
    e.m["data"]["datasets"][0]["digests"] = {"sha256": "0" * 64}
    e.m["data"]["datasets"][0]["size"] = 1
    return e.seal()


# --- lineage (LIN) ---------------------------------------------------------------------------


@case("invalid", "lineage", "cycle", "two steps that read each other's output", ["LIN-03"])
def _cycle(x: Expect) -> Export:
    """The full export with results/metrics.json, the last step's output, added to the first step's
    inputs; re-sealed."""
    e = full()
    e.m["lineage"]["steps"][0]["inputs"].append({"file": "results/metrics.json"})
    x.find("REX-R101", "/lineage/steps/0")  # the cycle's step with the lowest index
    return e.seal()


@case("invalid", "lineage", "self-loop", "a step that consumes its own output", ["LIN-03"])
def _self_loop(x: Expect) -> Export:
    """The full export with results/model.pkl, the train step's output, added to its own inputs;
    re-sealed."""
    e = full()
    e.m["lineage"]["steps"][1]["inputs"].append({"file": "results/model.pkl"})
    x.find("REX-R101", "/lineage/steps/1")
    return e.seal()


@case("valid", "lineage", "shared-output", "two steps may write the same file", ["LIN-03"])
def _shared(x: Expect) -> Export:
    """The full export with results/metrics.json added to the first step's outputs as well; re-
    sealed."""
    e = full()
    e.m["lineage"]["steps"][0]["outputs"].append({"file": "results/metrics.json"})
    return e.seal()


@case("invalid", "lineage", "unknown-dataset", "a step input names no dataset", ["LIN-02"])
def _unknown_dataset(x: Expect) -> Export:
    """The full export with the first step's dataset input set to iris, which no dataset is; re-
    sealed."""
    e = full()
    e.m["lineage"]["steps"][0]["inputs"][0]["dataset"] = "iris"
    x.find("REX-R102", "/lineage/steps/0/inputs/0/dataset")
    return e.seal()


@case("invalid", "lineage", "unlisted-output", "a step output names no indexed file", ["LIN-02"])
def _unknown_file(x: Expect) -> Export:
    """The full export with the last step's output set to results/scores.json, which is not
    indexed; re-sealed."""
    e = full()
    e.m["lineage"]["steps"][2]["outputs"][0]["file"] = "results/scores.json"
    x.find("REX-R102", "/lineage/steps/2/outputs/0/file")
    return e.seal()


@case("invalid", "lineage", "reference-both", "a reference naming a dataset and a file",
      ["LIN-02"])
def _ref_both(x: Expect) -> Export:
    """The full export with a file added to the first step's dataset input; re-sealed."""
    e = full()
    e.m["lineage"]["steps"][0]["inputs"][0]["file"] = "data/iris.csv"
    x.find("REX-S101", "/lineage/steps/0/inputs/0")
    return e.seal()


@case("invalid", "lineage", "code-not-indexed", "a step's code is not an indexed file",
      ["LIN-04"])
def _code(x: Expect) -> Export:
    """The full export with the first step's code.path set to code/clean.py, which is not indexed;
    re-sealed."""
    e = full()
    e.m["lineage"]["steps"][0]["code"]["path"] = "code/clean.py"
    x.find("REX-R103", "/lineage/steps/0/code/path")
    return e.seal()


@case("invalid", "lineage", "step-without-code", "a step without its code", ["LIN-01"])
def _no_code(x: Expect) -> Export:
    """The full export with the train step's code removed; re-sealed."""
    e = full()
    del e.m["lineage"]["steps"][1]["code"]
    x.find("REX-S101", "/lineage/steps/1")
    return e.seal()


@case("valid", "lineage", "offsets-compared-as-instants", "started and ended compared as "
      "instants", ["LIN-01"])
def _offsets(x: Expect) -> Export:
    """The full export with the first step's started written with a +02:00 offset; re-sealed."""
    e = full()
    # 10:00+02:00 is 08:00Z, before 09:00:03Z
    e.m["lineage"]["steps"][0]["started"] = "2026-01-15T10:00:00+02:00"
    return e.seal()


@case("valid", "lineage", "empty-inputs", "a step that reads nothing", ["LIN-01"])
def _no_inputs(x: Expect) -> Export:
    """The full export with the first step's inputs emptied; re-sealed."""
    e = full()
    e.m["lineage"]["steps"][0]["inputs"] = []
    return e.seal()


# --- results (RES) ---------------------------------------------------------------------------


@case("invalid", "results", "neither-metrics-nor-artifacts", "results with neither member",
      ["RES-01"])
def _empty_results(x: Expect) -> Export:
    """The minimal export with results emptied to {}; re-sealed."""
    e = minimal()
    e.m["results"] = {}
    x.find("REX-S101", "/results")
    return e.seal()


@case("invalid", "results", "metric-not-a-number", "a metric value that is a string",
      ["RES-01"])
def _metric_string(x: Expect) -> Export:
    """The minimal export with the metric value set to the string 83%; re-sealed."""
    e = minimal()
    e.m["results"]["metrics"][0]["value"] = "83%"
    x.find("REX-S101", "/results/metrics/0/value")
    return e.seal()


@case("invalid", "results", "artifact-uri-without-digests", "an artifact by URI without digests",
      ["RES-02"])
def _artifact_digests(x: Expect) -> Export:
    """The full export with the digests of the artifact given by URI removed; re-sealed."""
    e = full()
    del e.m["results"]["artifacts"][1]["digests"]
    x.find("REX-S101", "/results/artifacts/1")
    return e.seal()


@case("invalid", "results", "artifact-path-and-uri", "an artifact naming a file and a URI",
      ["RES-02"])
def _artifact_both(x: Expect) -> Export:
    """The full export with a uri and digests added to the artifact given by path; re-sealed."""
    e = full()
    e.m["results"]["artifacts"][0].update(
        {"uri": "s3://example-bucket/model.pkl", "digests": e.entry("results/model.pkl")[
            "digests"]})
    x.find("REX-S101", "/results/artifacts/0")
    return e.seal()


@case("valid", "results", "artifacts-only", "results with artifacts and no metrics", ["RES-01"])
def _artifacts_only(x: Expect) -> Export:
    """The full export without results.metrics and without replay; re-sealed."""
    e = full()
    del e.m["results"]["metrics"]
    del e.m["replay"]
    return e.seal()
