"""Save a trained U-Net with its history, and load it back (notebook 4 to notebook 5)."""
import json
from pathlib import Path

import numpy as np

from .config import ARTIFACTS_DIR, FAST_MODE, GRADING, IMAGE_SIZE
from .model import U_Net

WEIGHTS_FILE = "unet.weights.h5"
TRAINING_FILE = "training.json"


def training_dir():
    """Where notebook 4 saves: ``artifacts/``, or ``artifacts/fast/`` in fast mode."""
    return ARTIFACTS_DIR / "fast" if FAST_MODE else ARTIFACTS_DIR


def save_training(model, history, unet, folder=None, **details):
    """Write the weights and ``training.json`` (history, ``unet``: U_Net's keyword arguments,
    ``details``) to ``folder``."""
    folder = Path(folder or training_dir())
    folder.mkdir(parents=True, exist_ok=True)
    model.save_weights(folder / WEIGHTS_FILE)
    record = {"unet": unet, "history": _plain(history), **details}
    (folder / TRAINING_FILE).write_text(json.dumps(record, indent=2))
    return folder


def load_training(folder=None):
    """The U-Net with trained weights (not compiled), and the record saved by ``save_training``.

    By default the fully trained model in ``artifacts/``; in fast mode, when there is none,
    the fast one (except when grading: a submission is graded on the weights it hands in).
    """
    if folder is None:
        full = (ARTIFACTS_DIR / WEIGHTS_FILE).is_file()
        folder = ARTIFACTS_DIR if full or GRADING or not FAST_MODE else ARTIFACTS_DIR / "fast"
    folder = Path(folder)
    weights, record_file = folder / WEIGHTS_FILE, folder / TRAINING_FILE
    for path in (weights, record_file):
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} not found: run notebook 4 (training) in full mode first, it saves the "
                "trained model there; hand in that folder with your notebooks"
            )
    record = json.loads(record_file.read_text())
    model = U_Net(**record["unet"])
    model(np.zeros((1, *IMAGE_SIZE, 1), np.float32))  # create the variables before loading
    model.load_weights(weights)
    record["folder"] = str(folder)
    return model, record


def _plain(history):
    """A Keras history dict as JSON-ready lists of floats."""
    return {name: [float(v) for v in values] for name, values in history.items()}
