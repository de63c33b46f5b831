"""Augmentation moves image and mask together and keeps masks binary."""
import numpy as np
import pytest

from helpers import augmented_dataset, create_generator

from tests.conftest import synthetic_slice


@pytest.fixture(scope="module")
def masks():
    rng = np.random.default_rng(1)
    import cv2

    slices = [cv2.resize(synthetic_slice(rng)[1], (128, 128), interpolation=cv2.INTER_NEAREST) for _ in range(8)]
    return (np.stack(slices)[..., None] > 0).astype(np.int16)


def first_batch(source):
    images, masks = next(iter(source))
    return np.asarray(images), np.asarray(masks)


@pytest.mark.parametrize("make_batches", [create_generator, augmented_dataset])
def test_image_equal_to_its_mask_stays_equal(make_batches, masks):
    images, augmented_masks = first_batch(make_batches(masks.astype(np.float32), masks, batch_size=8))
    assert set(np.unique(augmented_masks)) <= {0.0, 1.0}
    assert np.array_equal(images > 0.5, augmented_masks == 1), "image and mask got different transforms"


@pytest.mark.parametrize("make_batches", [create_generator, augmented_dataset])
def test_batches_are_augmented(make_batches, masks):
    images, augmented_masks = first_batch(make_batches(masks.astype(np.float32), masks, batch_size=8))
    assert images.shape == augmented_masks.shape == (8, 128, 128, 1)
    # Some mask must have moved: no batch member equals any original mask.
    moved = [not any(np.array_equal(m, original) for original in masks) for m in augmented_masks]
    assert any(moved)
