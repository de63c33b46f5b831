"""Find, download and verify the Kaggle dataset "Finding and Measuring Lungs in CT Data".

The dataset folder holds ``2d_images/`` and ``2d_masks/`` (267 TIFF slices
each, same names) and ``lung_stats.csv``. ``find_dataset`` looks for it in
this order: an explicit path, the environment variable ``LUNGKIT_DATA``, the
cache folder (``LUNGKIT_CACHE``, else the per-user one), and finally a download
with the Kaggle client into that cache. Whatever it finds is checked against the sha256 manifest that
ships with the kit.
"""
import contextlib
import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

KAGGLE_DATASET = "kmader/finding-lungs-in-ct-data"
DATA_ENV = "LUNGKIT_DATA"
CACHE_ENV = "LUNGKIT_CACHE"
IMAGE_SUBDIR = "2d_images"
MASK_SUBDIR = "2d_masks"
MANIFEST = Path(__file__).with_name("dataset.sha256")


class DatasetError(RuntimeError):
    """The dataset is missing, incomplete or corrupt; the message says what to do."""


def cache_dir():
    """Where the dataset is downloaded: under ``$LUNGKIT_CACHE`` (the Colab cell sets it to a folder in
    Drive), else the per-user cache folder (``$XDG_CACHE_HOME`` or ``~/.cache``)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser() / "finding-lungs-in-ct-data"
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "lung-seg-kit" / "finding-lungs-in-ct-data"


def find_dataset(path=None, download=True, manifest=MANIFEST):
    """Return the verified dataset folder: ``path``, ``$LUNGKIT_DATA``, the cache, or a download."""
    if path is None and os.environ.get(DATA_ENV):
        path = os.environ[DATA_ENV]
    if path is not None:
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise DatasetError(
                f"dataset folder {folder} does not exist: point {DATA_ENV} (or the path "
                f"argument) at the folder that holds {IMAGE_SUBDIR}/ and {MASK_SUBDIR}/, "
                f"or unset it to download the data from Kaggle"
            )
    else:
        folder = cache_dir()
        if not folder.is_dir():
            if not download:
                raise DatasetError(f"no dataset in {folder}: set {DATA_ENV} to the folder that holds "
                                   f"{IMAGE_SUBDIR}/ and {MASK_SUBDIR}/, or download it there once: "
                                   "python -c 'from helpers.dataset import find_dataset; find_dataset()'")
            download_dataset(folder)
    verify_dataset(folder, manifest)
    return folder


def download_dataset(destination):
    """Download the dataset with the Kaggle client and unpack it into ``destination``."""
    destination = Path(destination)
    if destination.exists():
        raise DatasetError(f"{destination} already exists: remove it first to download afresh")
    api = _kaggle_api()
    with tempfile.TemporaryDirectory() as scratch:
        api.dataset_download_files(KAGGLE_DATASET, path=scratch, quiet=False, unzip=False)
        archives = list(Path(scratch).glob("*.zip"))
        if len(archives) != 1:
            raise DatasetError(f"the Kaggle download of {KAGGLE_DATASET} gave {archives}, expected one zip")
        unpacked = Path(scratch) / "unpacked"
        _extract(archives[0], unpacked)
        # Some versions of the dataset ship the folders as inner zips.
        for subdir in (IMAGE_SUBDIR, MASK_SUBDIR):
            inner = unpacked / f"{subdir}.zip"
            if not (unpacked / subdir).is_dir() and inner.is_file():
                _extract(inner, unpacked)
        destination.parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(dir=destination.parent))
        for name in (IMAGE_SUBDIR, MASK_SUBDIR, "lung_stats.csv"):
            if (unpacked / name).exists():
                shutil.move(unpacked / name, staged / name)
        # Only a complete download becomes the dataset folder.
        staged.rename(destination)
    return destination


def _kaggle_api():
    """An authenticated Kaggle client, or a DatasetError that says how to get credentials."""
    # The client prints its own long help when it finds no token; ours below is shorter.
    with contextlib.redirect_stdout(io.StringIO()):
        from kaggle.api.kaggle_api_extended import KaggleApi

        api = KaggleApi()
        try:
            api.authenticate()
        except (Exception, SystemExit) as error:  # the client exits when it finds no token
            raise DatasetError(
                f"Kaggle credentials not found ({type(error).__name__} from the Kaggle client), so the dataset "
                "cannot be downloaded. Create an API token at https://www.kaggle.com/settings/api and save it as "
                "~/.kaggle/access_token (Windows: C:\\Users\\<you>\\.kaggle\\access_token), or set the "
                "environment variable KAGGLE_API_TOKEN to it (on Colab: a secret of that name). Or download "
                f"{KAGGLE_DATASET} yourself and set {DATA_ENV} to its folder"
            ) from None  # the client's own traceback says less than this
    return api


def _extract(archive, target):
    try:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(target)
    except zipfile.BadZipFile as error:
        raise DatasetError(f"{archive} is not a valid zip archive: delete it and download again") from error


def sha256_of(path):
    """The sha256 hex digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(manifest):
    """``{relative path: sha256}`` from a manifest in ``sha256sum`` format."""
    entries = {}
    for line in Path(manifest).read_text().splitlines():
        if line.strip():
            digest, relative = line.split(maxsplit=1)
            entries[relative.lstrip("*")] = digest
    return entries


def write_manifest(folder, manifest):
    """Write the sha256 manifest of a dataset folder (maintainers, after a checked download)."""
    folder = Path(folder)
    files = sorted(p for sub in (IMAGE_SUBDIR, MASK_SUBDIR) for p in (folder / sub).glob("*.tif"))
    files.append(folder / "lung_stats.csv")
    lines = [f"{sha256_of(p)}  {p.relative_to(folder).as_posix()}" for p in files]
    Path(manifest).write_text("\n".join(lines) + "\n")


def paired_names(image_dir, mask_dir):
    """Sorted file names present in both folders; a DatasetError names any unpaired file."""
    image_dir, mask_dir = Path(image_dir), Path(mask_dir)
    for folder in (image_dir, mask_dir):
        if not folder.is_dir():
            raise DatasetError(f"{folder} is not a folder: check the dataset path ({DATA_ENV})")
    images = {p.name for p in image_dir.glob("*.tif")}
    masks = {p.name for p in mask_dir.glob("*.tif")}
    unpaired = sorted(images ^ masks)
    if unpaired:
        raise DatasetError(
            f"{len(unpaired)} slice(s) have an image or a mask but not both, e.g. {unpaired[:3]}: "
            f"every file in {image_dir} needs a mask of the same name in {mask_dir}"
        )
    if not images:
        raise DatasetError(f"no .tif slices in {image_dir}: is {DATA_ENV} the right folder?")
    return sorted(images)


def verify_dataset(folder, manifest=MANIFEST):
    """Check pairing, completeness and every file's sha256 against ``manifest``."""
    folder = Path(folder)
    names = paired_names(folder / IMAGE_SUBDIR, folder / MASK_SUBDIR)
    expected = read_manifest(manifest)
    present = {f"{sub}/{name}" for sub in (IMAGE_SUBDIR, MASK_SUBDIR) for name in names}
    missing = sorted(set(expected) - present - {"lung_stats.csv"})
    extra = sorted(present - set(expected))
    if missing or extra:
        raise DatasetError(
            f"{folder} does not match the kit's manifest: {len(missing)} file(s) missing "
            f"(e.g. {missing[:3]}), {len(extra)} unexpected (e.g. {extra[:3]}); "
            "download the dataset again"
        )
    for relative, digest in expected.items():
        path = folder / relative
        if not path.is_file():
            raise DatasetError(f"{path} is missing: download the dataset again")
        if sha256_of(path) != digest:
            raise DatasetError(f"{path} is corrupt (sha256 differs from the manifest): download the dataset again")
    return len(names)
