"""The capture API: datasets, lineage steps, config, results and what it refuses."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest
from rexport.pack import Capture, EnvironmentOptions, PackError, fixed_clock

LIGHT = EnvironmentOptions(hardware=False, packages="none", compiler=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src/prep.py").write_text("def clean(rows):\n    return rows\n")
    (root / "raw.csv").write_text("x\n1\n2\n")
    return root


def capture(project: Path, **options: object) -> Capture:
    return Capture(project, git=False, environment=LIGHT, clock=fixed_clock(1_700_000_000),
                   **options)  # type: ignore[arg-type]


def test_steps_record_inputs_outputs_code_and_times(project: Path, tmp_path: Path) -> None:
    cap = capture(project)
    cap.dataset("raw", project / "raw.csv", license="CC0-1.0", access="public")
    clean = project / "clean.csv"
    with cap.step("clean", inputs=["raw"], outputs=[clean], code=project / "src/prep.py",
                  symbol="clean", parameters={"dropna": True}):
        clean.write_text("x\n1\n")
    cap.metric("rows", 1)
    written = cap.write(tmp_path / "out")
    step = written.manifest["lineage"]["steps"][0]
    assert step["inputs"] == [{"dataset": "raw"}]
    assert step["outputs"] == [{"file": "data/clean.csv"}]
    assert step["code"] == {"path": "code/src/prep.py", "symbol": "clean"}
    assert step["parameters"] == {"dropna": True}
    assert step["started"] == step["ended"] == "2023-11-14T22:13:20Z"
    assert (written.path / "data/clean.csv").read_text() == "x\n1\n"


def test_step_as_decorator_takes_the_function_as_code(project: Path, tmp_path: Path) -> None:
    module_file = project / "src/steps.py"
    module_file.write_text("def double(x):\n    return 2 * x\n")
    spec = importlib.util.spec_from_file_location("rex_steps_example", module_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cap = capture(project)
    double = cap.step("double", inputs=[], outputs=[])(module.double)
    assert double(21) == 42
    cap.metric("answer", 42)
    step = cap.write(tmp_path / "out.zip").manifest["lineage"]["steps"][0]
    assert step["code"] == {"path": "code/src/steps.py", "symbol": "double"}


def test_a_failed_step_is_not_recorded(project: Path) -> None:
    cap = capture(project)
    with pytest.raises(ZeroDivisionError), cap.step("broken", code=project / "src/prep.py"):
        _ = 1 / 0
    assert cap.steps == []


def test_step_code_must_be_in_the_snapshot(project: Path, tmp_path: Path) -> None:
    cap = capture(project)
    outside = tmp_path / "elsewhere.py"
    outside.write_text("pass\n")
    with pytest.raises(PackError, match="snapshot"), cap.step("s", code=outside):
        pass


def test_duplicate_step_ids_are_refused(project: Path) -> None:
    cap = capture(project)
    with cap.step("s", code=project / "src/prep.py"):
        pass
    with pytest.raises(PackError), cap.step("s", code=project / "src/prep.py"):
        pass


def test_default_clock_is_clamped_to_source_date_epoch(project: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1000000000")
    cap = Capture(project, git=False, environment=LIGHT)
    with cap.step("s", code=project / "src/prep.py"):
        pass
    cap.metric("m", 0.0)
    manifest = cap.write(tmp_path / "out").manifest
    assert manifest["created"] == "2001-09-09T01:46:40Z"
    assert manifest["lineage"]["steps"][0]["started"] == "2001-09-09T01:46:40Z"


def test_referenced_dataset_and_artifact(project: Path, tmp_path: Path) -> None:
    cap = capture(project)
    digest = "ab" * 32
    cap.dataset("big", uri="s3://bucket/big.tar", sha256=digest, size=10, access="restricted",
                identifiers={"doi": "10.1234/abcd"})
    cap.artifact("weights", uri="https://example.org/w.bin", sha256=digest, size=5,
                 kind="weights")
    written = cap.write(tmp_path / "out")
    dataset = written.manifest["data"]["datasets"][0]
    assert dataset["reference"] == {"uri": "s3://bucket/big.tar", "size": 10,
                                    "digests": {"sha256": digest}}
    assert dataset["identifiers"] == [{"type": "doi", "value": "10.1234/abcd"}]
    assert written.manifest["results"]["artifacts"][0]["uri"] == "https://example.org/w.bin"


@pytest.mark.parametrize("kwargs", [{}, {"path": "raw.csv", "uri": "s3://b/x"},
                                    {"uri": "s3://b/x", "size": 1}])
def test_dataset_needs_exactly_one_source(project: Path, kwargs: dict[str, object]) -> None:
    cap = capture(project)
    if "path" in kwargs:
        kwargs["path"] = project / "raw.csv"
    with pytest.raises(PackError):
        cap.dataset("d", **kwargs)  # type: ignore[arg-type]


def test_embedded_directory_dataset_and_splits(project: Path, tmp_path: Path) -> None:
    images = tmp_path / "images"
    (images / "cats").mkdir(parents=True)
    (images / "cats/1.png").write_bytes(b"\x89PNG1")
    (images / "dogs.png").write_bytes(b"\x89PNG22")
    cap = capture(project)
    cap.dataset("images", images)
    cap.split("train", "images", indices=[0, 1], method="all")
    cap.metric("m", 1)
    manifest = cap.write(tmp_path / "out.tar").manifest
    dataset = manifest["data"]["datasets"][0]
    assert dataset["embedded"]["paths"] == ["data/images/cats/1.png", "data/images/dogs.png"]
    assert dataset["size"] == 11
    split = manifest["data"]["splits"][0]
    assert (split["path"], split["size"]) == ("data/splits/train.idx", 2)
    assert manifest["config"]["splits"] == ["train"]


def test_config_file_seeds_and_metric_directions(project: Path, tmp_path: Path) -> None:
    (project / "config.json").write_text(json.dumps({"lr": 0.1, "layers": [8, 8]}))
    cap = capture(project)
    cap.config(project / "config.json", metrics={"loss": "minimize"},
               early_stopping={"metric": "loss", "patience": 3})
    cap.seeds(numpy=1, torch=2)
    cap.metric("loss", 0.5, split="validation", step=10)
    config = cap.write(tmp_path / "out").manifest["config"]
    assert config["path"] == "code/config.json"  # already in the snapshot: not copied twice
    assert config["hyperparameters"] == {"lr": 0.1, "layers": [8, 8]}
    assert config["seeds"] == {"numpy": 1, "torch": 2}
    assert config["metrics"] == [{"name": "loss", "direction": "minimize"}]
    assert config["early_stopping"]["patience"] == 3


def test_without_seeds_the_run_is_declared_nondeterministic(project: Path,
                                                            tmp_path: Path) -> None:
    cap = capture(project)
    cap.metric("m", 1)
    written = cap.write(tmp_path / "out")
    assert "reason" in written.manifest["config"]["nondeterminism"]
    assert written.warnings


@pytest.mark.parametrize("value", [math.nan, math.inf, True, "0.9"])
def test_metric_values_must_be_finite_numbers(project: Path, value: object) -> None:
    with pytest.raises(PackError):
        capture(project).metric("m", value)  # type: ignore[arg-type]


def test_seeds_must_be_integers(project: Path) -> None:
    with pytest.raises(PackError):
        capture(project).seeds(numpy=1.5)  # type: ignore[arg-type]


def test_results_are_required(project: Path, tmp_path: Path) -> None:
    with pytest.raises(PackError, match="results"):
        capture(project).write(tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_code_is_required(project: Path, tmp_path: Path) -> None:
    cap = capture(project, code=False)
    cap.metric("m", 1)
    with pytest.raises(PackError, match="code"):
        cap.write(tmp_path / "out")


def test_replay_narrative_governance_and_entry_points(project: Path, tmp_path: Path) -> None:
    cap = capture(project)
    cap.metric("accuracy", 0.9, split="test")
    cap.entry_point("prep", project / "src/prep.py", symbol="clean", command=["python", "x"])
    cap.replay(["python", "code/src/prep.py"], metrics_file="replay/m.json",
               metrics=[{"name": "accuracy", "split": "test", "tolerance": {"absolute": 0.1}}])
    cap.narrative(intent="test", limitations=["small"], biases=["none known"])
    cap.note("first")
    cap.note("second")
    cap.governance(creators=[{"name": "Ada", "email": "ada@example.org"}], license="MIT",
                   access="internal")
    manifest = cap.write(tmp_path / "out").manifest
    assert manifest["code"]["entry_points"][0]["path"] == "code/src/prep.py"
    assert manifest["replay"]["metrics"][0]["tolerance"] == {"absolute": 0.1}
    assert manifest["narrative"]["notes"] == "first\n\nsecond"
    assert manifest["governance"]["license"] == "MIT"


def test_files_that_break_path_rules_are_refused(project: Path, tmp_path: Path) -> None:
    (project / "src/AUX.py").write_text("pass\n")
    cap = capture(project)
    cap.metric("m", 1)
    with pytest.raises(PackError, match="AUX"):
        cap.write(tmp_path / "out")


def test_case_fold_twins_are_refused(project: Path, tmp_path: Path) -> None:
    (project / "src/Prep.py").write_text("pass\n")
    if (project / "src/prep.py").read_text() == "pass\n":
        pytest.skip("case-insensitive file system")
    cap = capture(project)
    cap.metric("m", 1)
    with pytest.raises(PackError, match="collides"):
        cap.write(tmp_path / "out")


def test_two_inputs_at_one_export_path_are_refused(project: Path, tmp_path: Path) -> None:
    other = tmp_path / "other" / "raw.csv"
    other.parent.mkdir()
    other.write_text("y\n")
    cap = capture(project)
    assert cap.dataset("a", other) == "a"
    assert cap.datasets["a"]["embedded"]["paths"] == ["data/raw.csv"]
    # the same file again is stored once; a different file at the same place is refused
    assert cap.artifact("same", other) == "data/raw.csv"
    third = tmp_path / "third.csv"
    third.write_text("z\n")
    with pytest.raises(PackError, match="dest"):
        cap.artifact("b", third, dest="data/raw.csv")


def test_tool_state_is_left_out_of_the_snapshot(project: Path, tmp_path: Path) -> None:
    (project / "src/__pycache__").mkdir()
    (project / "src/__pycache__/prep.cpython-311.pyc").write_bytes(b"\0")
    (project / ".git").mkdir()
    (project / ".git/HEAD").write_text("ref: x\n")
    (project / "link.py").symlink_to(project / "src/prep.py")
    cap = capture(project)
    cap.metric("m", 1)
    written = cap.write(tmp_path / "out")
    paths = [f["path"] for f in written.manifest["files"]]
    assert "code/src/prep.py" in paths
    assert not [p for p in paths if "__pycache__" in p or ".git/" in p or "link.py" in p]
    assert any("link.py" in w for w in written.warnings)


def test_local_paths_keep_their_place_in_the_project(project: Path, tmp_path: Path) -> None:
    cap = capture(project)
    (project / "data").mkdir()
    (project / "data/late.csv").write_text("made during the run\n")
    (project / "out").mkdir()
    (project / "out/model.pt").write_bytes(b"w")
    cap.dataset("late", project / "data/late.csv")
    assert cap.datasets["late"]["embedded"]["paths"] == ["data/late.csv"]
    assert cap.artifact("model", project / "out/model.pt") == "results/out/model.pt"


def test_a_previous_output_inside_the_code_is_not_packed(project: Path) -> None:
    first = capture(project)
    first.metric("m", 1)
    first.write(project / "old.tar")
    cap = capture(project)
    cap.metric("m", 1)
    written = cap.write(project / "old.tar", overwrite=True)
    assert "code/old.tar" not in {f["path"] for f in written.manifest["files"]}
