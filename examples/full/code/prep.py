"""Prepare the Iris data: drop incomplete rows, then split 70/15/15 by class."""

import csv
import random
import sys
from pathlib import Path

FIELDS = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]


def clean(raw: Path, out: Path) -> int:
    """Write the complete rows of the raw UCI file as a CSV with a header; return their count."""
    rows = []
    for line in raw.read_text(encoding="utf-8").splitlines():
        values = line.strip().split(",")
        if len(values) != len(FIELDS) or "" in values:
            continue
        rows.append(values[:4] + [values[4].removeprefix("Iris-")])
    with out.open("w", encoding="utf-8", newline="") as fp:
        writer = csv.writer(fp, lineterminator="\n")
        writer.writerow(FIELDS)
        writer.writerows(rows)
    return len(rows)


def split(table: Path, folder: Path, seed: int, fractions=(0.70, 0.15, 0.15)) -> dict:
    """Stratified random split of the rows of `table`; one index file per split."""
    with table.open(encoding="utf-8") as fp:
        species = [row["species"] for row in csv.DictReader(fp)]
    rng = random.Random(seed)
    parts = {"train": [], "validation": [], "test": []}
    for label in sorted(set(species)):
        rows = [i for i, s in enumerate(species) if s == label]
        rng.shuffle(rows)
        n_train = round(len(rows) * fractions[0])
        n_val = round(len(rows) * fractions[1])
        parts["train"] += rows[:n_train]
        parts["validation"] += rows[n_train:n_train + n_val]
        parts["test"] += rows[n_train + n_val:]
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in parts.items():
        (folder / f"{name}.idx").write_text("".join(f"{i}\n" for i in sorted(rows)))
    return {name: len(rows) for name, rows in parts.items()}


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    print(clean(root / "data/iris.csv", root / "data/clean.csv"), "rows kept")
    print(split(root / "data/clean.csv", root / "data/splits", seed=0))
