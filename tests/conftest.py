"""Shared fixtures: synthetic CT-like slices in the dataset's real layout, and the real data."""
import os

# Tests train in fast mode unless told otherwise; set before helpers is imported.
os.environ.setdefault("LUNGKIT_FAST", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers.dataset import DATA_ENV, write_manifest  # noqa: E402


def synthetic_slice(rng, size=96):
    """A CT-like int16 slice in HU (padding, body, two lungs) and its {0, 255} lung mask."""
    yy, xx = np.mgrid[:size, :size] / size
    body = ((xx - 0.5) / 0.42) ** 2 + ((yy - 0.5) / 0.32) ** 2 < 1
    lungs = np.zeros_like(body)
    for centre in (0.32, 0.68):
        lungs |= ((xx - centre) / rng.uniform(0.1, 0.15)) ** 2 + ((yy - 0.5) / rng.uniform(0.18, 0.24)) ** 2 < 1
    padding = rng.integers(-2600, -1000)
    ct = np.where(body, 40, padding) + np.where(lungs, -850, 0) + rng.normal(0, 20, body.shape)
    return ct.astype(np.int16), (lungs * 255).astype(np.uint8)


def write_dataset(folder, count=10, seed=0):
    """Write ``count`` synthetic pairs as TIFFs in the Kaggle layout, with their manifest."""
    rng = np.random.default_rng(seed)
    (folder / "2d_images").mkdir(parents=True)
    (folder / "2d_masks").mkdir()
    for i in range(count):
        ct, mask = synthetic_slice(rng)
        name = f"ID_{i:04d}_Z_{100 + i:04d}.tif"
        cv2.imwrite(str(folder / "2d_images" / name), ct)
        cv2.imwrite(str(folder / "2d_masks" / name), mask)
    (folder / "lung_stats.csv").write_text("img_id,lung_area_px\n")
    write_manifest(folder, folder / "manifest.sha256")
    return folder


@pytest.fixture
def synthetic_dataset(tmp_path):
    """A folder of 10 synthetic pairs; its manifest is ``manifest.sha256`` inside it."""
    return write_dataset(tmp_path / "finding-lungs-in-ct-data")


@pytest.fixture(scope="session")
def real_dataset():
    """The real dataset folder named by $LUNGKIT_DATA; the test is skipped without it."""
    if not os.environ.get(DATA_ENV):
        pytest.skip(f"set {DATA_ENV} to the real dataset folder to run this test")
    from helpers.dataset import find_dataset

    return find_dataset(download=False)
