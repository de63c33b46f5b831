"""IoU and Dice edge cases, and the per-image mean."""
import numpy as np
import pytest

from helpers import ImageIoU, compute_dice, compute_IoU, image_ious, mean_score, per_image_scores

A = np.array([[1, 1, 0, 0]])
B = np.array([[0, 1, 1, 0]])


def test_iou_of_partial_overlap():
    assert compute_IoU(A, B) == pytest.approx(1 / 3)
    assert compute_dice(A, B) == pytest.approx(1 / 2)


@pytest.mark.parametrize("metric", [compute_IoU, compute_dice])
def test_identical_disjoint_and_empty_masks(metric):
    empty = np.zeros_like(A)
    assert metric(A, A) == 1.0
    assert metric(A, 1 - A) == 0.0
    assert metric(A, empty) == 0.0
    assert metric(empty, empty) == 1.0  # nothing to find, nothing found: not NaN


def test_accepts_booleans_and_probabilities_thresholded_by_caller():
    assert compute_IoU(A.astype(bool), np.array([[0.9, 0.6, 0.2, 0.0]]) > 0.5) == 1.0


def test_mean_is_per_image_then_mean():
    masks = np.stack([A, np.ones_like(A)])
    probabilities = np.stack([B, np.ones_like(A)]).astype(float)
    # Pooled over all pixels IoU would be 5/7; per image it is (1/3 + 1) / 2.
    assert mean_score(masks, probabilities) == pytest.approx(2 / 3)


def test_keras_iou_is_the_numpy_iou_per_image():
    rng = np.random.default_rng(1)
    masks = (rng.random((6, 16, 16, 1)) > 0.6).astype(np.int16)  # int16, as load_data gives them
    probabilities = rng.random((6, 16, 16, 1)).astype(np.float32)
    masks[0], probabilities[0] = 0, 0.2  # nothing to find, nothing found: 1.0
    masks[1], probabilities[1] = 1, 0.2  # all missed: 0.0
    np.testing.assert_allclose(np.asarray(image_ious(masks, probabilities)), per_image_scores(masks, probabilities), atol=1e-6)
    np.testing.assert_allclose(np.asarray(image_ious(masks, probabilities, 0.1)), per_image_scores(masks, probabilities, 0.1),
                               atol=1e-6)


def test_iou_metric_is_the_mean_per_image_over_batches_of_any_size():
    rng = np.random.default_rng(2)
    masks = (rng.random((5, 16, 16, 1)) > 0.5).astype(np.float32)
    probabilities = rng.random((5, 16, 16, 1)).astype(np.float32)
    metric = ImageIoU()
    metric.update_state(masks[:1], probabilities[:1])
    metric.update_state(masks[1:], probabilities[1:])
    assert metric.name == "iou"
    assert float(metric.result()) == pytest.approx(mean_score(masks, probabilities), abs=1e-6)
