"""The kit's per-image IoU as a Keras metric, so that training shows an overlap curve per epoch."""
import keras
from keras import ops


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
