"""Question 1b.12 and 1b.13: overlap metrics for binary masks."""
import keras
import numpy as np
from keras import ops


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


def compute_dice(mask, pred):
    """Dice coefficient 2|A and B| / (|A| + |B|); two empty masks give 1.0."""
    mask, pred = np.asarray(mask).astype(bool), np.asarray(pred).astype(bool)
    total = mask.sum() + pred.sum()
    if total == 0:
        return 1.0
    return float(2 * np.logical_and(mask, pred).sum() / total)


def per_image_scores(masks, probabilities, threshold=0.5, metric=compute_IoU):
    """``metric`` of each image's mask against its probabilities thresholded at ``threshold``."""
    return np.array([metric(m, p > threshold) for m, p in zip(masks, probabilities)])


def mean_score(masks, probabilities, threshold=0.5, metric=compute_IoU):
    """Mean over images of the per-image score (question 1b.13): per image, then mean."""
    return float(per_image_scores(masks, probabilities, threshold, metric).mean())


def image_ious(masks, probabilities, threshold=0.5):
    """IoU of each image in a batch, in Keras operations so that it runs inside training too.

    The same definition as ``compute_IoU``, which students write in NumPy: masks above 0.5 are
    lung, probabilities above ``threshold`` are predicted lung, two empty masks give 1.0.
    """
    truth = ops.cast(ops.cast(masks, "float32") > 0.5, "float32")
    found = ops.cast(ops.cast(probabilities, "float32") > threshold, "float32")
    pixels = tuple(range(1, len(truth.shape)))
    intersection = ops.sum(truth * found, axis=pixels)
    union = ops.sum(ops.maximum(truth, found), axis=pixels)
    return ops.where(union > 0, intersection / ops.maximum(union, 1.0), 1.0)


class ImageIoU(keras.metrics.MeanMetricWrapper):
    """Mean IoU per image at ``threshold`` as a Keras metric, for an overlap curve per epoch.

    Keras' own ``MeanIoU`` pools the pixels of every image first and averages over both
    classes, background included: a different number from the kit's per-image lung IoU.
    """

    def __init__(self, threshold=0.5, name="iou", **kwargs):
        super().__init__(fn=image_ious, name=name, threshold=threshold, **kwargs)
