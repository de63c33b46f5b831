"""Reading a hand-in without trusting it: what collecting copies, and what it leaves out.

A hand-in is a folder or a zip that an attacker may have packed. Only regular files and folders
are taken: a symbolic link (relative, absolute, dangling; in a folder or as a zip entry), a
device file, a FIFO or a socket is left out, and named in the notes that collecting records for
the student. Mac and editor debris is ignored. Before anything is written, a hand-in must stay
within ``MAX_FILES`` files and ``MAX_BYTES`` unpacked, and no zip entry may expand more than
``MAX_RATIO`` times (zip bombs). A real hand-in, five notebooks, ``helpers/`` and a trained
model, is a few MB in a few dozen files.
"""
import fnmatch
import os
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from ..errors import GradingError

MAX_BYTES = 200 * 2**20
MAX_FILES = 2000
CLASS_SIZE = 500  # an LMS's zip of a whole class may hold this many hand-ins' worth
MAX_RATIO = 200  # deflate reaches about 1000 on zeros; real notebooks and weights stay far below 20
DEBRIS = ("__pycache__", "*.pyc", ".ipynb_checkpoints", "__MACOSX", ".DS_Store", "._*", "Thumbs.db")


def is_debris(name):
    """Mac and editor debris, never part of a hand-in: AppleDouble ``._*`` files, ``__MACOSX/``, caches."""
    return any(fnmatch.fnmatch(name, pattern) for pattern in DEBRIS)


def copy_folder(source, target, notes):
    """Copy the regular files and folders under ``source`` to ``target``; note what is left out."""
    files = []
    for relative, kind in _walk(Path(source)):
        if kind == "file":
            files.append(relative)
        else:
            notes.append(f"{relative}: {kind}, left out")
    _check_size(source, len(files), sum((Path(source) / f).stat().st_size for f in files))
    for relative in files:
        (Path(target) / relative).parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(Path(source) / relative, os.O_RDONLY | os.O_NOFOLLOW)  # no link swapped in since
        with open(descriptor, "rb") as original, open(Path(target) / relative, "wb") as copy:
            shutil.copyfileobj(original, copy)
    Path(target).mkdir(parents=True, exist_ok=True)


def extract_zip(archive, target, notes, class_zip=False):
    """Extract the regular files of the zip ``archive`` into ``target``; note what is left out.

    GradingError when it is not a readable zip, or is larger than the limits allow (``CLASS_SIZE``
    times larger for ``class_zip``, an LMS's download of every hand-in).
    """
    scale = CLASS_SIZE if class_zip else 1
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = []
            for info in zipped.infolist():
                name = PurePosixPath(info.filename)
                if any(is_debris(part) for part in name.parts) or info.is_dir():
                    continue
                kind = stat.S_IFMT(info.external_attr >> 16)
                if kind and kind != stat.S_IFREG:
                    what = "a symbolic link" if kind == stat.S_IFLNK else "not a regular file"
                    notes.append(f"{info.filename}: {what}, left out")
                    continue
                if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 2**20:
                    raise GradingError(f"{archive}: {info.filename} would expand {info.file_size // 2**20} MiB "
                                       f"from {info.compress_size // 2**10} KiB (a zip bomb?); not collected")
                members.append(info)
            _check_size(archive, len(members), sum(info.file_size for info in members), scale)
            for info in members:
                zipped.extract(info, target)  # zipfile drops absolute paths and ".." from member names
    except (zipfile.BadZipFile, OSError) as error:
        raise GradingError(f"{archive}: not a readable zip archive ({error}); ask for it again") from error
    Path(target).mkdir(parents=True, exist_ok=True)
    return Path(target)


def _walk(folder, relative=Path()):
    """``(path relative to the hand-in, "file" or why it is left out)`` for everything under ``folder``."""
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            path = relative / entry.name
            if is_debris(entry.name):
                continue
            if entry.is_symlink():
                yield path, "a symbolic link"
            elif entry.is_dir(follow_symlinks=False):
                yield from _walk(Path(folder) / entry.name, path)
            elif entry.is_file(follow_symlinks=False):
                yield path, "file"
            else:
                yield path, "not a regular file (a device, FIFO or socket)"


def _check_size(hand_in, files, size, scale=1):
    what = "a hand-in" if scale == 1 else f"a class of {scale} hand-ins"
    max_files, max_bytes = MAX_FILES * scale, MAX_BYTES * scale
    if files > max_files:
        raise GradingError(f"{hand_in}: {files} files, more than the {max_files} {what} may hold; not collected")
    if size > max_bytes:
        raise GradingError(f"{hand_in}: {size / 2**20:.0f} MiB unpacked, more than the {max_bytes // 2**20} MiB {what} "
                           "may hold (five notebooks, helpers/ and one trained model are a few MB); not collected")
