"""Benchmark: the instructor's figures for notebook 5's open experiment, three seeds of the fast recipe.

    python benchmarks/postprocessing_reference.py [--seeds 220 1 2] [--out helpers/postprocessing_reference.json]

For each seed the fast recipe is trained, and each post-processing candidate (keep every region, or the
1, 2, 3 largest) is scored on the validation slices with the mean IoU and the mean HD95, and on the test
slices with the mean IoU. Runs are appended to ``--out`` as they finish (the student release ships it,
so that a student's two seeds can be placed among the instructor's); run it again to go on. Needs the dataset.
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
from helpers.metrics import hausdorff_95, mean_score  # noqa: E402
from helpers.postprocessing import CANDIDATES, keep_largest_components  # noqa: E402
from reference.pipeline import train_and_evaluate  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "helpers" / "postprocessing_reference.json"


def scores(masks, probabilities, count):
    """Mean IoU and mean HD95 (over the slices where both masks have lung) after keeping ``count`` regions."""
    kept = [keep_largest_components(p > 0.5, count) for p in probabilities]
    hd95 = [hausdorff_95(m, k) for m, k in zip(masks, kept)]
    return mean_score(masks, kept), float(np.mean([d for d in hd95 if np.isfinite(d)]))


def run(seed):
    """One seed of the fast recipe: each candidate's validation IoU and HD95 and test IoU."""
    model, _, metrics, (test, test_probabilities) = train_and_evaluate(recipe="fast", seed=seed)
    folder = find_dataset()
    _, (images, masks), _ = load_data(folder / IMAGE_SUBDIR, folder / MASK_SUBDIR)
    val_probabilities = model.predict(images, verbose=0)
    candidates = {}
    for count in CANDIDATES:
        val_iou, val_hd95 = scores(masks, val_probabilities, count)
        candidates[str(count)] = {"val_iou": round(val_iou, 5), "val_hd95": round(val_hd95, 3),
                                  "test_iou": round(scores(test[1], test_probabilities, count)[0], 5)}
    return {"seed": seed, "recipe": "fast", "training_seconds": metrics["training_seconds"], "candidates": candidates}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[220, 1, 2])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    context = machine()
    runs = json.loads(args.out.read_text())["runs"] if args.out.is_file() else []
    print(f"machine: {context}")
    for seed in args.seeds:
        if any(r["seed"] == seed for r in runs):
            continue
        runs.append({**run(seed), "machine": context})
        args.out.write_text(json.dumps({"runs": runs}, indent=1) + "\n")  # as they come
        figures = ", ".join(f"{count}: {c['val_iou']:.4f} / {c['val_hd95']:.2f} px" for count, c in runs[-1]["candidates"].items())
        print(f"seed {seed} in {runs[-1]['training_seconds']} s; validation IoU / HD95 by regions kept: {figures}", flush=True)


if __name__ == "__main__":
    main()
