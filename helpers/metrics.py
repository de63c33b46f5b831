"""Question 1b.12 and 1b.13: overlap metrics for binary masks, in NumPy; HD95, a boundary metric."""
import cv2
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


def hausdorff_95(mask, pred):
    """HD95 of two binary masks, in pixels: the larger of the 95th percentiles of the distances from each
    mask's boundary pixels to the other's boundary. 0.0 for two empty masks, inf when one alone is empty."""
    mask, pred = (np.squeeze(np.asarray(m)).astype(np.uint8) for m in (mask, pred))
    if not mask.any() or not pred.any():
        return 0.0 if mask.any() == pred.any() else float("inf")
    # The boundary: pixels of the mask with a neighbour outside it, the image's edge counting as outside
    edges = [m & (1 - cv2.erode(m, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0))
             for m in (mask, pred)]
    distance_to = [cv2.distanceTransform(1 - edge, cv2.DIST_L2, cv2.DIST_MASK_PRECISE) for edge in edges]
    return float(max(np.percentile(distance_to[1][edges[0] == 1], 95), np.percentile(distance_to[0][edges[1] == 1], 95)))


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
