"""IoU and Dice edge cases, and the per-image mean."""
import numpy as np
import pytest

from helpers import compute_dice, compute_IoU, mean_score

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
