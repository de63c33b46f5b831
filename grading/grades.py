"""Grades: the per-question CSV, the per-student CSV and, given a roster, a Canvas gradebook import
file, from nbgrader's gradebook and the course's ledger of hand-ins that could not be graded."""
import csv
import logging
import re
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from . import ledger
from .course import ASSIGNMENT, DEFAULT_COURSE, GradingError, course_api, step_dir

log = logging.getLogger(__name__)
COLUMNS = ("student", "notebook", "question", "score", "max_score", "needs_manual_grade", "status")
STUDENT_COLUMNS = ("student", "autograded", "manual", "total", "max_score", "to_grade_by_hand", "repairs", "late",
                   "status")
# Canvas' gradebook export and import layout: five student columns, then one column per assignment.
CANVAS_STUDENT = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_KEY = "SIS Login ID"  # the roster column that holds the hand-in's student id
CANVAS_ASSIGNMENT = "Lung segmentation"
STOPPING = ("collect", "autograde")  # a problem in these steps means the grades are not the hand-in's


def export(course=DEFAULT_COURSE, out=None, roster=None):
    """Write the grades files; return the path of the per-question CSV (default ``<course>/grades.csv``).

    Beside it: ``students.csv``, one row per student, and with ``roster`` (Canvas' gradebook export,
    whose ``SIS Login ID`` is the hand-in's student id) ``canvas.csv`` to import into Canvas. A
    student who could not be graded gets a row whose ``status`` says why; so does a roster student
    without a hand-in. Every file is written whatever the problems; they are logged as errors.
    """
    out = Path(out or Path(course) / "grades.csv")
    questions = _questions(course)
    rows = _question_rows(course)
    out.parent.mkdir(parents=True, exist_ok=True)
    _write(out, COLUMNS, rows)
    students, roster_rows = _student_rows(course, rows, questions), None
    try:  # a bad roster stops canvas.csv only
        if roster:
            roster_rows = _read_roster(roster)
            students = _with_roster(students, roster_rows)
            _write_canvas(out.with_name("canvas.csv"), roster_rows, students)
            _name_students(course, roster_rows)
    finally:
        _write(out.with_name("students.csv"), STUDENT_COLUMNS, students)
    for student in students:
        if student["status"] not in ("graded", "to grade by hand"):
            log.error("%s: %s", student["student"], student["status"])
    log.info("grades: %d students in %s and %s%s", len(students), out, out.with_name("students.csv").name,
             " and canvas.csv" if roster_rows is not None else "")
    return out


def _questions(course):
    """``{(notebook, grade_id): True for an answer graded by hand, False for an autograded test}`` of the source."""
    return {
        (path.stem, cell.metadata.nbgrader.grade_id): bool(cell.metadata.nbgrader.get("solution"))
        for path in sorted(step_dir(course, "source").glob("*.ipynb"))
        for cell in nbformat.read(path, as_version=4).cells
        if cell.metadata.get("nbgrader", {}).get("grade")
    }


def _question_rows(course):
    """One row per student and graded cell of the gradebook, and one per student it lacks."""
    coursedir = course_api(course).coursedir
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        graded = [
            dict(student=submission.student.id, notebook=notebook.name, question=grade.name, score=grade.score,
                 max_score=grade.max_score, needs_manual_grade=grade.needs_manual_grade)
            for submission in gradebook.assignment_submissions(ASSIGNMENT)
            for notebook in submission.notebooks
            for grade in notebook.grades
        ]
    handed_in = set(ledger.load(course)) | {p.parent.name for p in (Path(course) / "submitted").glob(f"*/{ASSIGNMENT}")}
    missing = handed_in - {row["student"] for row in graded}
    rows = graded + [dict(student=student, notebook="", question="", score="", max_score="", needs_manual_grade="")
                     for student in missing]
    for row in rows:
        row["status"] = _status(course, row["student"], row["needs_manual_grade"] is True, row["question"])
    return sorted(rows, key=lambda row: (row["student"], row["notebook"], row["question"]))


def _status(course, student, by_hand, graded=True):
    """``graded``, ``to grade by hand`` or ``not graded: why``."""
    stopped = [problem for problem in ledger.problems(course, student) if problem.startswith(STOPPING)]
    if stopped or not graded:
        return "not graded: " + ("; ".join(stopped) or "not autograded yet (run python -m grading autograde)")
    unsandboxed = [problem for problem in ledger.problems(course, student) if problem.startswith("sandbox")]
    return "; ".join(["to grade by hand" if by_hand else "graded", *unsandboxed])


def _student_rows(course, rows, questions):
    """One summary row per student of ``rows``."""
    entries = ledger.load(course)
    summary = []
    for student in sorted({row["student"] for row in rows}):
        mine = [row for row in rows if row["student"] == student and row["question"]]
        pending = sorted(row["question"] for row in mine if row["needs_manual_grade"])
        points = {kind: sum(row["score"] for row in mine if questions.get((row["notebook"], row["question"])) == kind)
                  for kind in (False, True)}
        status = _status(course, student, bool(pending), bool(mine))
        problems = [p for p in ledger.problems(course, student) if not p.startswith((*STOPPING, "sandbox"))]
        summary.append(dict(
            student=student, autograded=points[False], manual=points[True], total=points[False] + points[True],
            max_score=sum(row["max_score"] for row in mine), to_grade_by_hand=" ".join(pending),
            repairs=len(entries.get(student, {}).get("repairs", [])), late=ledger.late(course, student) or "",
            status="; ".join([status] + problems),
        ))
    return summary


def _roster_key(row, ids):
    """The student id of a roster row's hand-in: Canvas' user ``ID`` (the id in its downloads' names) when a
    hand-in has it, else the ``SIS Login ID``."""
    return row["ID"] if row["ID"] in ids else (row[CANVAS_KEY] or row["ID"])


def _with_roster(students, roster_rows):
    """``students`` with those missing from the roster marked, and a row for each roster student without a hand-in."""
    ids = {student["student"] for student in students}
    listed = {_roster_key(row, ids) for row in roster_rows}
    for student in students:
        if student["student"] not in listed:
            student["status"] += "; not in the roster, so not in canvas.csv"
    absent = [_no_hand_in(student) for student in listed - {student["student"] for student in students}]
    return sorted(students + absent, key=lambda student: student["student"])


def _no_hand_in(student):
    return dict(student=student, autograded="", manual="", total="", max_score="", to_grade_by_hand="",
                repairs="", late="", status="no hand-in (in the roster)")


def _read_roster(roster):
    """The rows of Canvas' gradebook export ``roster``, checked to have the student columns."""
    try:
        with open(roster, newline="", encoding="utf-8-sig") as stream:
            rows = list(csv.DictReader(stream))
    except OSError as error:
        raise GradingError(f"roster {roster}: cannot read it ({error})") from error
    missing = [column for column in CANVAS_STUDENT if rows and column not in rows[0]]
    if not rows or missing:
        raise GradingError(f"roster {roster}: no {', '.join(missing) or 'students'}; give Canvas' gradebook export "
                           "(Grades, Export, CSV), whose SIS Login ID is each hand-in's student id")
    return [row for row in rows
            if (row[CANVAS_KEY] or row["ID"]) and not row["Student"].strip().startswith("Points Possible")]


def _write_canvas(path, roster_rows, students):
    """Canvas' import layout: the roster's student columns, then the total of each fully graded student.

    The grade column is named as the roster names the assignment (``Lung segmentation (4711)``), so
    that Canvas updates it rather than making a new one. A student still to grade by hand, not
    graded or without a hand-in gets an empty cell, which Canvas leaves as it is.
    """
    by_id = {student["student"]: student for student in students}
    possible = max((student["max_score"] for student in students if student["max_score"] != ""), default="")
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([*CANVAS_STUDENT, _canvas_column(roster_rows[0] if roster_rows else {})])
        writer.writerow(["    Points Possible", "", "", "", "", possible])
        for row in roster_rows:
            student = by_id[_roster_key(row, by_id)]
            total = student["total"] if student["status"] == "graded" else ""
            writer.writerow([*(row[column] for column in CANVAS_STUDENT), total])


def _canvas_column(roster_row):
    """The roster's column of this assignment, ``Lung segmentation (<Canvas id>)``; without one,
    ``Lung segmentation``, which Canvas imports as a new assignment (said in a warning)."""
    found = [column for column in roster_row if re.fullmatch(rf"{CANVAS_ASSIGNMENT} \(\d+\)", column.strip())]
    if len(found) == 1:
        return found[0]
    log.warning("the roster has %s column named '%s (<id>)', so canvas.csv's column '%s' imports as a new "
                "assignment: export the roster after creating the assignment in Canvas",
                "more than one" if found else "no", CANVAS_ASSIGNMENT, CANVAS_ASSIGNMENT)
    return CANVAS_ASSIGNMENT


def _name_students(course, roster_rows):
    """Give the gradebook's students their names from the roster (Canvas' ``Last, First``), which the
    formgrader shows."""
    coursedir = course_api(course).coursedir
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        known = {student.id for student in gradebook.students}
        for row in roster_rows:
            if _roster_key(row, known) in known:
                last, _, first = row["Student"].partition(", ")
                gradebook.update_or_create_student(_roster_key(row, known), last_name=last.strip(),
                                                   first_name=first.strip())


def _write(path, columns, rows):
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, columns)
        writer.writeheader()
        writer.writerows(rows)
