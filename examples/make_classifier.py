"""Run the Iris classifier experiment through the rexport capture API; write examples/classifier.

    python examples/make_classifier.py [OUT]        (default OUT: examples/classifier)

The experiment is examples/classifier-src (train.py, config.yaml, requirements.lock); the data
is the iris.csv that scikit-learn ships. Each stage of train.py runs inside a recorded lineage
step. Rerunning this script gives a byte-identical export with the same export digest, as long
as the pinned packages, Python and rexport's version are the same:

- the reference time is fixed (EPOCH), and every lineage time is that instant (fixed_clock);
- git is not read: the repository's commit changes with every commit, the example must not;
- the environment records only what the experiment controls: OS name, architecture, Python,
  the packages pinned in requirements.lock. Kernel release, CPU, memory, GPUs, compiler and
  variables differ between machines of one kind and are left out.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

from rexport.pack import Capture, EnvironmentOptions, fixed_clock

HERE = Path(__file__).resolve().parent
SRC = HERE / "classifier-src"
TRAIN = SRC / "train.py"
EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z
REPLAY = ["python", "code/train.py", "--config", "code/config.yaml", "--data", "data/iris.csv",
          "--quick", "--metrics-out", "replay/metrics.json"]


def iris_csv() -> Path:
    """The Iris data as scikit-learn ships it (no network)."""
    return Path(str(resources.files("sklearn.datasets") / "data" / "iris.csv"))


def record(cap: Capture, work: Path) -> None:
    sys.dont_write_bytecode = True  # no __pycache__ left in the experiment's folder
    sys.path.insert(0, str(SRC))
    import train  # the experiment's own code, run stage by stage below

    config = train.load_config(SRC / "config.yaml")
    cap.config(SRC / "config.yaml", metrics={"accuracy": "maximize", "macro_f1": "maximize",
                                             "log_loss": "minimize"},
               logging={"level": "INFO"})
    cap.seeds(split=config["seed"], model=config["seed"])
    raw = work / "iris.csv"
    shutil.copyfile(iris_csv(), raw)
    cap.dataset("iris-raw", raw, name="Iris", license="CC-BY-4.0", access="public",
                identifiers={"doi": "10.24432/C56C76",
                             "url": "https://archive.ics.uci.edu/dataset/53/iris"},
                description="Fisher's Iris data: 150 flowers, 4 measurements, 3 species.")

    with cap.step("clean", inputs=["iris-raw"], outputs=["iris-clean"], code=TRAIN,
                  symbol="clean", parameters=config["clean"],
                  description="drop rows with missing values and repeated rows"):
        X, y, classes = train.load(raw)
        X, y = train.clean(X, y, drop_duplicates=config["clean"]["drop_duplicates"])
        clean = work / "iris-clean.csv"
        rows = ",".join([str(len(y)), str(X.shape[1]), *classes])
        lines = [rows] + [",".join([*map(repr, map(float, x)), str(int(c))]) for x, c in zip(X, y)]
        clean.write_text("\n".join(lines) + "\n", encoding="utf-8")
        cap.dataset("iris-clean", clean, name="Iris, cleaned", license="CC-BY-4.0",
                    access="public")

    split_files = [f"data/splits/{name}.idx" for name in train.SPLITS]
    with cap.step("split", inputs=["iris-clean"], outputs=split_files, code=TRAIN,
                  symbol="split", parameters={"seed": config["seed"], **config["split"]},
                  description="stratified random split 70/15/15"):
        parts = train.split(y, seed=config["seed"], **config["split"])
        for name in train.SPLITS:
            cap.split(name, "iris-clean", indices=parts[name],
                      method=f"stratified random 70/15/15, seed {config['seed']}")

    scaler_file = work / "scaler.json"
    with cap.step("standardize", inputs=["iris-clean", split_files[0]], outputs=[scaler_file],
                  code=TRAIN, symbol="standardize",
                  description="per-feature mean and scale, fitted on the training rows"):
        scaler = train.standardize(X[parts["train"]])
        train.write_json(scaler_file, scaler)
        cap.artifact("scaler", scaler_file, kind="preprocessing")

    model_file = work / "model.json"
    with cap.step("train", inputs=["iris-clean", split_files[0], scaler_file],
                  outputs=[model_file], code=TRAIN, symbol="fit",
                  parameters={"seed": config["seed"], **config["model"]},
                  description="fit a multinomial logistic regression"):
        Xs = train.transform(X, scaler)
        model = train.fit(Xs[parts["train"]], y[parts["train"]], seed=config["seed"],
                          **config["model"])
        train.write_json(model_file, train.model_document(model, classes))
        cap.artifact("model", model_file, kind="model")

    metrics_file = work / "metrics.json"
    with cap.step("evaluate", inputs=["iris-clean", *split_files[1:], scaler_file, model_file],
                  outputs=[metrics_file], code=TRAIN, symbol="evaluate",
                  description="accuracy, macro F1 and log loss on validation and test"):
        metrics = [m for name in ("validation", "test")
                   for m in train.evaluate(model, Xs[parts[name]], y[parts[name]], name)]
        train.write_json(metrics_file, {"metrics": metrics})
        cap.artifact("metrics", metrics_file, kind="metrics")
    for m in metrics:
        cap.metric(m["name"], m["value"], split=m["split"])

    cap.entry_point("train", TRAIN, symbol="main", command=[*REPLAY[:6], "--out-dir", "out"])
    cap.replay(REPLAY, metrics_file="replay/metrics.json", timeout_seconds=600,
               environment={"PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1"},
               metrics=[{"name": "accuracy", "split": "test", "tolerance": {"absolute": 0.01}},
                        {"name": "macro_f1", "split": "test", "tolerance": {"absolute": 0.01}},
                        {"name": "log_loss", "split": "test",
                         "tolerance": {"relative": 0.001}}])
    cap.narrative(intent="Show a complete REX export of a small, real experiment.",
                  limitations=["150 samples: one test flower is 4.3 points of accuracy.",
                               "One seed: no estimate of the spread over splits."],
                  biases=["Three species from one region; measurements by one collector."])
    cap.note("Produced by examples/make_classifier.py; rerun it to check the export digest.")
    cap.governance(creators=[{"name": "The rexport authors"}], owner="The rexport authors",
                   license="CC-BY-4.0", access="public")


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else HERE / "classifier"
    environment = EnvironmentOptions(os_release=False, packages="lockfile", hardware=False,
                                     gpus=False, compiler=False, variables=())
    with tempfile.TemporaryDirectory() as work:
        cap = Capture(SRC, git=False, environment=environment, epoch=EPOCH,
                      clock=fixed_clock(EPOCH), title="Iris classifier",
                      description="Logistic regression on the Iris data, seed 0.")
        record(cap, Path(work))
        written = cap.write(out, format="dir", overwrite=True)
    print(f"wrote {written.path} {written.export_digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
