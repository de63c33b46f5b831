"""Test slices moved within the assignment's own augmentation, drawn at grading time.

A network that learned to find lungs keeps its IoU on slices shifted, rotated and zoomed as in
training (question 1b.3's ranges); one that stored the public test slices' masks, and recognises
each slice to draw its mask, does not. The moves are drawn from a seed nobody knows in advance.
"""
import cv2
import numpy as np

from helpers.config import AUGMENTATION


def perturbed(images, masks, rng):
    """``(images, masks)``, each pair moved by one random shift, rotation and zoom within AUGMENTATION's
    ranges (as ``ImageDataGenerator`` draws them); masks stay {0, 1}, moved-in pixels are ``cval``."""
    moved_images, moved_masks = [], []
    for image, mask in zip(images, masks):
        height, width = image.shape[:2]
        angle = rng.uniform(-1, 1) * AUGMENTATION["rotation_range"]
        zoom = 1 + rng.uniform(-1, 1) * AUGMENTATION["zoom_range"]
        shift = rng.uniform(-1, 1, 2) * (AUGMENTATION["width_shift_range"] * width,
                                         AUGMENTATION["height_shift_range"] * height)
        matrix = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), angle, zoom)
        matrix[:, 2] += shift

        def move(array):
            return cv2.warpAffine(np.asarray(array, np.float32)[..., 0], matrix, (width, height),
                                  flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                  borderValue=AUGMENTATION["cval"])

        moved_images.append(move(image))
        moved_masks.append(move(mask) > 0.5)
    return (np.stack(moved_images)[..., None].astype(images.dtype),
            np.stack(moved_masks)[..., None].astype(masks.dtype))
