"""Collect: copy each student's hand-in, a folder or a zip named by the student id, into ``submitted/``."""
import logging
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

from .course import DEFAULT_COURSE, GradingError, step_dir

log = logging.getLogger(__name__)
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
JUNK = ("__pycache__", "*.pyc", ".ipynb_checkpoints", "__MACOSX", ".DS_Store")


def collect(submissions, course=DEFAULT_COURSE):
    """Collect every hand-in in the folder ``submissions``; return the student ids, sorted.

    A hand-in holds the notebooks, ``helpers/`` and ``artifacts/`` (trained weights), at its top
    or in one subfolder (``lung_segmentation/``). The originals are only read. Bad hand-ins are
    reported together in one GradingError, after the good ones are collected.
    """
    if not Path(submissions).is_dir():
        raise GradingError(f"{submissions} is not a folder: give the folder that holds the hand-ins")
    entries = sorted(p for p in Path(submissions).iterdir() if not p.name.startswith("."))
    if not entries:
        raise GradingError(f"{submissions} is empty: put one folder or zip per student there, named by student id")
    students, problems = [], []
    for entry in entries:
        try:
            students.append(collect_one(entry, course))
        except GradingError as error:
            problems.append(str(error))
    if problems:
        raise GradingError(f"collected {len(students)} hand-in(s), but not these:\n" + "\n".join(problems))
    return students


def collect_one(entry, course=DEFAULT_COURSE):
    """Copy one hand-in to ``submitted/<student>/lung_segmentation``, replacing an earlier copy."""
    entry = Path(entry)
    student = entry.stem if entry.suffix == ".zip" else entry.name
    if not STUDENT_ID.fullmatch(student) or not (entry.is_dir() or entry.suffix == ".zip"):
        raise GradingError(f"{entry}: a hand-in is a folder or a .zip named by the student id (letters, digits, _.-)")
    target = step_dir(course, "submitted", student)
    with tempfile.TemporaryDirectory() as scratch:
        folder = _unzip(entry, Path(scratch)) if entry.is_file() else entry
        handed_in = _assignment_folder(folder, entry)
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(handed_in, target, ignore=shutil.ignore_patterns(*JUNK))
    for needed in ("helpers", "artifacts/unet.weights.h5"):
        if not (target / needed).exists():
            log.warning("%s: no %s in the hand-in; the questions that need it will score 0", student, needed)
    log.info("collected %s from %s", student, entry)
    return student


def _unzip(archive, scratch):
    try:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(scratch)  # zipfile drops absolute paths and ".." from member names
    except (zipfile.BadZipFile, OSError) as error:
        raise GradingError(f"{archive}: not a readable zip archive ({error}); ask for it again") from error
    return scratch


def _assignment_folder(folder, entry):
    """The folder of a hand-in that holds its notebooks: the hand-in itself or its one subfolder that does."""
    if any(folder.glob("*.ipynb")):
        return folder
    subfolders = [p for p in sorted(folder.iterdir()) if p.is_dir() and p.name not in JUNK and any(p.glob("*.ipynb"))]
    if len(subfolders) != 1:
        found = "no notebooks" if not subfolders else f"notebooks in {len(subfolders)} subfolders"
        raise GradingError(f"{entry}: {found}; a hand-in holds the notebooks at its top or in one subfolder")
    return subfolders[0]
