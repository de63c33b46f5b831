"""Shared fixtures: synthetic CT-like slices in the dataset's real layout, the real data, a
released course and fast-trained weights, and ``require_tool`` for tests that need a system tool."""
import os
import shutil
import subprocess
import sys

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


@pytest.fixture(scope="session")
def released_course(tmp_path_factory):
    """A course folder with the kit's assignment released (read it; copy it before changing it)."""
    from grading.release import release

    course = tmp_path_factory.mktemp("course")
    release(course)
    return course


@pytest.fixture(scope="session")
def fast_weights(real_dataset, tmp_path_factory):
    """Weights trained once by the kit's fast pipeline, as notebook 4 would hand them in."""
    from grading.course import KIT

    out = tmp_path_factory.mktemp("weights")
    env = {**os.environ, "LUNGKIT_FAST": "1", "LUNGKIT_DATA": str(real_dataset)}
    subprocess.run([sys.executable, "-m", "helpers.pipeline", "--out", str(out)], cwd=KIT, env=env, check=True)
    return out


def require_tool(command, package, why):
    """The path of ``command``; without it, skip saying why and how to install it, or fail in CI.

    CI (``CI=true``) installs every tool the tests need (``.ci/run``), so a missing one there is
    an error, never a silent skip.
    """
    path = shutil.which(command)
    if path is None:
        message = f"{command} not found: {why}; install it with `apt-get install {package}` (Debian/Ubuntu)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + " (CI must install it: see .ci/run)")
        pytest.skip(message)
    return path
