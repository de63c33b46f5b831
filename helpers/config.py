"""The kit's configuration: the assignment's constants, training recipes and fast mode.

Training recipes (measured in ``benchmarks/train_recipes.py``, table in the README): pick one
with the environment variable ``LUNGKIT_RECIPE`` or in notebook 4; without either, ``default`` where
an NVIDIA GPU is found and ``fast`` elsewhere.

- ``default``: the assignment's U-Net (64 filters) for 40 epochs; about 13 minutes on 2 CPU cores.
- ``fast``: ``best``'s design with 16 filters, 40 epochs; about 3.5 minutes: the recipe for a CPU.
- ``best``: two convolutions per level and three levels (32 filters), 60 epochs; about 12 minutes.

``fast`` and ``best`` need the optional part of question 1b.6 (``depth`` and ``convs_per_level``).

Fast mode, ``LUNGKIT_FAST=1``, is a smoke run for CI and quick checks, not a recipe: 10 epochs
of a U-Net with 16 filters, saved apart from a real run (``artifacts/fast/``) so that it never
replaces one. Everything else (data, split, evaluation) is the same in every mode.
"""
import os
import shutil
from pathlib import Path



def _flag(name):
    return os.environ.get(name, "0").strip().lower() not in ("", "0", "false", "no")


FAST_MODE = _flag("LUNGKIT_FAST")
# Set by the autograder: notebook 5 then grades the submitted trained weights only.
GRADING = _flag("LUNGKIT_GRADING")

IMAGE_SIZE = (128, 128)
TRAIN_VAL_TEST_SPLIT = (0.6, 0.2, 0.2)
BATCH_SIZE = 16
SEED = 220
# The assignment's augmentation (question 1b.3): small shifts, rotations and zooms, the kind of
# variation between patients and scanners. Pixels moved in from outside the slice are filled
# with 0 (air after the HU window, no lung in the mask).
AUGMENTATION = dict(
    width_shift_range=0.1,
    height_shift_range=0.1,
    rotation_range=10,
    zoom_range=0.1,
    fill_mode="constant",
    cval=0.0,
)
# Keras progress: one line per epoch keeps notebook outputs and CI logs short.
VERBOSE = 2

# Each recipe: U_Net's keyword arguments, the parameters that U-Net has (notebook 4 checks that the student's
# U_Net builds it) and the number of epochs (the schedule is the same). "fast" is the best's design with 16
# filters, chosen on validation by benchmarks/search_fast.py (search.json).
RECIPES = {
    "default": dict(unet=dict(base_filters=64, depth=2, convs_per_level=1), parameters=902_593, epochs=40),
    "fast": dict(unet=dict(base_filters=16, depth=3, convs_per_level=2), parameters=481_745, epochs=40),
    "best": dict(unet=dict(base_filters=32, depth=3, convs_per_level=2), parameters=1_925_025, epochs=60),
}
FAST_MODE_UNET = dict(base_filters=16, depth=2, convs_per_level=1)


def gpu_found():
    """Whether an NVIDIA GPU is visible (its driver's device or tool), without starting TensorFlow."""
    return Path("/dev/nvidia0").exists() or shutil.which("nvidia-smi") is not None


RECIPE = (os.environ.get("LUNGKIT_RECIPE") or ("default" if gpu_found() else "fast")).strip().lower()


def training_settings(recipe=RECIPE):
    """``(epochs, unet)`` for ``recipe``: its epochs and U_Net keyword arguments.

    Fast mode trains a small U-Net for 10 epochs. Grading trains one epoch only, to check
    that the student's training code runs: the trained-model questions are graded on the
    weights the student hands in.
    """
    if recipe not in RECIPES:
        raise ValueError(f"recipe {recipe!r} (set by LUNGKIT_RECIPE or notebook 4): choose one of {', '.join(RECIPES)}")
    epochs, unet = RECIPES[recipe]["epochs"], RECIPES[recipe]["unet"]
    if FAST_MODE:
        epochs, unet = 10, FAST_MODE_UNET
    return (1 if GRADING else epochs), dict(unet)


EPOCHS, UNET = training_settings()

# CT intensities are calibrated in Hounsfield units: air -1000, water 0.
# The window keeps lung (about -900 to -500) and soft tissue comparable
# across scans; everything outside is clipped.
HU_WINDOW = (-1000.0, 400.0)

# Where trained weights, histories, metrics and figures go: an environment
# variable, else ``artifacts/`` beside the helpers package (the repository
# root, or the assignment folder of the student release).
ARTIFACTS_DIR = Path(os.environ.get("LUNGKIT_ARTIFACTS", Path(__file__).resolve().parent.parent / "artifacts"))
