"""Question 1b.12 and 1b.13: overlap metrics for binary masks, in NumPy."""
import numpy as np


def compute_IoU(mask, pred):
    """Intersection over union of two binary masks (question 1b.12).

    Inputs are anything that converts to booleans (0/1 or True/False arrays of the same
    shape). Two empty masks agree perfectly, so their IoU is 1.0, not 0/0.
    """
    ### BEGIN SOLUTION
    mask, pred = np.asarray(mask).astype(bool), np.asarray(pred).astype(bool)
    union = np.logical_or(mask, pred).sum()
    if union == 0:
        return 1.0
    return float(np.logical_and(mask, pred).sum() / union)
    ### END SOLUTION


def per_image_scores(masks, probabilities, threshold=0.5, metric=compute_IoU):
    """``metric`` of each image's mask against its probabilities thresholded at ``threshold``."""
    return np.array([metric(m, p > threshold) for m, p in zip(masks, probabilities)])


def mean_score(masks, probabilities, threshold=0.5, metric=compute_IoU):
    """Mean over images of the per-image score (question 1b.13): per image, then mean."""
    return float(per_image_scores(masks, probabilities, threshold, metric).mean())


def paired_bootstrap(scores_a, scores_b, resamples=10_000, seed=0):
    """Mean of ``scores_b - scores_a`` over the same slices, with its 95% paired-bootstrap interval.

    Two models (or settings) scored on the same slices are compared slice by slice: the slices are
    resampled with replacement and the mean difference taken each time. Returns ``(mean, low, high)``;
    an interval that holds 0 does not show a difference.
    """
    differences = np.asarray(scores_b, float) - np.asarray(scores_a, float)
    picks = np.random.default_rng(seed).integers(0, len(differences), size=(resamples, len(differences)))
    low, high = np.percentile(differences[picks].mean(axis=1), [2.5, 97.5])
    return float(differences.mean()), float(low), float(high)
