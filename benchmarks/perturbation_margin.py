"""How far the test mean IoU falls on test slices moved within the assignment's augmentation
(``grading/judging/perturb.py``): for trained U-Nets, and for a lookup table of the public slices.

The grader requires a handed-in model to keep its IoU there within ``questions.PERTURBED_MARGIN``
of its plain test IoU; this prints the evidence for that margin. The lookup table is what a
memorising network computes: it finds the public slice most like its input and draws that
slice's stored mask (perfect on the plain test slices).

    python benchmarks/perturbation_margin.py ARTIFACTS_FOLDER... [--seeds 10]

Each folder holds a ``training.json`` and weights (``python -m reference.pipeline --out DIR``).
Results are appended to ``benchmarks/perturbation.json`` as they come.
"""
import argparse
import json
import platform
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import helpers  # noqa: E402, F401: the kit's TensorFlow settings, before Keras starts
from grading.judging.perturb import perturbed  # noqa: E402
from helpers.artifacts import load_training  # noqa: E402
from helpers.data import load_data  # noqa: E402
from helpers.dataset import find_dataset  # noqa: E402
from helpers.metrics import per_image_scores  # noqa: E402

RESULTS = Path(__file__).with_name("perturbation.json")


def lookup_table(stored_images, stored_masks):
    """A memoriser: the stored mask of the stored slice nearest (in pixels) to each input."""
    flat = stored_images.reshape(len(stored_images), -1)

    def predict(images):
        distances = ((images.reshape(len(images), -1)[:, None, :] - flat[None]) ** 2).sum(-1)
        return stored_masks[distances.argmin(1)].astype(np.float32)

    return predict


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    data = find_dataset()
    _, (val_images, val_masks), (test_images, test_masks) = load_data(data / "2d_images", data / "2d_masks")
    models = {"lookup table of the public slices": lookup_table(np.concatenate([val_images, test_images]),
                                                                np.concatenate([val_masks, test_masks]))}
    for folder in args.folders:
        model, settings = load_training(folder)[0], json.loads((folder / "training.json").read_text())
        what = "fast mode" if settings.get("fast_mode") else f"recipe {settings.get('recipe')}"
        models[f"U-Net {settings['unet']}, {settings.get('epochs')} epochs ({what})"] = (
            lambda images, model=model: model.predict(images, verbose=0))
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else []
    for name, predict in models.items():
        plain = per_image_scores(test_masks, predict(test_images)).mean()
        drops = []
        for seed in range(args.seeds):
            images, masks = perturbed(test_images, test_masks, np.random.default_rng(seed))
            drops.append(plain - per_image_scores(masks, predict(images)).mean())
        result = {"model": name, "plain": round(float(plain), 4), "drops": [round(float(d), 4) for d in drops],
                  "machine": platform.processor() or platform.machine()}
        results.append(result)
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
        print(f"{name}: test mean IoU {plain:.4f}; on moved slices it falls by {np.mean(drops):.4f} on average, "
              f"{np.max(drops):.4f} at most ({args.seeds} seeds)")


if __name__ == "__main__":
    main()
