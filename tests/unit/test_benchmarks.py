"""The benchmarks: the figure script (a figure from a results file, a clear error without one) and the recipes'
table, written as it comes, resumable and set beside the default recipe."""
import json
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
PLOT = BENCHMARKS / "plot_results.py"
sys.path.insert(0, str(BENCHMARKS))  # train_recipes, as its own folder imports it


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


def recipe_row(name, seconds, iou):
    return {"recipe": name, "seconds_per_epoch": seconds / 40, "images_per_second": 8.0, "training_seconds": seconds,
            "test_accuracy": 0.98, "test_mean_iou": iou, "test_mean_dice": 0.97, "epochs": 40, "unet": {}}


def test_the_table_puts_each_recipe_beside_default():
    import train_recipes

    header, default, fast = train_recipes.table([recipe_row("default", 800.0, 0.940), recipe_row("fast", 300.0, 0.951)])
    assert "time/default" in header and "IoU-default" in header
    assert default.split()[-2:] == ["1.00", "+0.000"] and fast.split()[-2:] == ["0.38", "+0.011"]


def test_an_interrupted_run_resumes_with_the_recipes_it_had_not_trained(tmp_path, monkeypatch):
    """Each recipe's row is written as it comes; --resume on the same machine trains only the others."""
    import train_recipes

    trained = []

    def train(recipe="default", **_):
        trained.append(recipe)
        return None, None, {"training_seconds": 100.0, "epochs": 4, "train_images": 160, "test_accuracy": 0.9,
                            "test_mean_iou": 0.9, "test_mean_dice": 0.9, "unet": {}, "seed": 220}, None

    monkeypatch.setattr(train_recipes, "train_and_evaluate", train)
    monkeypatch.setattr(train_recipes, "machine", lambda: "this machine")
    out = tmp_path / "results.json"
    out.write_text(json.dumps({"machine": "this machine", "rows": [recipe_row("default", 800.0, 0.94)]}))
    train_recipes.main(["--recipes", "default", "fast", "--out", str(out), "--resume"])
    assert trained == ["fast"]
    assert [row["recipe"] for row in json.loads(out.read_text())["rows"]] == ["default", "fast"]
    out.write_text(json.dumps({"machine": "another machine", "rows": [recipe_row("default", 800.0, 0.94)]}))
    train_recipes.main(["--recipes", "default", "--out", str(out), "--resume"])
    assert trained == ["fast", "default"], "another machine's timings are not this one's"
