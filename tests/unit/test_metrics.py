"""IoU and Dice edge cases, the per-image mean, and the paired bootstrap."""
import numpy as np
import pytest

import helpers
from helpers import compute_IoU, mean_score, paired_bootstrap
from reference.metrics import compute_dice

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


def test_paired_bootstrap_interval_holds_a_real_difference_and_excludes_none():
    rng = np.random.default_rng(0)
    before = rng.uniform(0.85, 0.99, 54)
    mean, low, high = paired_bootstrap(before, before + 0.01 + rng.normal(0, 0.005, 54))
    assert low < mean < high and 0 < low, "a consistent gain of 0.01 per slice is a difference"
    assert mean == pytest.approx(0.01, abs=0.002)
    mean, low, high = paired_bootstrap(before, before + rng.normal(0, 0.01, 54))
    assert low < 0 < high, "noise around zero is no difference"


def test_paired_bootstrap_sees_what_intervals_around_each_mean_hide():
    # Slices differ a lot from one another, the two models little on each slice: separate intervals overlap,
    # the paired one does not hold 0.
    rng = np.random.default_rng(1)
    before = rng.uniform(0.3, 1.0, 54)
    after = before + 0.004
    _, low, _ = paired_bootstrap(before, after)
    assert low > 0
    spread = 1.96 * before.std() / np.sqrt(54)
    assert after.mean() - spread < before.mean() + spread


def test_the_release_holds_no_complete_twin_of_compute_iou():
    # Students write compute_IoU (1b.12): the helpers they get compute no IoU or Dice of their own.
    assert not hasattr(helpers, "compute_dice") and "iou_metric" not in helpers.EXPORTS
