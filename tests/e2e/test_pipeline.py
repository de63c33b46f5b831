"""The main job, in fast mode, on the real data: the session's ``fast_weights`` are its output
(``python -m reference.pipeline --out FOLDER`` with LUNGKIT_FAST=1), trained once for every test."""
import json

from helpers.config import RECIPE


def test_main_job_writes_metrics_weights_and_figures(fast_weights):
    metrics = json.loads((fast_weights / "metrics.json").read_text())
    assert set(metrics) >= {"test_accuracy", "test_mean_iou", "val_accuracy", "epochs", "training_seconds"}
    # the recipe without LUNGKIT_RECIPE (fast without a GPU), its U-Net the fast mode's
    assert metrics["train_images"] == 160 and metrics["recipe"] == RECIPE and metrics["unet"]["base_filters"] == 16
    assert 0.0 <= metrics["test_mean_iou"] <= 1.0 and metrics["test_accuracy"] > 0.5
    for name in ("unet.weights.h5", "training.json", "history.png", "predictions.png"):
        assert (fast_weights / name).stat().st_size > 0
