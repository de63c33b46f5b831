"""Feedback: nbgrader's HTML feedback per student, checked to hold no hidden test, with the repairs
made to the hand-in listed at the top of each page and the answers still to be graded by hand shown
as pending, not as 0 points."""
import html
import logging
import re
import shutil
import traceback

from .. import ledger
from ..intake.collect import NBGRADER_FILES, nbgrader_file
from ..course import DEFAULT_COURSE, Course, course_api, gradebook
from ..course_folder import ASSIGNMENT
from .leaks import HIDDEN_TESTS, describe, find_leaks, secret_lines

log = logging.getLogger(__name__)
BODY = re.compile(r"<body[^>]*>")
PENDING = "pending, to be graded by hand"


def feedback(course=DEFAULT_COURSE):
    """Write ``feedback/<student>/lung_segmentation/*.html`` for every autograded student; return the files.

    nbgrader writes each student's pages, then calls ``finish_feedback`` (the course's setting), as
    it does for the formgrader's *Generate Feedback* button. A student whose feedback nbgrader cannot
    write, or that had to be deleted, is named and recorded in the course's ledger; the others get theirs.
    """
    course = Course.of(course)
    api = course_api(course)
    students = course.students("autograded")
    for student in students:
        try:
            result = api.generate_feedback(ASSIGNMENT, student)
            if not result["success"]:
                log.debug("%s: nbgrader generate_feedback failed; its log:\n%s", student, result["log"])
                ledger.set_problem(course, student, "feedback", "nbgrader could not write it (its log is in the grading log)")
        except Exception as error:  # noqa: BLE001: one student's failure never stops the others' feedback
            log.debug("%s: feedback failed:\n%s", student, traceback.format_exc())
            ledger.set_problem(course, student, "feedback",
                               f"{type(error).__name__}: {error} (the traceback is in the grading log)")
        for why in ledger.problems(course, student, ("feedback",)).values():
            log.error("%s: no feedback: %s", student, why)
    files = sorted(page for student in course.students("feedback") for page in course.step("feedback", student).glob("*.html"))
    log.info("feedback: %d HTML files in %s/feedback, no hidden test in them", len(files), course)
    return files


def finish_feedback(course, student):
    """What the kit adds to nbgrader's feedback pages of ``student``: the folder keeps the pages only,
    is deleted if a page still shows a hidden-test line, and lists the hand-in's repairs at the top of
    each page. Records the outcome in the ledger.

    The course settings remove hidden tests and their tracebacks (``ClearHiddenTestsInFeedback``);
    this checks that none is left. nbgrader calls it after writing the pages (``settings.configure``).
    """
    course = Course.of(course)
    folder = course.step("feedback", student)
    try:
        _keep_pages_only(folder)
        leaks = find_leaks(folder, secret_lines(course.step("source"), kinds=("hidden tests",)),
                           markers=HIDDEN_TESTS)
        if leaks:
            shutil.rmtree(folder)
            log.debug("%s: hidden tests in feedback:\n%s", student, describe(leaks))
            problem = f"it showed {len(leaks)} hidden-test line(s), so it is deleted (they are in the grading log)"
        else:
            _mark_pending(folder, _pending(course, student))
            _list_repairs(folder, ledger.load(course).get(student, {}).get("repairs", []))
            problem = None
    except Exception as error:  # noqa: BLE001: nbgrader would swallow it; the ledger names it
        log.debug("%s: finishing the feedback failed:\n%s", student, traceback.format_exc())
        shutil.rmtree(folder, ignore_errors=True)
        problem = f"{type(error).__name__}: {error} (the traceback is in the grading log)"
    ledger.set_problem(course, student, "feedback", problem)


def _keep_pages_only(folder):
    """Remove what nbgrader copied beside the pages (the hand-in's own files): feedback is the pages,
    and for a submission through nbgrader's exchange the two small files that name them there."""
    for path in sorted(folder.iterdir()):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.suffix != ".html" and not (path.name in NBGRADER_FILES and nbgrader_file(path) is not None):
            path.unlink()


def _pending(course, student):
    """``{notebook: {grade_id: points}}``: the answers of ``student`` that still need grading by hand."""
    with gradebook(course) as book:
        submission = book.find_submission(ASSIGNMENT, student)
        return {notebook.name: {grade.name: grade.max_score for grade in notebook.grades if grade.needs_manual_grade}
                for notebook in submission.notebooks}


def _mark_pending(folder, pending):
    """On each page, show the answers in ``pending`` as pending where nbgrader shows them scored 0, and
    say at the top how many points are still to come."""
    for notebook, answers in pending.items():
        page = folder / f"{notebook}.html"
        if not answers or not page.is_file():
            continue
        text = page.read_text()
        for grade_id, points in answers.items():
            name, label = re.escape(html.escape(grade_id)), f"{PENDING}, {points:g} points"
            # The list at the top, then the answer's own heading.
            text = re.sub(rf'(href="#{name}">[^<]*</a> \()Score: [\d.]+ / [\d.]+', rf"\g<1>{label}", text, count=1)
            text = re.sub(rf'(<a name="{name}"></a>.*?)Score: [\d.]+ / [\d.]+', rf"\g<1>Score: {label}", text,
                          count=1, flags=re.DOTALL)
        note = (f'<div class="lungkit-pending" style="border:1px solid #369;padding:0.5em 1em;margin:1em">'
                f"<b>{len(answers)} answer(s) worth {sum(answers.values()):g} points are still to be graded by "
                "hand</b>: the notebook's score below counts them as 0 until then.</div>")
        page.write_text(BODY.sub(lambda body: body.group(0) + note, text, count=1))


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
