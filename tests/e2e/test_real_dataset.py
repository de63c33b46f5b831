"""The real dataset ($LUNGKIT_DATA) as the kit finds and loads it."""
import numpy as np

from helpers import load_data
from helpers.dataset import verify_dataset


def test_real_dataset_matches_the_manifest(real_dataset):
    assert verify_dataset(real_dataset) == 267


def test_real_data_shapes_and_ranges(real_dataset):
    (train, train_masks), (val, val_masks), (test, test_masks) = load_data(real_dataset / "2d_images", real_dataset / "2d_masks")
    assert [a.shape[0] for a in (train, val, test)] == [160, 53, 54]
    assert train.shape[1:] == val.shape[1:] == test.shape[1:] == (128, 128, 1)
    assert all(0.0 <= a.min() and a.max() <= 1.0 for a in (train, val, test))
    masks = np.concatenate([train_masks, val_masks, test_masks])
    assert masks.dtype == np.int16 and set(np.unique(masks)) == {0, 1}
    assert 0.1 < masks.mean() < 0.4  # lungs cover about a fifth of a slice
