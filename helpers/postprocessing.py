"""The open experiment: keep the largest connected regions of a predicted mask, chosen on validation."""
import cv2
import numpy as np

from .metrics import compute_IoU

# The candidates: 0 keeps the prediction as it is; 1, 2, 3 keep that many of its largest regions.
CANDIDATES = (0, 1, 2, 3)


def keep_largest_components(mask, count):
    """``mask`` (0/1, shape (H, W) or (H, W, 1)) with only its ``count`` largest 8-connected regions of 1s
    kept, as a boolean array of the same shape; ``count`` 0 keeps every region."""
    ### BEGIN SOLUTION
    mask = np.asarray(mask).astype(bool)
    if count == 0:
        return mask
    found, labels, stats, _ = cv2.connectedComponentsWithStats(np.squeeze(mask).astype(np.uint8), connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]  # label 0 is the background
    kept = 1 + np.argsort(-areas, kind="stable")[:count]
    return np.isin(labels, kept).reshape(mask.shape)
    ### END SOLUTION


def choose_postprocessing(probabilities, masks, candidates=CANDIDATES, threshold=0.5):
    """The experiment's protocol: each candidate scored on validation for every seed, the choice made
    there, and the choice alone scored on test.

    ``probabilities``: ``{"val": [...], "test": [...]}``, one array of predicted probabilities per seed
    (slices, H, W, 1); ``masks``: ``{"val": array, "test": array}`` of the true masks. Masks are the
    probabilities above ``threshold`` with ``keep_largest_components(..., candidate)`` applied; a score is
    the mean over slices of ``compute_IoU``. Returns ``{"choice": the candidate with the highest
    validation mean over seeds (the first of them on a tie), "validation": array (candidates, seeds),
    "test": array (seeds,) of the choice's test scores}``.
    """
    ### BEGIN SOLUTION
    def score(split, seed, count):
        return np.mean([compute_IoU(mask, keep_largest_components(probability > threshold, count))
                        for mask, probability in zip(masks[split], probabilities[split][seed])])

    seeds = range(len(probabilities["val"]))
    validation = np.array([[score("val", seed, count) for seed in seeds] for count in candidates])
    choice = candidates[int(np.argmax(validation.mean(axis=1)))]
    return {"choice": choice, "validation": validation, "test": np.array([score("test", seed, choice) for seed in seeds])}
    ### END SOLUTION
