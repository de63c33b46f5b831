"""Autograde: nbgrader autograde of every collected submission, each against its own helpers."""
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .course import ASSIGNMENT, DEFAULT_COURSE, GradingError, course_api
from .preprocessors import kernel_environment

log = logging.getLogger(__name__)
FIND_HELPERS = "import importlib.util as u; spec = u.find_spec('helpers'); print(spec and spec.origin)"


def autograde(course=DEFAULT_COURSE, students=None, timeout=None):
    """Autograde ``students`` (default: all collected) afresh; return ``{student: result}``.

    A result has ``success`` (nbgrader finished; failing tests do not count), ``seconds``,
    ``score`` and ``max_score`` (points so far, of all) and, when nbgrader failed, ``log``.
    One student's failure does not stop the others. ``submitted/`` is only read.
    """
    check_isolation()
    api = course_api(course, timeout)
    if students is None:
        students = sorted(p.name for p in (Path(course) / "submitted").glob("*") if p.is_dir())
    if not students:
        raise GradingError(f"nothing to autograde in {course}/submitted: run `python -m grading collect HAND_INS` first")
    results = {}
    for student in students:
        start = time.perf_counter()
        outcome = api.autograde(ASSIGNMENT, student, force=True)
        seconds = round(time.perf_counter() - start, 1)
        submission = api.get_submission(ASSIGNMENT, student)
        result = results[student] = {
            "success": outcome["success"],
            "seconds": seconds,
            "score": submission["score"],
            "max_score": submission["max_score"],
        }
        if outcome["success"]:
            to_do = ", written answers to grade by hand" if submission["needs_manual_grade"] else ""
            log.info("%s: %g of %g points in %.0f s%s", student, result["score"], result["max_score"], seconds, to_do)
        else:
            result["log"] = outcome["log"]
            log.error("%s: nbgrader could not autograde it:\n%s", student, result["log"])
    return results


def check_isolation():
    """Raise GradingError if a grading kernel could import a ``helpers`` from outside the submission."""
    with tempfile.TemporaryDirectory() as empty:
        probe = subprocess.run(
            [sys.executable, "-c", FIND_HELPERS], cwd=empty, env=kernel_environment(), capture_output=True, text=True
        )
    if probe.returncode or probe.stdout.strip() != "None":
        raise GradingError(
            f"a grading kernel would import helpers from {probe.stdout.strip() or probe.stderr.strip()}: "
            "submissions would be graded with it; remove it from the environment (pip uninstall, .pth file)"
        )
