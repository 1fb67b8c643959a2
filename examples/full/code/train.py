"""Train a nearest-centroid classifier on the prepared Iris splits and report its accuracy."""

import argparse
import csv
import json
import math
import os
from pathlib import Path

import yaml


def load(root: Path):
    with (root / "data/clean.csv").open(encoding="utf-8") as fp:
        rows = list(csv.DictReader(fp))
    features = [[float(r[k]) for k in list(r)[:4]] for r in rows]
    labels = [r["species"] for r in rows]
    splits = {name: [int(i) for i in (root / f"data/splits/{name}.idx").read_text().split()]
              for name in ("train", "validation", "test")}
    return features, labels, splits


def fit(features, labels, rows, standardize):
    columns = list(zip(*(features[i] for i in rows)))
    mean = [sum(c) / len(c) for c in columns]
    scale = [math.sqrt(sum((x - m) ** 2 for x in c) / len(c)) or 1.0
             for c, m in zip(columns, mean)] if standardize else [1.0] * len(columns)
    norm = [[(x - m) / s for x, m, s in zip(features[i], mean, scale)] for i in rows]
    centroids = {}
    for label in sorted({labels[i] for i in rows}):
        members = [v for v, i in zip(norm, rows) if labels[i] == label]
        centroids[label] = [round(sum(c) / len(c), 6) for c in zip(*members)]
    return {"mean": [round(m, 6) for m in mean], "scale": [round(s, 6) for s in scale],
            "centroids": centroids}


def predict(model, x, distance):
    v = [(a - m) / s for a, m, s in zip(x, model["mean"], model["scale"])]
    if distance == "manhattan":
        dist = lambda c: sum(abs(a - b) for a, b in zip(v, c))  # noqa: E731
    else:
        dist = lambda c: math.dist(v, c)  # noqa: E731
    return min(sorted(model["centroids"]), key=lambda k: dist(model["centroids"][k]))


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="evaluate only; write no model")
    parser.add_argument("--metrics", default=os.environ.get("METRICS_FILE", "replay/metrics.json"))
    args = parser.parse_args(argv)
    root = Path(".")
    config = yaml.safe_load((root / "config/config.yaml").read_text(encoding="utf-8"))
    params = config["hyperparameters"]
    features, labels, splits = load(root)
    model = fit(features, labels, splits["train"], params["standardize"])
    metrics = []
    for split in ("validation", "test"):
        rows = splits[split]
        hits = sum(predict(model, features[i], params["distance"]) == labels[i] for i in rows)
        metrics.append({"name": "accuracy", "split": split, "value": round(hits / len(rows), 4)})
    out = Path(args.metrics)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"metrics": metrics}, indent=2) + "\n")
    if not args.quick:
        (root / "results/model.json").write_text(json.dumps(model, indent=2) + "\n")
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
