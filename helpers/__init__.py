"""The lung segmentation course kit's library: data, augmentation, U-Net, training, metrics."""
import os

# Quieten TensorFlow's Python-side start-up messages before it is first imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .artifacts import load_training, save_training, training_dir  # noqa: E402
from .augmentation import AUGMENTATION, augmented_dataset, create_generator  # noqa: E402
from .config import (  # noqa: E402
    ARTIFACTS_DIR,
    BATCH_SIZE,
    EPOCHS,
    FAST_MODE,
    GRADING,
    HU_WINDOW,
    IMAGE_SIZE,
    RECIPE,
    RECIPES,
    SEED,
    TRAIN_VAL_TEST_SPLIT,
    UNET,
    VERBOSE,
    training_settings,
)
from .data import load_data, read_tif, split_dataset  # noqa: E402
from .dataset import DatasetError, find_dataset  # noqa: E402
from .metrics import ImageIoU, compute_dice, compute_IoU, image_ious, mean_score, per_image_scores  # noqa: E402
from .model import U_Net  # noqa: E402
from .plots import plot_errors, plot_history, plot_pairs, plot_predictions  # noqa: E402
from .training import scheduler  # noqa: E402
