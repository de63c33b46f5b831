"""The lung segmentation course kit's library: data, augmentation, U-Net, training, metrics, post-processing.

Each module is imported when one of its names is first used, so that code that needs no model
(loading the data, the schedule, the IoU) never waits for TensorFlow to start.
"""
import importlib
import os
import platform

# Before TensorFlow is first imported: quieten its Python-side start-up messages, and on an x86 CPU
# use oneDNN's kernels, which train the kit's U-Nets about twice as fast (README, "Training time");
# TensorFlow turns them on by itself only on CPUs with AVX-512 VNNI, BF16 or AMX. A user's own
# setting of either variable is kept.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
if platform.machine().lower() in ("x86_64", "amd64"):
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

EXPORTS = {
    "architecture": ("layer_table",),
    "artifacts": ("load_training", "save_training", "training_dir"),
    "augmentation": ("augmented_dataset", "create_generator"),
    "config": ("ARTIFACTS_DIR", "AUGMENTATION", "BATCH_SIZE", "EPOCHS", "FAST_MODE", "GRADING", "HU_WINDOW", "IMAGE_SIZE", "RECIPE",
               "RECIPES", "SEED", "TRAIN_VAL_TEST_SPLIT", "UNET", "VERBOSE", "training_settings"),
    "data": ("load_data", "read_tif", "split_dataset"),
    "dataset": ("DatasetError", "find_dataset"),
    "metrics": ("compute_IoU", "hausdorff_95", "mean_score", "paired_bootstrap", "per_image_scores"),
    "model": ("U_Net",),
    "postprocessing": ("CANDIDATES", "choose_postprocessing", "keep_largest_components"),
    "plots": ("plot_errors", "plot_history", "plot_pairs", "plot_predictions"),
    "training": ("scheduler",),
}
MODULE_OF = {name: module for module, names in EXPORTS.items() for name in names}
__all__ = sorted(MODULE_OF)


def __getattr__(name):
    """A module of the package, or one of its names, imported on first use."""
    if name in EXPORTS:
        return importlib.import_module(f".{name}", __name__)
    if name not in MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{MODULE_OF[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *__all__})
