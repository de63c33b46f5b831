"""Feedback: nbgrader's HTML feedback per student, checked to hold no hidden test, with the repairs
made to the hand-in listed at the top of each page."""
import html
import logging
import re
import shutil
import traceback
from pathlib import Path

from . import ledger
from .course import ASSIGNMENT, DEFAULT_COURSE, course_api, step_dir
from .leaks import HIDDEN_TESTS, describe, find_leaks, secret_lines

log = logging.getLogger(__name__)
BODY = re.compile(r"<body[^>]*>")


def feedback(course=DEFAULT_COURSE):
    """Write ``feedback/<student>/lung_segmentation/*.html`` for every autograded student; return the files.

    The folder holds the pages only: nbgrader's copies of the hand-in's other files are removed.

    The course settings remove hidden tests and their tracebacks (``ClearHiddenTestsInFeedback``);
    each student's pages are then read, and deleted if one still shows a hidden-test line. A student
    whose feedback nbgrader cannot write, or that had to be deleted, is named and recorded in the
    course's ledger; the others get theirs.
    """
    api = course_api(course)
    hidden = secret_lines(step_dir(course, "source"), kinds=("hidden tests",))
    students = sorted(p.parent.name for p in (Path(course) / "autograded").glob(f"*/{ASSIGNMENT}") if p.is_dir())
    for student in students:
        try:
            problem = _feedback_for(api, course, student, hidden)
        except Exception as error:  # noqa: BLE001: one student's failure never stops the others' feedback
            log.debug("%s: feedback failed:\n%s", student, traceback.format_exc())
            problem = f"{type(error).__name__}: {error} (the traceback is in the grading log)"
        ledger.set_problem(course, student, "feedback", problem)
        if problem:
            log.error("%s: no feedback: %s", student, problem)
    files = sorted((Path(course) / "feedback").glob(f"*/{ASSIGNMENT}/*.html"))
    log.info("feedback: %d HTML files in %s/feedback, no hidden test in them", len(files), course)
    return files


def _feedback_for(api, course, student, hidden):
    """Write and check one student's feedback; return why there is none, or None."""
    result = api.generate_feedback(ASSIGNMENT, student)
    folder = step_dir(course, "feedback", student)
    if not result["success"]:
        log.debug("%s: nbgrader generate_feedback failed; its log:\n%s", student, result["log"])
        return "nbgrader could not write it (its log is in the grading log)"
    _keep_pages_only(folder)
    leaks = find_leaks(folder, hidden, markers=HIDDEN_TESTS)
    if leaks:
        shutil.rmtree(folder)
        log.debug("%s: hidden tests in feedback:\n%s", student, describe(leaks))
        return f"it showed {len(leaks)} hidden-test line(s), so it is deleted (they are in the grading log)"
    _list_repairs(folder, ledger.load(course).get(student, {}).get("repairs", []))
    return None


def _keep_pages_only(folder):
    """Remove what nbgrader copied beside the pages (the hand-in's own files): feedback is the pages."""
    for path in sorted(folder.iterdir()):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.suffix != ".html":
            path.unlink()


def _list_repairs(folder, repairs):
    """Put the list of ``repairs`` at the top of each feedback page in ``folder``."""
    if not repairs:
        return
    items = "".join(f"<li>{html.escape(repair)}</li>" for repair in repairs)
    box = ('<div class="lungkit-repairs" style="border:1px solid #c90;padding:0.5em 1em;margin:1em">'
           f"<p><b>Your hand-in was repaired before grading:</b></p><ul>{items}</ul></div>")
    for page in folder.glob("*.html"):
        text = page.read_text()
        page.write_text(BODY.sub(lambda body: body.group(0) + box, text, count=1))
