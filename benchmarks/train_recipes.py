"""Benchmark: train each recipe on the real data and print speed and test quality side by side.

    python benchmarks/train_recipes.py [--recipes default fast best ...] [--out benchmarks/results.json]

For each recipe: seconds per epoch, training images per second, training time, and test pixel
accuracy, mean IoU and mean Dice at threshold 0.5 (per image, then mean). Every recipe starts from
the kit's seed on the same split. Needs the dataset ($LUNGKIT_DATA, the cache or Kaggle). Run it on
an otherwise idle machine: the timings are wall-clock. ``benchmarks/plot_results.py`` draws the
README's figure from the results file.
"""
import argparse
import json
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reference.pipeline import train_and_evaluate  # noqa: E402


def original_schedule(epoch, lr=None):
    """The original answer's schedule: 1e-3, then divided by 10 every epoch after epoch 20."""
    return 1e-3 if epoch < 20 else 1e-3 * 0.1 ** (epoch - 20)


# The original assignment's two normalisations with the assignment's U-Net, then the kit's recipes
# (helpers.config.RECIPES), all with the HU window unless stated.
RECIPES = {
    "original notebook": dict(normalization="max", schedule=original_schedule),
    "original text": dict(normalization="minmax"),
    "default": dict(),
    "fast": dict(recipe="fast"),
    "best": dict(recipe="best"),
}


def machine():
    """The processor, its core count and TensorFlow's version: the context of every timing."""
    import tensorflow as tf

    cpuinfo = Path("/proc/cpuinfo")
    names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")] if cpuinfo.exists() else []
    processor = names[0] if names else platform.processor() or platform.machine()
    return f"{processor}, {len(os.sched_getaffinity(0))} cores, TensorFlow {tf.__version__}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", choices=RECIPES, default=list(RECIPES))
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results.json"))
    args = parser.parse_args(argv)
    rows = []
    for name in args.recipes:
        _, _, metrics, _ = train_and_evaluate(**{"recipe": "default", **RECIPES[name]})
        seconds, epochs = metrics["training_seconds"], metrics["epochs"]
        rows.append(
            {
                "recipe": name,
                "seconds_per_epoch": round(seconds / epochs, 1),
                "images_per_second": round(metrics["train_images"] * epochs / seconds, 1),
                **{k: metrics[k] for k in ("training_seconds", "test_accuracy", "test_mean_iou", "test_mean_dice", "epochs", "unet")},
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    context = machine()
    args.out.write_text(json.dumps({"machine": context, "rows": rows}, indent=2) + "\n")
    print(f"machine: {context}")
    header = f"{'recipe':18s} {'s/epoch':>8s} {'img/s':>6s} {'train s':>8s} {'test acc':>8s} {'IoU':>6s} {'Dice':>6s}"
    print(header)
    for row in rows:
        print(
            f"{row['recipe']:18s} {row['seconds_per_epoch']:8.1f} {row['images_per_second']:6.1f} "
            f"{row['training_seconds']:8.0f} {row['test_accuracy']:8.3f} {row['test_mean_iou']:6.3f} {row['test_mean_dice']:6.3f}"
        )


if __name__ == "__main__":
    main()
