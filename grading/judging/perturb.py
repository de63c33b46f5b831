"""Test slices moved within the assignment's own augmentation, drawn at grading time.

A network that learned to find lungs keeps its IoU on slices shifted, rotated and zoomed as in
training (question 1b.3's ranges); one that stored the public test slices' masks, and recognises
each slice to draw its mask, does not. The moves are drawn from a seed nobody knows in advance.
"""
import cv2
import numpy as np

from .kit_helpers import kit_helpers


def perturbed(images, masks, rng):
    """``(images, masks)``, each pair moved by one random shift, rotation and zoom within the kit's AUGMENTATION
    ranges (as ``ImageDataGenerator`` draws them); masks stay {0, 1}, moved-in pixels are ``cval``."""
    ranges = kit_helpers("config").AUGMENTATION
    moved_images, moved_masks = [], []
    for image, mask in zip(images, masks):
        height, width = image.shape[:2]
        angle = rng.uniform(-1, 1) * ranges["rotation_range"]
        zoom = 1 + rng.uniform(-1, 1) * ranges["zoom_range"]
        shift = rng.uniform(-1, 1, 2) * (ranges["width_shift_range"] * width,
                                         ranges["height_shift_range"] * height)
        matrix = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), angle, zoom)
        matrix[:, 2] += shift

        def move(array):
            return cv2.warpAffine(np.asarray(array, np.float32)[..., 0], matrix, (width, height),
                                  flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                  borderValue=ranges["cval"])

        moved_images.append(move(image))
        moved_masks.append(move(mask) > 0.5)
    return (np.stack(moved_images)[..., None].astype(images.dtype),
            np.stack(moved_masks)[..., None].astype(masks.dtype))
