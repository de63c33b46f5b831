"""Finding, downloading and verifying the dataset, without the network."""
import importlib
import zipfile
from pathlib import Path

import pytest

from helpers import dataset
from helpers.data import read_tif
from helpers.dataset import DatasetError, download_dataset, find_dataset, verify_dataset


def test_explicit_path_is_verified(synthetic_dataset):
    assert find_dataset(synthetic_dataset, manifest=synthetic_dataset / "manifest.sha256") == synthetic_dataset


def test_environment_variable_names_the_folder(synthetic_dataset, monkeypatch):
    monkeypatch.setenv("LUNGKIT_DATA", str(synthetic_dataset))
    assert find_dataset(manifest=synthetic_dataset / "manifest.sha256") == synthetic_dataset


def test_missing_folder_says_what_to_set(tmp_path):
    with pytest.raises(DatasetError, match="LUNGKIT_DATA"):
        find_dataset(tmp_path / "nowhere")


def test_unpaired_names_are_listed(synthetic_dataset):
    (synthetic_dataset / "2d_masks" / "ID_0003_Z_0103.tif").unlink()
    with pytest.raises(DatasetError, match="ID_0003_Z_0103.tif"):
        verify_dataset(synthetic_dataset, synthetic_dataset / "manifest.sha256")


def test_corrupt_file_fails_the_checksum(synthetic_dataset):
    path = synthetic_dataset / "2d_images" / "ID_0002_Z_0102.tif"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(DatasetError, match="ID_0002_Z_0102.tif is corrupt"):
        verify_dataset(synthetic_dataset, synthetic_dataset / "manifest.sha256")


def test_unreadable_tif_is_named(synthetic_dataset):
    path = synthetic_dataset / "2d_images" / "ID_0002_Z_0102.tif"
    path.write_bytes(b"not a tiff at all")
    with pytest.raises(DatasetError, match="ID_0002_Z_0102.tif is not a readable 2D TIFF"):
        read_tif(path)


def test_files_outside_the_manifest_are_rejected(synthetic_dataset):
    # The kit's own manifest lists the real dataset, not these synthetic slices.
    with pytest.raises(DatasetError, match="does not match the kit's manifest"):
        verify_dataset(synthetic_dataset)


class FakeKaggleApi:
    """Stands in for the Kaggle client at its boundary: serves a prepared zip."""

    archive = None
    authenticated = True

    def authenticate(self):
        if not self.authenticated:
            raise SystemExit(1)  # what the real client does without a token

    def dataset_download_files(self, name, path, quiet, unzip):
        assert name == "kmader/finding-lungs-in-ct-data" and not unzip
        (Path(path) / "finding-lungs-in-ct-data.zip").write_bytes(self.archive.read_bytes())


@pytest.fixture
def fake_kaggle(monkeypatch, synthetic_dataset, tmp_path):
    """Zip the synthetic dataset as Kaggle serves it and patch the client to return it."""
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in synthetic_dataset.rglob("*"):
            if path.is_file() and path.name != "manifest.sha256":
                zipped.write(path, path.relative_to(synthetic_dataset))
    FakeKaggleApi.archive = archive
    FakeKaggleApi.authenticated = True
    # (kaggle/__init__ rebinds the name kaggle.api, so import the module by its full name)
    client = importlib.import_module("kaggle.api.kaggle_api_extended")
    monkeypatch.setattr(client, "KaggleApi", FakeKaggleApi)
    return FakeKaggleApi


def test_download_unpacks_and_verifies_into_the_cache(fake_kaggle, synthetic_dataset, tmp_path, monkeypatch):
    monkeypatch.delenv("LUNGKIT_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = find_dataset(manifest=synthetic_dataset / "manifest.sha256")
    assert folder == dataset.cache_dir() and folder.is_relative_to(tmp_path / "cache")
    assert sorted(p.name for p in (folder / "2d_images").iterdir()) == sorted(
        p.name for p in (synthetic_dataset / "2d_images").iterdir()
    )
    # A second call finds the cached copy and does not download again.
    fake_kaggle.archive = None
    assert find_dataset(manifest=synthetic_dataset / "manifest.sha256") == folder


def test_lungkit_cache_puts_the_download_there(fake_kaggle, synthetic_dataset, tmp_path, monkeypatch):
    """The Colab cell sets LUNGKIT_CACHE to a folder in Drive, so the data survives a reconnect."""
    monkeypatch.delenv("LUNGKIT_DATA", raising=False)
    monkeypatch.setenv("LUNGKIT_CACHE", str(tmp_path / "MyDrive" / "lung_segmentation_data"))
    folder = find_dataset(manifest=synthetic_dataset / "manifest.sha256")
    assert folder == tmp_path / "MyDrive" / "lung_segmentation_data" / "finding-lungs-in-ct-data"
    assert (folder / "2d_masks").is_dir()


def test_download_without_credentials_says_how_to_get_them(fake_kaggle, tmp_path):
    fake_kaggle.authenticated = False
    with pytest.raises(DatasetError, match="Kaggle credentials not found") as error:
        download_dataset(tmp_path / "data")
    assert error.value.__cause__ is None and error.value.__suppress_context__, "no client traceback under it"
    assert not (tmp_path / "data").exists()


def test_download_never_overwrites_an_existing_folder(fake_kaggle, synthetic_dataset):
    with pytest.raises(DatasetError, match="already exists"):
        download_dataset(synthetic_dataset)
