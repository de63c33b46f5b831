"""Benchmark: train each recipe on the real data and print speed and test quality side by side.

    python benchmarks/train_recipes.py [--recipes default fast best ...] [--out benchmarks/results.json]

For each recipe: seconds per epoch, training images per second, training time, and test pixel
accuracy, mean IoU and mean Dice at threshold 0.5 (per image, then mean). Every recipe starts from
the kit's seed on the same split; the table puts each beside ``default``. Needs the dataset
($LUNGKIT_DATA, the cache or Kaggle). Run it on an otherwise idle machine: the timings are
wall-clock. The results file is written after each recipe; ``--resume`` goes on from an interrupted
run on the same machine. ``benchmarks/plot_results.py`` draws the README's figure from it.
"""
import argparse
import json
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers.config import SEED  # noqa: E402
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


# The vector instructions that decide TensorFlow's CPU speed: oneDNN is on by default only with the last three.
ISA_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile")


def machine():
    """The processor, its vector instructions, its core count and TensorFlow's version: the context of every
    timing."""
    import tensorflow as tf

    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    flags = next((set(line.split(":", 1)[1].split()) for line in lines if line.startswith("flags")), set())
    processor = names[0] if names else platform.processor() or platform.machine()
    isa = "/".join(flag for flag in ISA_FLAGS if flag in flags) or "no AVX2"
    return f"{processor} ({isa}), {len(os.sched_getaffinity(0))} cores, TensorFlow {tf.__version__}"


def table(rows):
    """The rows side by side, as lines, with each recipe's training time and test mean IoU against
    ``default``'s (the time as a ratio: the fast recipe's goal is 0.40 or less)."""
    default = next((row for row in rows if row["recipe"] == "default"), None)
    lines = [f"{'recipe':18s} {'s/epoch':>8s} {'img/s':>6s} {'train s':>8s} {'test acc':>8s} {'IoU':>6s} {'Dice':>6s}"
             f" {'time/default':>12s} {'IoU-default':>11s}"]
    for row in rows:
        ratio = f"{row['training_seconds'] / default['training_seconds']:12.2f}" if default else f"{'':12s}"
        gain = f"{row['test_mean_iou'] - default['test_mean_iou']:+11.3f}" if default else ""
        lines.append(f"{row['recipe']:18s} {row['seconds_per_epoch']:8.1f} {row['images_per_second']:6.1f} "
                     f"{row['training_seconds']:8.0f} {row['test_accuracy']:8.3f} {row['test_mean_iou']:6.3f} "
                     f"{row['test_mean_dice']:6.3f} {ratio} {gain}")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", choices=RECIPES, default=list(RECIPES))
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results.json"))
    parser.add_argument("--seed", type=int, default=SEED, help="the seed of every recipe (default: the kit's, %(default)s)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the recipes --out already holds from this machine and train only the others")
    args = parser.parse_args(argv)
    context = machine()
    kept = json.loads(args.out.read_text()) if args.resume and args.out.is_file() else {}
    rows = kept.get("rows", []) if kept.get("machine") == context else []
    print(f"machine: {context}")
    for name in args.recipes:
        if any(row["recipe"] == name for row in rows):
            continue
        _, _, metrics, _ = train_and_evaluate(**{"recipe": "default", **RECIPES[name]}, seed=args.seed)
        seconds, epochs = metrics["training_seconds"], metrics["epochs"]
        rows.append(
            {
                "recipe": name,
                "seconds_per_epoch": round(seconds / epochs, 1),
                "images_per_second": round(metrics["train_images"] * epochs / seconds, 1),
                **{k: metrics[k] for k in ("training_seconds", "test_accuracy", "test_mean_iou", "test_mean_dice", "epochs",
                                           "unet", "seed")},
            }
        )
        args.out.write_text(json.dumps({"machine": context, "rows": rows}, indent=2) + "\n")  # as they come
        print(json.dumps(rows[-1]), flush=True)
    print("\n".join(table(rows)))


if __name__ == "__main__":
    main()
