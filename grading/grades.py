"""Grades: one CSV row per student and graded cell, from nbgrader's gradebook."""
import csv
import logging
from pathlib import Path

from nbgrader.api import Gradebook

from .course import ASSIGNMENT, DEFAULT_COURSE, course_api

log = logging.getLogger(__name__)
COLUMNS = ("student", "notebook", "question", "score", "max_score", "needs_manual_grade")


def export(course=DEFAULT_COURSE, out=None):
    """Write the grades of every submission to ``out`` (default ``<course>/grades.csv``); return its path.

    ``question`` is the cell's grade_id; ``score`` is the manual score where one was given, else
    the autograder's. ``needs_manual_grade`` marks the answers still to grade in the formgrader.
    """
    out = Path(out or Path(course) / "grades.csv")
    coursedir = course_api(course).coursedir
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        rows = [
            (submission.student.id, notebook.name, grade.name, grade.score, grade.max_score, grade.needs_manual_grade)
            for submission in gradebook.assignment_submissions(ASSIGNMENT)
            for notebook in submission.notebooks
            for grade in notebook.grades
        ]
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        writer.writerows(sorted(rows))
    log.info("grades: %d rows for %d students in %s", len(rows), len({row[0] for row in rows}), out)
    return out
