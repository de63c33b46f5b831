"""Release: the student version of the assignment, from ``notebooks/`` and ``helpers/``, checked for leaks."""
import logging
import shutil
from pathlib import Path

from nbformat.v4 import new_code_cell
from nbgrader.preprocessors import ClearSolutions

from .course import ASSIGNMENT, DEFAULT_COURSE, KIT, GradingError, course_api, succeeded, step_dir, write_config
from .leaks import describe, find_leaks, secret_lines

log = logging.getLogger(__name__)
# pipeline.py is the instructor's reference run: it would answer the compile, fit and evaluate cells.
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "pipeline.py")


def release(course=DEFAULT_COURSE, notebooks=KIT / "notebooks", helpers=KIT / "helpers"):
    """Build ``source/`` and ``release/`` in the course folder; return the release folder.

    Raises GradingError when nbgrader fails or when the release holds a solution or hidden-test line.
    """
    build_source(course, notebooks, helpers)
    write_config(course)
    succeeded(course_api(course).generate_assignment(ASSIGNMENT, force=True), "generate_assignment")
    released = step_dir(course, "release")
    strip_solutions(released / "helpers")
    check_release(course)
    log.info("released %s: %d notebooks and helpers/, no solution or hidden test in them",
             released, len(list(released.glob("*.ipynb"))))
    return released


def check_release(course):
    """Raise GradingError if the release holds a solution or hidden-test line, or a marker."""
    leaks = find_leaks(step_dir(course, "release"), secret_lines(step_dir(course, "source")))
    if leaks:
        raise GradingError("the release gives answers away; do not hand it out:\n" + describe(leaks))


def build_source(course, notebooks, helpers):
    """Copy the notebooks and the helpers package into the course's ``source/lung_segmentation``."""
    source = step_dir(course, "source")
    found = sorted(Path(notebooks).glob("*.ipynb"))
    if not found:
        raise GradingError(f"no notebooks in {notebooks}: nothing to release")
    if source.exists():
        shutil.rmtree(source)
    source.mkdir(parents=True)
    for notebook in found:
        shutil.copy2(notebook, source)
    shutil.copytree(helpers, source / "helpers", ignore=IGNORED)
    return source


def strip_solutions(folder):
    """Replace each solution region of the ``.py`` files in ``folder`` with nbgrader's code stub."""
    clear = ClearSolutions(enforce_metadata=False)
    for path in sorted(Path(folder).rglob("*.py")):
        cell, _ = clear.preprocess_cell(new_code_cell(path.read_text()), {"language": "python"}, 0)
        path.write_text(cell.source)
