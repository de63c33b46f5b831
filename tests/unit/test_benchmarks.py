"""The benchmark's figure script: a figure from a results file, a clear error without one."""
import json
import subprocess
import sys
from pathlib import Path

PLOT = Path(__file__).resolve().parents[2] / "benchmarks" / "plot_results.py"


def plot(*args):
    return subprocess.run([sys.executable, str(PLOT), *map(str, args)], capture_output=True, text=True)


def test_figure_from_a_results_file(tmp_path):
    rows = [
        {"recipe": "fast", "training_seconds": 264.0, "test_mean_iou": 0.93},
        {"recipe": "best", "training_seconds": 745.0, "test_mean_iou": 0.95},
    ]
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"machine": "a test machine", "rows": rows}))
    run = plot("--results", results, "--out", tmp_path / "recipes.png")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "recipes.png").read_bytes().startswith(b"\x89PNG")


def test_missing_results_say_to_run_the_benchmark(tmp_path):
    run = plot("--results", tmp_path / "nothing.json", "--out", tmp_path / "recipes.png")
    assert run.returncode != 0 and "run benchmarks/train_recipes.py first" in run.stderr
    assert not (tmp_path / "recipes.png").exists()
