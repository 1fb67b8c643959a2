"""Train and evaluate a logistic-regression classifier on the Iris data set.

Full run:  python train.py --config config.yaml --data iris.csv --out-dir out/
Quick run: python train.py --config config.yaml --data iris.csv --quick --metrics-out m.json
The quick run skips the intermediate files and the model and writes only the metrics, which
are the same numbers as the full run's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

# one BLAS thread: reductions then add up in one order, so every run gives the same bits
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402
import yaml  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score, log_loss  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

SPLITS = ("train", "validation", "test")


def load_config(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fp:
        config: dict[str, Any] = yaml.safe_load(fp)
    return config


def load(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read scikit-learn's iris.csv: a header "rows,features,class names...", then rows."""
    with open(path, encoding="utf-8") as fp:
        header = fp.readline().strip().split(",")
        table = np.loadtxt(fp, delimiter=",")
    return table[:, :-1], table[:, -1].astype(int), header[2:]


def clean(X: np.ndarray, y: np.ndarray, *, drop_duplicates: bool) -> tuple[np.ndarray, np.ndarray]:
    """Drop rows with missing values and, if asked, repeated rows (first one kept)."""
    keep = ~np.isnan(X).any(axis=1)
    if drop_duplicates:
        _, first = np.unique(np.column_stack([X, y]), axis=0, return_index=True)
        unique = np.zeros(len(X), dtype=bool)
        unique[first] = True
        keep &= unique
    return X[keep], y[keep]


def split(y: np.ndarray, *, validation: float, test: float, seed: int,
          stratify: bool = True) -> dict[str, np.ndarray]:
    """Row indices of a train/validation/test split, stratified by class."""
    rows = np.arange(len(y))
    rest, test_rows = train_test_split(rows, test_size=test, random_state=seed,
                                       stratify=y if stratify else None)
    share = validation / (1.0 - test)
    train_rows, val_rows = train_test_split(rest, test_size=share, random_state=seed,
                                            stratify=y[rest] if stratify else None)
    return {"train": np.sort(train_rows), "validation": np.sort(val_rows),
            "test": np.sort(test_rows)}


def standardize(X_train: np.ndarray) -> dict[str, list[float]]:
    """Per-feature mean and scale, fitted on the training rows only."""
    scale = X_train.std(axis=0)
    scale[scale == 0] = 1.0
    return {"mean": X_train.mean(axis=0).tolist(), "scale": scale.tolist()}


def transform(X: np.ndarray, scaler: dict[str, list[float]]) -> np.ndarray:
    return (X - np.asarray(scaler["mean"])) / np.asarray(scaler["scale"])


def fit(X: np.ndarray, y: np.ndarray, *, C: float, max_iter: int, solver: str,
        seed: int) -> LogisticRegression:
    model = LogisticRegression(C=C, max_iter=max_iter, solver=solver, random_state=seed)
    return model.fit(X, y)


def model_document(model: LogisticRegression, classes: list[str]) -> dict[str, Any]:
    """The fitted model as plain numbers: portable, and the same bytes for the same fit."""
    return {"kind": "logistic-regression", "classes": classes,
            "coef": model.coef_.tolist(), "intercept": model.intercept_.tolist()}


def evaluate(model: LogisticRegression, X: np.ndarray, y: np.ndarray,
             split_name: str) -> list[dict[str, Any]]:
    predicted = model.predict(X)
    return [
        {"name": "accuracy", "split": split_name, "value": float(accuracy_score(y, predicted))},
        {"name": "macro_f1", "split": split_name,
         "value": float(f1_score(y, predicted, average="macro"))},
        {"name": "log_loss", "split": split_name,
         "value": float(log_loss(y, model.predict_proba(X), labels=model.classes_))},
    ]


def run(config: dict[str, Any], data: Path) -> dict[str, Any]:
    """The whole experiment in memory; returns every intermediate result."""
    X, y, classes = load(data)
    X, y = clean(X, y, drop_duplicates=config["clean"]["drop_duplicates"])
    rows = split(y, seed=config["seed"], **config["split"])
    scaler = standardize(X[rows["train"]])
    Xs = transform(X, scaler)
    model = fit(Xs[rows["train"]], y[rows["train"]], seed=config["seed"], **config["model"])
    metrics = [m for name in ("validation", "test")
               for m in evaluate(model, Xs[rows[name]], y[rows[name]], name)]
    return {"X": X, "y": y, "classes": classes, "rows": rows, "scaler": scaler,
            "model": model, "metrics": metrics}


def write_json(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path(__file__).with_name("config.yaml"))
    parser.add_argument("--data", type=Path, required=True, help="iris.csv")
    parser.add_argument("--quick", action="store_true", help="metrics only")
    parser.add_argument("--metrics-out", type=Path, help="where to write the metrics JSON")
    parser.add_argument("--out-dir", type=Path, help="full run: write model, scaler, metrics")
    args = parser.parse_args(argv)
    result = run(load_config(args.config), args.data)
    metrics = {"metrics": result["metrics"]}
    if args.metrics_out:
        write_json(args.metrics_out, metrics)
    if args.out_dir and not args.quick:
        write_json(args.out_dir / "model.json", model_document(result["model"], result["classes"]))
        write_json(args.out_dir / "scaler.json", result["scaler"])
        write_json(args.out_dir / "metrics.json", metrics)
    for m in result["metrics"]:
        print(f"{m['split']:>10} {m['name']:<9} {m['value']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
