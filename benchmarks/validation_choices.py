"""Benchmark: the kit's choices compared on the validation slices, with three seeds each.

    python benchmarks/validation_choices.py [--choices window minmax] [--seeds 220 1 2] [--out ...]

Each choice is trained from each seed on the same split; the per-slice validation IoUs (threshold 0.5)
are kept, so that two choices are compared slice by slice: the mean over seeds of each slice's IoU,
then the mean of the per-slice differences with a 95% paired-bootstrap interval. Runs are appended to
``--out`` as they finish; run it again to go on (a run on another machine is kept apart). Needs the
dataset; run it on an otherwise idle machine.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.train_recipes import machine  # noqa: E402
from helpers.data import load_data  # noqa: E402
from helpers.dataset import IMAGE_SUBDIR, MASK_SUBDIR, find_dataset  # noqa: E402
from helpers.metrics import paired_bootstrap, per_image_scores  # noqa: E402
from reference.pipeline import train_and_evaluate  # noqa: E402

# Each choice: train_and_evaluate's arguments. The first is the one the others are compared with.
CHOICES = {
    "window": dict(recipe="fast"),
    "minmax": dict(recipe="fast", normalization="minmax"),
    "default": dict(recipe="default"),
    "best": dict(recipe="best"),
}


def train(choice, seed):
    """One run: ``choice`` from ``seed``, with its validation IoU per slice."""
    model, _, metrics, _ = train_and_evaluate(**CHOICES[choice], seed=seed)
    folder = find_dataset()
    _, (images, masks), _ = load_data(folder / IMAGE_SUBDIR, folder / MASK_SUBDIR, metrics["normalization"])
    ious = per_image_scores(masks, model.predict(images, verbose=0))
    return {"choice": choice, "seed": seed, "training_seconds": metrics["training_seconds"],
            "val_ious": [round(float(iou), 5) for iou in ious]}


def summary(runs, baseline):
    """Lines: each choice's validation mean IoU per seed, and its paired difference from ``baseline``."""
    by_choice = {}
    for run in runs:
        by_choice.setdefault(run["choice"], {})[run["seed"]] = np.array(run["val_ious"])
    lines = []
    for choice, seeds in by_choice.items():
        means = ", ".join(f"{seed}: {ious.mean():.4f}" for seed, ious in seeds.items())
        line = f"{choice:8s} validation mean IoU by seed {means}"
        shared = sorted(set(seeds) & set(by_choice.get(baseline, {})))
        if choice != baseline and shared:
            mine = np.mean([seeds[s] for s in shared], axis=0)
            theirs = np.mean([by_choice[baseline][s] for s in shared], axis=0)
            mean, low, high = paired_bootstrap(theirs, mine)
            line += f"; minus {baseline} over seeds {shared}: {mean:+.4f} (95% paired bootstrap {low:+.4f} to {high:+.4f})"
        lines.append(line)
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--choices", nargs="+", choices=CHOICES, default=["window", "minmax"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[220, 1, 2])
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("validation.json"))
    args = parser.parse_args(argv)
    context = machine()
    runs = json.loads(args.out.read_text())["runs"] if args.out.is_file() else []
    print(f"machine: {context}")
    for seed in args.seeds:
        for choice in args.choices:
            if any(r["choice"] == choice and r["seed"] == seed and r["machine"] == context for r in runs):
                continue
            runs.append({**train(choice, seed), "machine": context})
            args.out.write_text(json.dumps({"runs": runs}, indent=1) + "\n")  # as they come
            print(f"{choice}, seed {seed}: {np.mean(runs[-1]['val_ious']):.4f} in {runs[-1]['training_seconds']} s", flush=True)
    print("\n".join(summary([r for r in runs if r["machine"] == context], args.choices[0])))


if __name__ == "__main__":
    main()
