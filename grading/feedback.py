"""Feedback: nbgrader's HTML feedback per student, checked to hold no hidden test."""
import logging
from pathlib import Path

from .course import ASSIGNMENT, DEFAULT_COURSE, GradingError, course_api, step_dir, succeeded
from .leaks import HIDDEN_TESTS, describe, find_leaks, secret_lines

log = logging.getLogger(__name__)


def feedback(course=DEFAULT_COURSE):
    """Write ``feedback/<student>/lung_segmentation/*.html`` for every autograded student; return the files.

    The course settings remove hidden tests and their tracebacks (``ClearHiddenTestsInFeedback``);
    ``check_feedback`` then reads every file.
    """
    succeeded(course_api(course).generate_feedback(ASSIGNMENT), "generate_feedback")
    check_feedback(course)
    files = sorted((Path(course) / "feedback").glob(f"*/{ASSIGNMENT}/*.html"))
    log.info("feedback: %d HTML files in %s/feedback, no hidden test in them", len(files), course)
    return files


def check_feedback(course):
    """Delete each feedback file that shows a hidden-test line or marker, and raise GradingError naming them."""
    hidden = secret_lines(step_dir(course, "source"), kinds=("hidden tests",))
    leaks = find_leaks(Path(course) / "feedback", hidden, markers=HIDDEN_TESTS)
    if leaks:
        for path in {path for path, _ in leaks}:
            path.unlink()
        raise GradingError("hidden tests in feedback; those files are deleted:\n" + describe(leaks))
