"""Collect: copy each student's hand-in, a folder or a zip named by the student id, into ``submitted/``,
read without trusting it (``unpack.py``), repaired against the release (``repair.py``) and cut down to
what is graded: the assignment's notebooks, ``helpers/`` and the trained model."""
import contextlib
import logging
import os
import re
import stat
import shutil
import tempfile
import traceback
import unicodedata
from pathlib import Path

from .. import ledger
from . import lms
from ..course import DEFAULT_COURSE, Course, GradingError
from .repair import plan, repair
from .unpack import copy_folder, extract_zip, is_debris

log = logging.getLogger(__name__)
REFUSED = "not collected: "  # what preview says of a hand-in that collect would refuse
NESTED_ZIPS = 3  # a zip of a zip of a zip at most
NESTED_FOLDERS = 8  # single folders around the notebooks: Archive/jane/lung_segmentation/ and deeper
MODEL = ("artifacts/unet.weights.h5", "artifacts/training.json")  # the trained model notebook 5 grades
# What nbgrader's exchange writes into each submission; release_feedback names the feedback by them.
NBGRADER_FILES = ("timestamp.txt", "submission_secret.txt")
MAX_NBGRADER_FILE = 1024  # bytes: a timestamp, or 128 hex digits


class BadHandIns(GradingError):
    """Some hand-ins could not be collected: ``problems`` names each and why; ``students`` were collected."""

    def __init__(self, problems, students):
        super().__init__(f"collected {len(students)} hand-in(s), but not these:\n" + "\n".join(problems))
        self.problems, self.students = problems, students


def collect(submissions, course=DEFAULT_COURSE):
    """Collect every hand-in in ``submissions``; return the student ids, sorted.

    ``submissions`` is a folder or a zip of hand-ins, one per student, as the instructor gathered
    them or as Canvas or Moodle downloads them (``lms.py``: the newest upload of each student is
    graded). A hand-in holds the notebooks, ``helpers/`` and ``artifacts/`` (trained weights), at
    its top or under single folders, or in a zip within the zip. The originals are only read; the
    copy in ``submitted/`` is repaired, and the repairs are kept in the course's ledger. Bad
    hand-ins are recorded there too, and named together in a BadHandIns error after the good ones
    are collected.
    """
    students, problems = [], []
    with _opened(submissions) as folder:
        for entry, key, earlier, older in _identified(folder):
            try:
                _check_unique(entry, earlier)
                students.append(collect_one(entry, course, older))
            except GradingError as error:
                problems.append(str(error))
                ledger.set_problem(course, key, "collect", str(error).removeprefix(f"{entry}: "))
            except Exception as error:  # noqa: BLE001: one hand-in that breaks collect never stops the others
                log.debug("%s: collect failed:\n%s", entry, traceback.format_exc())
                why = f"{type(error).__name__}: {error} (the traceback is in the grading log)"
                problems.append(f"{entry}: {why}")
                ledger.set_problem(course, key, "collect", why)
    if problems:
        raise BadHandIns(problems, students)
    return students


def collect_one(entry, course=DEFAULT_COURSE, older=(), student=None, notes=()):
    """Copy one hand-in to ``submitted/<student>/lung_segmentation``, replacing an earlier copy; repair it and
    keep only what is graded. ``older``: the student's earlier uploads in an LMS download, not graded;
    ``student``: the student id, when the hand-in's name is not it (an exchange's submission); ``notes``:
    lines to list with its repairs."""
    named = None if student else lms.parse(Path(entry).name)
    target = Course.of(course).step("submitted", student or student_id(entry))
    ledger.set_late(course, target.parent.name, f"late ({named.lms})" if named and named.late else None)
    with unpacked(entry, older, student) as (student, handed_in, left_out):
        left_out[:0] = notes
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(handed_in, target)
    for note in left_out:
        log.warning("%s: %s", student, note)
    release = Course.of(course).step("release")
    if release.is_dir():
        repairs = repair(target, release)
    else:
        repairs = []
        log.warning("%s: no release in %s, so the hand-in is collected unrepaired", student, course)
    ledger.set_repairs(course, student, left_out + repairs + keep_graded(target, release))
    unwritable_by_others(target)
    ledger.set_problem(course, student, "collect", None)
    for needed in ("helpers", MODEL[0]):
        if not (target / needed).exists():
            log.warning("%s: no %s in the hand-in; the questions that need it will score 0", student, needed)
    log.debug("collected %s from %s", student, entry)
    return student


def keep_graded(folder, release):
    """Delete from the collected hand-in ``folder`` all but the notebooks (the release's, when there is
    one), ``helpers/`` and the trained model; return a note naming what was deleted that the release
    does not hold.

    Only these reach nbgrader's ``autograded/`` folder and the sandboxed kernels; repair has
    already named (and reconciled) any other notebook."""
    source = Path(release) if Path(release).is_dir() else Path(folder)
    notebooks = {path.name for path in source.glob("*.ipynb")}
    released = {path.relative_to(release).as_posix() for path in Path(release).rglob("*")}
    dropped = []
    for path in sorted(Path(folder).rglob("*"), reverse=True):  # a folder's files before the folder
        name = path.relative_to(folder).as_posix()
        if name in notebooks or name == "helpers" or name.startswith("helpers/") or name in (*MODEL, "artifacts"):
            continue
        if path.is_dir():
            if not any(path.iterdir()):
                path.rmdir()
            continue
        path.unlink()
        top_notebook = path.parent == Path(folder) and path.suffix.lower() == ".ipynb"
        if name not in (*released, *NBGRADER_FILES) and not top_notebook:
            dropped.append(name)
    return [f"not graded, left out: {', '.join(sorted(dropped))}"] if dropped else []


def unwritable_by_others(folder):
    """Take group and others' write permission from ``folder`` and all in it, whatever the umask made:
    autograde refuses what others may write (``ledger.not_gradable``)."""
    for path in [Path(folder), *Path(folder).rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o022)


def nbgrader_file(path):
    """The text of one of NBGRADER_FILES if ``path`` is a small regular file, else None. Opened without
    following a link or waiting on a FIFO, then checked, so nothing swapped in meanwhile is read."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as opened:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_NBGRADER_FILE:
            return None
        return opened.read(MAX_NBGRADER_FILE).decode(errors="replace")


def preview(submissions, course=DEFAULT_COURSE):
    """``{student: repairs}`` that collecting ``submissions`` would make; changes nothing.

    A hand-in that cannot be collected maps to ``["not collected: why"]`` (``REFUSED``).
    """
    release = Course.of(course).step("release")
    if not release.is_dir():
        raise GradingError(f"no release in {course}: run `python -m grading release` first")
    found = {}
    with _opened(submissions) as folder:
        for entry, key, earlier, older in _identified(folder):
            try:
                _check_unique(entry, earlier)
                with unpacked(entry, older) as (student, handed_in, left_out):
                    found[student] = left_out + plan(handed_in, release)[2]
            except GradingError as error:
                found[key] = [REFUSED + str(error).removeprefix(f"{entry}: ")]
    return found


@contextlib.contextmanager
def unpacked(entry, older=(), student=None):
    """``(student, folder of the notebooks, what was left out)`` of the hand-in ``entry``: its regular
    files, copied or unzipped to a scratch folder. ``older``: the student's earlier LMS uploads, named
    as left out; ``student``: the student id, when the hand-in's name is not it."""
    entry = Path(entry)
    named = student is None
    student = student or student_id(entry)
    if entry.is_symlink():
        raise GradingError(f"{entry}: a symbolic link, not a hand-in; put the folder or zip itself there")
    if not student or not (entry.is_dir() or entry.suffix == ".zip"):
        raise GradingError(f"{entry}: a hand-in is a folder or a .zip named by the student id")
    renamed = named and student != _name(entry)
    left_out = [f"handed in as {_name(entry)!r}; graded as student {student}"] if renamed else []
    left_out += [f"an older upload, not graded: {path.name}" for path in older]
    with tempfile.TemporaryDirectory() as scratch:
        if entry.is_file():
            folder = extract_zip(entry, Path(scratch) / "0", left_out)
        else:
            folder = Path(scratch) / "0"
            copy_folder(entry, folder, left_out)
        yield student, _assignment_folder(folder, entry, Path(scratch), left_out), left_out


@contextlib.contextmanager
def _opened(submissions):
    """The folder of hand-ins ``submissions``, or a scratch folder holding the zip ``submissions`` unpacked
    (an LMS's download), with what was left out of it logged."""
    submissions = Path(submissions)
    if submissions.is_dir() or submissions.suffix != ".zip":
        yield submissions
        return
    with tempfile.TemporaryDirectory(prefix="lungkit-hand-ins-") as scratch:
        notes = []
        extract_zip(submissions, Path(scratch), notes, class_zip=True)
        for note in notes:
            log.warning("%s: %s", submissions.name, note)
        yield Path(scratch)


def _identified(submissions):
    """``(hand-in, ledger key, earlier hand-in with its student id or None, the student's older LMS
    uploads)`` for each hand-in to collect in the folder ``submissions``; the key is the student id,
    or the file name of a hand-in that has none of its own."""
    taken = {}
    for entry, older in lms.newest(_entries(submissions)).items():
        student = student_id(entry)
        earlier = taken.setdefault(student, entry) if student else entry
        if earlier is entry:
            yield entry, student or entry.name, None, older
        else:
            yield entry, entry.name, earlier, older


def _check_unique(entry, earlier):
    if earlier is not None:
        raise GradingError(f"{entry}: its student id {student_id(entry)} is also that of {earlier.name}; "
                           "rename one of them")


def _entries(submissions):
    if not Path(submissions).is_dir():
        raise GradingError(f"{submissions} is not a folder or a zip: give the folder (or the LMS's zip) that holds "
                           "the hand-ins")
    entries = sorted(p for p in Path(submissions).iterdir() if not p.name.startswith(".") and not is_debris(p.name))
    if not entries:
        raise GradingError(f"{submissions} is empty: put one folder or zip per student there, named by student id")
    return entries


def student_id(entry):
    """The student id of the hand-in ``entry``: the LMS's id in an LMS's name (``lms.py``), else its name
    (less ``.zip``) in ASCII letters, digits and ``_.-`` (``Zoë Ångström`` is ``Zoe_Angstrom``); empty
    when nothing of the name is left."""
    named = lms.parse(Path(entry).name)
    if named:
        return named.student
    ascii_name = unicodedata.normalize("NFKD", _name(entry)).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", ascii_name).strip("_.-")


def _name(entry):
    return Path(entry).stem if Path(entry).suffix == ".zip" else Path(entry).name


def _assignment_folder(folder, entry, scratch, left_out, zips_opened=0, depth=0):
    """The folder of a hand-in that holds its notebooks: the hand-in itself, or the folder found by going
    down its one subfolder holding notebooks, or into the one zip it holds (unzipped under ``scratch``)."""
    if any(folder.glob("*.ipynb")):
        return folder
    subfolders = [p for p in sorted(folder.iterdir()) if p.is_dir() and any(p.rglob("*.ipynb"))]
    zips = sorted(folder.glob("*.zip"))
    if len(subfolders) == 1 and depth < NESTED_FOLDERS:
        return _assignment_folder(subfolders[0], entry, scratch, left_out, zips_opened, depth + 1)
    if not subfolders and len(zips) == 1 and zips_opened < NESTED_ZIPS:
        inner = extract_zip(zips[0], scratch / f"{zips_opened + 1}", left_out)
        return _assignment_folder(inner, entry, scratch, left_out, zips_opened + 1, depth)
    where = folder.relative_to(scratch / str(zips_opened)).as_posix()
    inside = "" if where == "." else f" in {where}/"
    if subfolders:
        found = f"notebooks in {len(subfolders)} folders{inside} ({', '.join(p.name + '/' for p in subfolders)})"
    else:
        names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
        held = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        found = f"no notebooks{inside}; it holds {held or 'nothing'}"
    raise GradingError(f"{entry}: {found}; a hand-in holds the five notebooks, in one folder")
