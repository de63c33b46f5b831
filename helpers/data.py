"""Question 1b.1: load the CT slices and lung masks as training arrays."""
from pathlib import Path

import cv2
import numpy as np

from .config import HU_WINDOW, IMAGE_SIZE, TRAIN_VAL_TEST_SPLIT
from .dataset import DatasetError, paired_names

NORMALIZATIONS = ("window", "minmax", "max")


def read_tif(path):
    """Read a TIFF slice unchanged (int16 HU for CT, uint8 for masks) or say why not."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path} does not exist: check the dataset folder")
    pixels = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if pixels is None or pixels.ndim != 2:
        raise DatasetError(f"{path} is not a readable 2D TIFF (corrupt or truncated): download the dataset again")
    return pixels


def split_dataset(images, masks, fractions=TRAIN_VAL_TEST_SPLIT):
    """Split in file order into (train, val, test) pairs; the test set takes the rest."""
    n_train = int(fractions[0] * len(images))
    n_val = int(fractions[1] * len(images))
    bounds = [(0, n_train), (n_train, n_train + n_val), (n_train + n_val, len(images))]
    return tuple((images[a:b], masks[a:b]) for a, b in bounds)


def load_data(image_dir, mask_dir, normalization="window"):
    """Load, normalise, resize and split the dataset (question 1b.1).

    Returns ``(train_images, train_masks), (val_images, val_masks), (test_images, test_masks)``,
    each of shape (N, 128, 128, 1) in sorted file order split 60/20/20. Images are float32:
    ``"window"`` clips to the HU window [-1000, 400] and scales to [0, 1] (the default),
    ``"minmax"`` scales each image by its own minimum and maximum to [0, 1], ``"max"`` divides
    by the image's maximum (the original answer; values below 0 HU stay negative). Masks are
    int16 in {0, 1}. Images are resized with Lanczos interpolation, its ringing clipped back
    into the slice's own range; masks with nearest neighbour, so they stay binary.
    """
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization={normalization!r}: choose one of {NORMALIZATIONS}")
    names = paired_names(image_dir, mask_dir)
    ct_slices = [read_tif(Path(image_dir) / name).astype(np.float32) for name in names]
    lung_masks = [read_tif(Path(mask_dir) / name) for name in names]
    ### BEGIN SOLUTION
    size = IMAGE_SIZE[::-1]  # cv2 wants (width, height)
    images, masks = [], []
    for ct, mask in zip(ct_slices, lung_masks):
        if normalization == "window":
            low, high = HU_WINDOW
            ct = (np.clip(ct, low, high) - low) / (high - low)
        elif normalization == "minmax":
            ct = (ct - ct.min()) / max(ct.max() - ct.min(), 1e-6)
        else:
            ct = ct / max(ct.max(), 1e-6)
        resized = cv2.resize(ct, size, interpolation=cv2.INTER_LANCZOS4)
        images.append(np.clip(resized, ct.min(), ct.max()))  # remove Lanczos ringing
        mask = (mask > 0).astype(np.uint8)  # {0, 255} -> {0, 1}: divide by the maximum
        masks.append(cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST).astype(np.int16))
    images = np.stack(images)[..., np.newaxis].astype(np.float32)
    masks = np.stack(masks)[..., np.newaxis]
    return split_dataset(images, masks)
    ### END SOLUTION
