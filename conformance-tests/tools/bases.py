"""The two base exports every case starts from: a minimal one and a full one (every object)."""

from __future__ import annotations

from rexgen import Export, digest

CREATED = "2026-01-15T10:00:00Z"
PRODUCER = {"name": "rex-conformance-generator", "version": "1.0"}

TRAIN_PY = b'''"""Train a tiny classifier on the iris sample."""
import json
import random


def main() -> None:
    random.seed(0)
    rows = [line.split(",") for line in open("data/clean.csv").read().splitlines()[1:]]
    accuracy = sum(r[-1] == "setosa" for r in rows) / len(rows)
    json.dump({"accuracy": round(accuracy, 4)}, open("results/metrics.json", "w"))


if __name__ == "__main__":
    main()
'''
PREP_PY = b'''"""Drop incomplete rows."""


def clean(lines: list[str]) -> list[str]:
    return [line for line in lines if "," in line and "" not in line.split(",")]
'''
DIFF = b"""--- a/code/train.py
+++ b/code/train.py
@@ -5,3 +5,3 @@
-    random.seed(1)
+    random.seed(0)
"""
IRIS = b"""sepal_length,sepal_width,petal_length,petal_width,species
5.1,3.5,1.4,0.2,setosa
4.9,3.0,1.4,0.2,setosa
7.0,3.2,4.7,1.4,versicolor
6.4,3.2,4.5,1.5,versicolor
6.3,3.3,6.0,2.5,virginica
5.8,2.7,5.1,1.9,virginica
4.7,,1.3,0.2,setosa
"""
CLEAN = b"".join(line + b"\n" for line in IRIS.splitlines() if b",," not in line)
CONFIG_YAML = b"""# training configuration
model: logistic-regression
C: 1.0
max_iter: 200
seeds:
  python: 0
"""
HYPER_SCHEMA = b"""{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "C": {"type": "number", "exclusiveMinimum": 0},
    "max_iter": {"type": "integer", "minimum": 1}
  },
  "required": ["C", "max_iter"]
}
"""
LOCK = b"""numpy==1.26.4 \\
    --hash=sha256:2e3bdae2e2b1d27fb0dd6e1fd46b4ad7ca2c29d3ac2ff5a83cdd1b79c1253016
"""
REPRODUCE = b"""#!/bin/sh
# Rebuild the environment in a fixed order.
set -eu
python -m venv .venv
.venv/bin/pip install --require-hashes -r environment/requirements.lock
"""
METRICS = b'{"accuracy": 0.8333}\n'
MODEL = bytes(range(64))
README = b"""# Iris sample

A tiny logistic-regression run on six rows of the iris data, made to test validators.
"""
TRAIN_IDX = b"0\n2\n4\n"
TEST_IDX = b"1\n3\n5\n"


def minimal() -> Export:
    """The least that is valid: one code file and the required sections."""
    export = Export(manifest={
        "rex_version": "1.0",
        "export_digest": "",
        "created": CREATED,
        "producer": dict(PRODUCER),
        "files": [],
        "code": {"snapshot": {"root": "code/"}},
        "environment": {"os": {"name": "Linux"}, "architecture": "x86_64"},
        "config": {"seeds": {"python": 0}},
        "results": {"metrics": [{"name": "accuracy", "value": 0.8333}]},
    }, files={})
    export.add("code/train.py", TRAIN_PY, "text/x-python", "code")
    return export.index().seal()


def full() -> Export:
    """Every object filled: embedded and referenced data, lineage, replay, governance."""
    export = Export(manifest={}, files={})
    add = export.add
    add("code/train.py", TRAIN_PY, "text/x-python", "code",
        algorithms=("sha512", "blake2b", "md5", "sha1"))
    add("code/prep.py", PREP_PY, "text/x-python", "code")
    add("code/uncommitted.diff", DIFF, "text/x-diff", "code")
    add("config/config.yaml", CONFIG_YAML, "application/yaml", "config")
    add("config/hyperparameters.schema.json", HYPER_SCHEMA, "application/schema+json", "config")
    add("data/iris.csv", IRIS, "text/csv", "data", algorithms=("sha512",))
    add("data/clean.csv", CLEAN, "text/csv", "data")
    add("data/splits/train.idx", TRAIN_IDX, "text/plain", "data")
    add("data/splits/test.idx", TEST_IDX, "text/plain", "data")
    add("environment/requirements.lock", LOCK, "text/plain", "environment")
    add("environment/reproduce.sh", REPRODUCE, "text/x-shellscript", "environment")
    add("narrative/README.md", README, "text/markdown", "narrative")
    add("results/metrics.json", METRICS, "application/json", "result")
    add("results/model.pkl", MODEL, "application/octet-stream", "artifact", algorithms=("blake2b",))
    remote = bytes(100)
    export.manifest.update({
        "rex_version": "1.0",
        "export_digest": "",
        "created": CREATED,
        "title": "Iris sample, logistic regression",
        "description": "A small complete export used by the REX conformance suite.",
        "producer": dict(PRODUCER),
        "files": [],
        "code": {
            "snapshot": {"root": "code/"},
            "vcs": {"type": "git", "repository": "https://example.org/lab/iris.git",
                    "commit": "3f786850e387550fdab836ed7e6dc881de23001b", "branch": "main",
                    "tag": "v1.2", "dirty": True, "diff": "code/uncommitted.diff"},
            "entry_points": [{"name": "train", "path": "code/train.py", "symbol": "main",
                              "command": ["python", "code/train.py"]}],
        },
        "data": {
            "datasets": [
                {"id": "iris-raw", "name": "Iris (sample)", "license": "CC-BY-4.0",
                 "access": "public",
                 "identifiers": [{"type": "doi", "value": "10.24432/C56C76"},
                                 {"type": "url",
                                  "value": "https://archive.ics.uci.edu/dataset/53/iris"}],
                 "embedded": {"paths": ["data/iris.csv"]}, "size": len(IRIS),
                 "digests": {"sha256": digest(IRIS)}},
                {"id": "iris-extra", "name": "More iris rows", "license": "LicenseRef-Lab-Only",
                 "access": "restricted",
                 "reference": {"uri": "s3://example-bucket/iris-extra.csv", "size": len(remote),
                               "digests": {"sha256": digest(remote)}}},
            ],
            "splits": [
                {"name": "train", "dataset": "iris-raw", "method": "rows 0, 2, 4", "size": 3,
                 "path": "data/splits/train.idx", "digests": {"sha256": digest(TRAIN_IDX)}},
                {"name": "test", "dataset": "iris-raw", "method": "rows 1, 3, 5", "size": 3,
                 "path": "data/splits/test.idx", "digests": {"sha256": digest(TEST_IDX)}},
            ],
        },
        "lineage": {"steps": [
            {"id": "clean", "description": "drop incomplete rows",
             "inputs": [{"dataset": "iris-raw"}], "outputs": [{"file": "data/clean.csv"}],
             "code": {"path": "code/prep.py", "symbol": "clean"},
             "parameters": {"dropna": True},
             "started": "2026-01-15T09:00:00Z", "ended": "2026-01-15T09:00:03Z"},
            {"id": "train", "description": "fit the model",
             "inputs": [{"file": "data/clean.csv"}, {"file": "data/splits/train.idx"}],
             "outputs": [{"file": "results/model.pkl"}],
             "code": {"path": "code/train.py", "symbol": "main"},
             "parameters": {"C": 1.0},
             "started": "2026-01-15T09:01:00Z", "ended": "2026-01-15T09:05:00Z"},
            {"id": "evaluate", "description": "score the test split",
             "inputs": [{"file": "results/model.pkl"}, {"file": "data/splits/test.idx"}],
             "outputs": [{"file": "results/metrics.json"}],
             "code": {"path": "code/train.py", "symbol": "main"},
             "started": "2026-01-15T09:05:00Z", "ended": "2026-01-15T09:05:30Z"},
        ]},
        "environment": {
            "os": {"name": "Linux", "version": "6.1.0", "distribution": "Debian GNU/Linux 12"},
            "architecture": "x86_64",
            "python": {"implementation": "CPython", "version": "3.11.7"},
            "packages": [{"name": "numpy", "version": "1.26.4", "source": "pypi", "hashes": [
                "sha256:2e3bdae2e2b1d27fb0dd6e1fd46b4ad7ca2c29d3ac2ff5a83cdd1b79c1253016"]}],
            "lockfiles": [{"path": "environment/requirements.lock",
                           "format": "pip-requirements"}],
            "container": {"image": "docker.io/library/python:3.11-slim",
                          "digest": "sha256:" + digest(b"python:3.11-slim")},
            "hardware": {"cpu": {"model": "AMD EPYC 7B13", "count": 2},
                         "memory_bytes": 25769803776,
                         "gpus": [{"model": "NVIDIA A100", "driver": "535.104.05",
                                   "cuda": "12.2", "memory_bytes": 42949672960}]},
            "compiler": {"name": "gcc", "version": "12.2.0", "flags": "-O2 -fPIC"},
            "variables": [{"name": "OMP_NUM_THREADS", "value": "1"},
                          {"name": "AWS_SECRET_ACCESS_KEY", "redacted": True,
                           "reason": "secret-name"}],
            "reproduce": {"path": "environment/reproduce.sh"},
        },
        "config": {
            "path": "config/config.yaml",
            "hyperparameters": {"C": 1.0, "max_iter": 200},
            "hyperparameters_schema": "config/hyperparameters.schema.json",
            "seeds": {"python": 0, "numpy": 0},
            "splits": ["train", "test"],
            "metrics": [{"name": "accuracy", "direction": "maximize"}],
            "early_stopping": {"metric": "accuracy", "patience": 5},
            "augmentation": {},
            "logging": {"level": "INFO"},
        },
        "results": {
            "metrics": [{"name": "accuracy", "value": 0.8333, "split": "test", "step": 200}],
            "artifacts": [
                {"name": "model", "kind": "model", "path": "results/model.pkl"},
                {"name": "big-model", "kind": "model", "uri": "s3://example-bucket/model.pt",
                 "size": 10, "digests": {"sha256": digest(bytes(10))}},
            ],
        },
        "replay": {
            "command": ["python", "code/train.py"],
            "working_directory": ".",
            "timeout_seconds": 600,
            "metrics_file": "results/metrics.json",
            "environment": {"PYTHONHASHSEED": "0"},
            "metrics": [{"name": "accuracy", "split": "test", "tolerance": {"absolute": 0.01}}],
        },
        "narrative": {"intent": "Show every member of a REX export in one small run.",
                      "notes": "Six rows only; the numbers mean nothing.",
                      "limitations": ["six rows"], "biases": ["three species, two rows each"]},
        "governance": {
            "creators": [{"name": "Ada Lovelace", "orcid": "0000-0002-1825-0097",
                          "email": "ada@example.org"}],
            "owner": "Example Lab", "license": "CC-BY-4.0", "access": "public",
            "retention": {"until": "2031-01-01", "policy": "5 years after publication"}},
        "annotations": {"tags": ["conformance"],
                        "reviews": [{"author": "R2", "date": "2026-02-01", "text": "ok"}],
                        "retention_decisions": [{"date": "2026-03-01", "decision": "keep",
                                                 "by": "auditor"}]},
    })
    return export.index().seal()
