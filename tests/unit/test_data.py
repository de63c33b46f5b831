"""load_data on synthetic slices written as TIFFs (the real data: tests/e2e/test_real_dataset.py)."""
import numpy as np
import pytest

from helpers import IMAGE_SIZE, load_data
from helpers.data import split_dataset


def load(folder, normalization="window"):
    return load_data(folder / "2d_images", folder / "2d_masks", normalization)


def test_split_is_60_20_20_in_file_order():
    items = np.arange(267)
    (train, _), (val, _), (test, _) = split_dataset(items, items)
    assert (len(train), len(val), len(test)) == (160, 53, 54)
    assert np.array_equal(np.concatenate([train, val, test]), items)


def test_shapes_types_and_ranges(synthetic_dataset):
    (train, train_masks), (val, _), (test, test_masks) = load(synthetic_dataset)
    assert train.shape == (6, *IMAGE_SIZE, 1) and val.shape[0] == 2 and test.shape[0] == 2
    assert train.dtype == np.float32 and train_masks.dtype == np.int16
    assert 0.0 <= train.min() and train.max() <= 1.0
    assert set(np.unique(np.concatenate([train_masks, test_masks]))) == {0, 1}


def test_window_maps_hounsfield_units_to_fixed_values(synthetic_dataset):
    (train, masks), _, _ = load(synthetic_dataset)
    lung = train[masks == 1]
    # Lung tissue at about -810 HU maps to (-810 + 1000) / 1400 = 0.136 on every slice;
    # the padding (below -1000 HU, different per slice) maps to 0.
    assert np.median(lung) == pytest.approx(0.136, abs=0.02)
    assert np.all(train[:, :2, :2] == 0.0)


def test_minmax_depends_on_each_slices_padding(synthetic_dataset):
    (train, masks), _, _ = load(synthetic_dataset, "minmax")
    lung_medians = [np.median(image[mask == 1]) for image, mask in zip(train, masks)]
    assert train.min() == 0.0 and train.max() == pytest.approx(1.0)
    assert np.ptp(lung_medians) > 0.05  # the same tissue lands on different values


def test_unknown_normalization_is_named(synthetic_dataset):
    with pytest.raises(ValueError, match="'zscore'"):
        load(synthetic_dataset, "zscore")
