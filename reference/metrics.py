"""The reference run's second overlap metric (the release leaves it out: it is one line from IoU)."""
import numpy as np


def compute_dice(mask, pred):
    """Dice coefficient 2|A and B| / (|A| + |B|); two empty masks give 1.0."""
    mask, pred = np.asarray(mask).astype(bool), np.asarray(pred).astype(bool)
    total = mask.sum() + pred.sum()
    if total == 0:
        return 1.0
    return float(2 * np.logical_and(mask, pred).sum() / total)
