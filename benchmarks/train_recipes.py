"""Benchmark: train each recipe on the real data and print speed and test quality side by side.

    python benchmarks/train_recipes.py [--recipes default fast-32 ...] [--out benchmarks/results.json]

For each recipe: seconds per epoch, training images per second, training time, and test pixel
accuracy, mean IoU and mean Dice at threshold 0.5 (per image, then mean). Every recipe starts from
the kit's seed on the same split. Needs the dataset ($LUNGKIT_DATA, the cache or Kaggle). Run it on
an otherwise idle machine: the timings are wall-clock.
"""
import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers.pipeline import bce_dice_loss, train_and_evaluate  # noqa: E402


def original_schedule(epoch, lr=None):
    """The original answer's schedule: 1e-3, then divided by 10 every epoch after epoch 20."""
    return 1e-3 if epoch < 20 else 1e-3 * 0.1 ** (epoch - 20)


# Each recipe changes the kit's default (HU window, 64 filters, 40 epochs, exp decay, BCE).
RECIPES = {
    "original notebook": dict(normalization="max", schedule=original_schedule),
    "original text": dict(normalization="minmax"),
    "default": dict(),
    "bce-dice-60": dict(loss=bce_dice_loss, epochs=60),
    "fast-32": dict(base_filters=32),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", choices=RECIPES, default=list(RECIPES))
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results.json"))
    args = parser.parse_args(argv)
    rows = []
    for name in args.recipes:
        settings = {"epochs": 40, "base_filters": 64, **RECIPES[name]}
        _, _, metrics, _ = train_and_evaluate(**settings)
        seconds = metrics["training_seconds"]
        rows.append(
            {
                "recipe": name,
                "seconds_per_epoch": round(seconds / settings["epochs"], 1),
                "images_per_second": round(metrics["train_images"] * settings["epochs"] / seconds, 1),
                **{k: metrics[k] for k in ("training_seconds", "test_accuracy", "test_mean_iou", "test_mean_dice", "epochs")},
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    args.out.write_text(json.dumps(rows, indent=2))
    header = f"{'recipe':18s} {'s/epoch':>8s} {'img/s':>6s} {'train s':>8s} {'test acc':>8s} {'IoU':>6s} {'Dice':>6s}"
    print(header)
    for row in rows:
        print(
            f"{row['recipe']:18s} {row['seconds_per_epoch']:8.1f} {row['images_per_second']:6.1f} "
            f"{row['training_seconds']:8.0f} {row['test_accuracy']:8.3f} {row['test_mean_iou']:6.3f} {row['test_mean_dice']:6.3f}"
        )


if __name__ == "__main__":
    main()
