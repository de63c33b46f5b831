"""The main job, in fast mode, on the real data."""
import json

from helpers import FAST_MODE
from reference.pipeline import main


def test_main_job_writes_metrics_weights_and_figures(real_dataset, tmp_path):
    assert FAST_MODE, "this test trains, so it runs in fast mode only"
    main(["--out", str(tmp_path), "--data", str(real_dataset)])
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert set(metrics) >= {"test_accuracy", "test_mean_iou", "val_accuracy", "epochs", "training_seconds"}
    assert metrics["train_images"] == 160 and metrics["recipe"] == "default" and metrics["unet"]["base_filters"] == 16
    assert 0.0 <= metrics["test_mean_iou"] <= 1.0 and metrics["test_accuracy"] > 0.5
    for name in ("unet.weights.h5", "training.json", "history.png", "predictions.png"):
        assert (tmp_path / name).stat().st_size > 0
