"""Rosters in, grades out: an LMS's class list, read to match hand-ins to students, and the file to
import the totals back into that LMS, in its own layout.

- Canvas: its gradebook export (Grades, Export) in, ``canvas.csv`` out: the five student columns,
  the points row, and one column named as the export names the assignment.
- Moodle: its grading worksheet (Assignment, View all submissions, Download grading worksheet) in,
  ``moodle.csv`` out: the same worksheet with the Grade column filled.
"""
import csv
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import GradingError

log = logging.getLogger(__name__)
CANVAS_STUDENT = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_KEY = "SIS Login ID"  # the hand-in's student id, unless it is Canvas' user ID
CANVAS_ASSIGNMENT = "Lung segmentation"
MOODLE_COLUMNS = ("Identifier", "Full name", "Grade")  # of the worksheet's columns, those the kit reads or fills
MOODLE_PARTICIPANT = "Participant "


@dataclass
class Roster:
    """A class list: ``lms`` ("Canvas" or "Moodle"), its ``columns`` and student ``rows`` (dicts)."""

    lms: str
    columns: list
    rows: list

    @property
    def import_file(self):
        return f"{self.lms.lower()}.csv"

    def key(self, row, ids):
        """The student id of a row's hand-in among ``ids``: Canvas' user ``ID`` or ``SIS Login ID``; Moodle's
        participant number."""
        if self.lms == "Moodle":
            return row["Identifier"].removeprefix(MOODLE_PARTICIPANT).strip()
        return row["ID"] if row["ID"] in ids else (row[CANVAS_KEY] or row["ID"])

    def name(self, row):
        """``(first name, last name)`` of a row: Canvas writes ``Last, First``, Moodle ``First Last``."""
        if self.lms == "Moodle":
            first, _, last = row["Full name"].strip().rpartition(" ")
            return first, last
        last, _, first = row["Student"].partition(", ")
        return first.strip(), last.strip()


def read(path):
    """The Roster in ``path``: Canvas' gradebook export or Moodle's grading worksheet."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as stream:
            reader = csv.DictReader(stream)
            rows, columns = list(reader), reader.fieldnames or []
    except OSError as error:
        raise GradingError(f"roster {path}: cannot read it ({error})") from error
    if all(column in columns for column in MOODLE_COLUMNS):
        return Roster("Moodle", columns, [row for row in rows if row["Identifier"].startswith(MOODLE_PARTICIPANT)])
    missing = [column for column in CANVAS_STUDENT if column not in columns]
    if not rows or missing:
        raise GradingError(f"roster {path}: no {', '.join(missing) or 'students'}; give Canvas' gradebook export "
                           "(Grades, Export, CSV) or Moodle's grading worksheet (View all submissions, Download "
                           "grading worksheet)")
    return Roster("Canvas", columns, [row for row in rows if (row[CANVAS_KEY] or row["ID"])
                                      and not row["Student"].strip().startswith("Points Possible")])


def write_import(folder, roster, students):
    """Write the LMS's import file into ``folder``; return its path. Only a fully graded student gets
    a grade; the others' cells are left as the LMS has them."""
    by_id = {student["student"]: student for student in students}
    path = Path(folder) / roster.import_file
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        if roster.lms == "Canvas":
            possible = max((s["max_score"] for s in students if s["max_score"] != ""), default="")
            writer.writerow([*CANVAS_STUDENT, _canvas_column(roster.columns)])
            writer.writerow(["    Points Possible", "", "", "", "", possible])
        else:
            writer.writerow(roster.columns)
        for row in roster.rows:
            student = by_id[roster.key(row, by_id)]
            total = student["total"] if student["status"] == "graded" else None
            if roster.lms == "Canvas":
                writer.writerow([*(row[column] for column in CANVAS_STUDENT), "" if total is None else total])
            else:
                writer.writerow([row[column] if column != "Grade" or total is None else f"{total:g}"
                                 for column in roster.columns])
    return path


def _canvas_column(columns):
    """The export's column of this assignment, ``Lung segmentation (<Canvas id>)``; without one,
    ``Lung segmentation``, which Canvas imports as a new assignment (said in a warning)."""
    found = [column for column in columns if re.fullmatch(rf"{CANVAS_ASSIGNMENT} \(\d+\)", column.strip())]
    if len(found) == 1:
        return found[0]
    log.warning("the roster has %s column named '%s (<id>)', so canvas.csv's column '%s' imports as a new "
                "assignment: export the roster after creating the assignment in Canvas",
                "more than one" if found else "no", CANVAS_ASSIGNMENT, CANVAS_ASSIGNMENT)
    return CANVAS_ASSIGNMENT
