"""The kit's configuration: the assignment's constants and the fast mode switch.

Set the environment variable ``LUNGKIT_FAST=1`` for fast mode: training
shrinks to 10 epochs of a U-Net with a quarter of the filters so that CI and autograding
finish in minutes on a CPU. Everything else (data, split, evaluation) is the
same as in full mode. A model trained in fast mode is saved apart from a
fully trained one (``artifacts/fast/``), so it never replaces it.
"""
import os
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
# Grading trains one epoch only to check that the student's training code runs: the
# trained-model questions are graded on the weights the student hands in.
EPOCHS = 1 if GRADING else 10 if FAST_MODE else 40
# The U-Net's first level width; the deeper levels double it (64/128/256).
BASE_FILTERS = 16 if FAST_MODE else 64
# Keras progress: one line per epoch keeps notebook outputs and CI logs short.
VERBOSE = 2

# CT intensities are calibrated in Hounsfield units: air -1000, water 0.
# The window keeps lung (about -900 to -500) and soft tissue comparable
# across scans; everything outside is clipped.
HU_WINDOW = (-1000.0, 400.0)

# Where trained weights, histories, metrics and figures go: an environment
# variable, else ``artifacts/`` beside the helpers package (the repository
# root, or the assignment folder of the student release).
ARTIFACTS_DIR = Path(os.environ.get("LUNGKIT_ARTIFACTS", Path(__file__).resolve().parent.parent / "artifacts"))
