"""Draw the README's figure: test mean IoU against training time, one point per recipe.

    python benchmarks/plot_results.py [--results benchmarks/results.json] [--out benchmarks/recipes.png]
"""
import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=HERE / "results.json")
    parser.add_argument("--out", type=Path, default=HERE / "recipes.png")
    args = parser.parse_args(argv)
    if not args.results.is_file():
        raise SystemExit(f"{args.results} not found: run benchmarks/train_recipes.py first")
    results = json.loads(args.results.read_text())
    figure, axes = plt.subplots(figsize=(7, 4.5))
    shown = {}
    for row in results["rows"]:
        shown.setdefault(row["recipe"], row)  # a repeated recipe: its first run, as in the README's table
    for name, row in shown.items():
        minutes = row["training_seconds"] / 60
        axes.scatter(minutes, row["test_mean_iou"], s=50, label=f"{name}: {minutes:.1f} min, IoU {row['test_mean_iou']:.3f}")
    axes.axhline(0.95, color="grey", linestyle=":", linewidth=1, label="0.95, the best recipe's goal")
    axes.set_xlim(0, None)
    axes.legend(loc="lower left", fontsize=8)
    axes.set_xlabel("training time (minutes)")
    axes.set_ylabel("test mean IoU (threshold 0.5)")
    axes.set_title(f"Training recipes on {results['machine']}", fontsize=9)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
