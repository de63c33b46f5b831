"""Rosters in, grades out: an LMS's class list, read to match hand-ins to students, and the file to
import the totals back into that LMS, in its own layout. One module per LMS, each a ``Roster``
subclass (``canvas.py``, ``moodle.py``); ``read`` picks the one whose layout the file has. Another LMS
is one more module here, with its test."""
import csv
import importlib
import pkgutil
from pathlib import Path

from ...errors import GradingError
from .base import Roster
from .canvas import CANVAS_ASSIGNMENT, CANVAS_STUDENT

__all__ = ["CANVAS_ASSIGNMENT", "CANVAS_STUDENT", "Roster", "lms_rosters", "read", "write_import"]


def read(path):
    """The Roster in ``path``, of the LMS whose layout it has."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as stream:
            reader = csv.DictReader(stream)
            rows, columns = list(reader), reader.fieldnames or []
    except OSError as error:
        raise GradingError(f"roster {path}: cannot read it ({error})") from error
    for lms in lms_rosters():
        if not lms.missing(columns):
            roster = lms(columns, [row for row in rows if lms.is_student(row)])
            if roster.rows:
                return roster
    raise GradingError(f"roster {path}: no students in a layout the kit reads; give " + ", or ".join(
        f"{lms.EXPORT} (here without {', '.join(lms.missing(columns)) or 'students'})" for lms in lms_rosters()))


def write_import(folder, roster, students):
    """Write the LMS's import file into ``folder``; return its path. Only a fully graded student gets
    a grade; the others' cells are left as the LMS has them."""
    path = Path(folder) / roster.import_file
    by_id = {student["student"]: student for student in students}
    with path.open("w", newline="") as stream:
        roster.write(csv.writer(stream), by_id)
    return path


def lms_rosters():
    """Every LMS's Roster class: one per module of this package, in the modules' alphabetical order."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return sorted(Roster.__subclasses__(), key=lambda lms: lms.__name__)
