"""Grades: the per-question CSV, the per-student CSV and, given a roster, the LMS's import file
(``rosters/``, one module per LMS), from nbgrader's gradebook and the course's ledger of hand-ins that could not be graded."""
import csv
import logging
from pathlib import Path

import nbformat

from .. import ledger
from . import rosters
from ..course import DEFAULT_COURSE, Course, gradebook
from ..course_folder import ASSIGNMENT

log = logging.getLogger(__name__)
COLUMNS = ("student", "notebook", "question", "score", "max_score", "needs_manual_grade", "status")
STUDENT_COLUMNS = ("student", "autograded", "manual", "total", "max_score", "to_grade_by_hand", "repairs", "late",
                   "status")
STOPPING = ("collect", "autograde")  # a problem in these steps means the grades are not the hand-in's
LATER_STEPS = ("feedback", "export")  # a problem there leaves the grades as they are


def export(course=DEFAULT_COURSE, out=None, roster=None):
    """Write the grades files; return the path of the per-question CSV (default ``<course>/grades.csv``).

    Beside it: ``students.csv``, one row per student, and with ``roster`` (Canvas' gradebook export
    or Moodle's grading worksheet) ``canvas.csv`` or ``moodle.csv`` to import into that LMS. A
    student who could not be graded gets a row whose ``status`` says why; so does a roster student
    without a hand-in. Every file is written whatever the problems; they are logged as errors.
    """
    course = Course.of(course)
    out = Path(out or course.grades_file)
    questions = _questions(course)
    rows = _question_rows(course)
    out.parent.mkdir(parents=True, exist_ok=True)
    _write(out, COLUMNS, rows)
    students, imported = _student_rows(course, rows, questions), None
    try:  # a bad roster stops the import file only
        if roster:
            roster = rosters.read(roster)
            students = _with_roster(students, roster)
            imported = rosters.write_import(out.parent, roster, students)
            _name_students(course, roster)
    finally:
        _write(out.with_name("students.csv"), STUDENT_COLUMNS, students)
    for student in students:
        if student["status"] not in ("graded", "to grade by hand"):
            log.error("%s: %s", student["student"], student["status"])
    log.info("grades: %d students in %s and %s%s", len(students), out, out.with_name("students.csv").name,
             f" and {imported.name}" if imported else "")
    return out


def _questions(course):
    """``{(notebook, grade_id): True for an answer graded by hand, False for an autograded test}`` of the source."""
    return {
        (path.stem, cell.metadata.nbgrader.grade_id): bool(cell.metadata.nbgrader.get("solution"))
        for path in sorted(Course.of(course).step("source").glob("*.ipynb"))
        for cell in nbformat.read(path, as_version=4).cells
        if cell.metadata.get("nbgrader", {}).get("grade")
    }


def _question_rows(course):
    """One row per student and graded cell of the gradebook, and one per student it lacks."""
    with gradebook(course) as book:
        graded = [
            dict(student=submission.student.id, notebook=notebook.name, question=grade.name, score=grade.score,
                 max_score=grade.max_score, needs_manual_grade=grade.needs_manual_grade)
            for submission in book.assignment_submissions(ASSIGNMENT)
            for notebook in submission.notebooks
            for grade in notebook.grades
        ]
    handed_in = set(ledger.load(course)) | set(Course.of(course).students("submitted"))
    missing = handed_in - {row["student"] for row in graded}
    rows = graded + [dict(student=student, notebook="", question="", score="", max_score="", needs_manual_grade="")
                     for student in missing]
    for row in rows:
        row["status"] = _status(course, row["student"], row["needs_manual_grade"] is True, row["question"])
    return sorted(rows, key=lambda row: (row["student"], row["notebook"], row["question"]))


def _status(course, student, by_hand, graded=True):
    """``graded``, ``to grade by hand`` or ``not graded: why``."""
    stopped = ledger.lines(ledger.problems(course, student, STOPPING))
    if stopped or not graded:
        return "not graded: " + ("; ".join(stopped) or "not autograded yet (run python -m grading autograde)")
    unsandboxed = ledger.lines(ledger.problems(course, student, ("sandbox",)))
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
        problems = ledger.lines(ledger.problems(course, student, LATER_STEPS))
        summary.append(dict(
            student=student, autograded=points[False], manual=points[True], total=points[False] + points[True],
            max_score=sum(row["max_score"] for row in mine), to_grade_by_hand=" ".join(pending),
            repairs=len(entries.get(student, {}).get("repairs", [])), late=ledger.late(course, student) or "",
            status="; ".join([status] + problems),
        ))
    return summary


def _with_roster(students, roster):
    """``students`` with those missing from the roster marked, and a row for each roster student without a hand-in."""
    ids = {student["student"] for student in students}
    listed = {roster.key(row, ids) for row in roster.rows}
    for student in students:
        if student["student"] not in listed:
            student["status"] += f"; not in the roster, so not in {roster.import_file}"
    absent = [_no_hand_in(student) for student in listed - ids]
    return sorted(students + absent, key=lambda student: student["student"])


def _no_hand_in(student):
    return dict(student=student, autograded="", manual="", total="", max_score="", to_grade_by_hand="",
                repairs="", late="", status="no hand-in (in the roster)")


def _name_students(course, roster):
    """Give the gradebook's students their names from the roster, which the formgrader shows."""
    with gradebook(course) as book:
        known = {student.id for student in book.students}
        for row in roster.rows:
            student = roster.key(row, known)
            if student in known:
                first, last = roster.name(row)
                book.update_or_create_student(student, first_name=first, last_name=last)


def _write(path, columns, rows):
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, columns)
        writer.writeheader()
        writer.writerows(rows)
