"""Release: the student version of the assignment, from ``notebooks/`` and ``helpers/``, checked for leaks."""
import json
import logging
import re
import shutil
import traceback
from pathlib import Path
from string import Template

import nbformat
from nbformat.v4 import new_code_cell
from nbgrader.preprocessors import ClearSolutions

from ..course import DEFAULT_COURSE, KIT, Course, GradingError, course_api, succeeded, write_config
from ..course_folder import ASSIGNMENT
from ..judging import questions
from ..judging.kit_helpers import kit_helpers
from .leaks import describe, find_leaks, secret_lines

log = logging.getLogger(__name__)
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
# The student side: a README template, the self-check and the hand-in command (grading/student/).
STUDENT = KIT / "grading" / "student"
STUDENT_SCRIPTS = ("check.py", "handin.py")
BENCHMARK = KIT / "benchmarks" / "results.json"


def release(course=DEFAULT_COURSE, notebooks=KIT / "notebooks", helpers=KIT / "helpers"):
    """Build ``source/`` and ``release/`` in the course folder, and the release's zip beside them
    (``<course>/lung_segmentation.zip``, to hand out); return the release folder.

    nbgrader's generate_assignment writes the notebooks, then calls ``finish_release`` (the course's
    setting), as it does for the formgrader's *Generate* button. Raises GradingError when nbgrader
    fails or when the release held a solution or hidden-test line (it is then deleted).
    """
    build_source(course, notebooks, helpers)
    course = Course.of(course)
    problems = questions.unjudgeable(course.step("source"))
    if problems:
        raise GradingError("not released: test cells and grading/judging/questions.py disagree; fix them, then release "
                           "again:\n" + "\n".join(problems))
    write_config(course)
    succeeded(course_api(course).generate_assignment(ASSIGNMENT, force=True), "generate_assignment")
    released = course.step("release")
    if not course.archive.is_file():
        raise GradingError(f"no release in {released}: it gave answers away or could not be finished (named "
                           "above), so it was deleted")
    log.info("released %s: %d notebooks, helpers/, README, requirements, check and hand-in scripts, no solution "
             "or hidden test in them; hand out %s", released, len(list(released.glob("*.ipynb"))),
             course.archive)
    return released


def finish_release(course):
    """What the kit adds to nbgrader's release: stripped helpers, the student files, the leak check and
    the zip. A release that gives answers away, or that cannot be finished, is deleted, its zip too,
    and why is logged.

    nbgrader runs it after generate_assignment (``settings.configure``), and ignores what it raises.
    """
    course = Course.of(course)
    released, archive = course.step("release"), course.archive
    archive.unlink(missing_ok=True)
    try:
        strip_solutions(released / "helpers")
        add_student_files(released)
        check_release(course)
    except Exception as error:  # noqa: BLE001: nbgrader would swallow it, and the release must not stay
        log.debug("finishing the release failed:\n%s", traceback.format_exc())
        shutil.rmtree(released, ignore_errors=True)
        log.error("%s; deleted %s", error, released)
        return
    shutil.make_archive(str(archive.with_suffix("")), "zip", released.parent, ASSIGNMENT)


def add_student_files(released):
    """Add the student README, the pinned requirements and the self-check and hand-in scripts."""
    for name in STUDENT_SCRIPTS:
        shutil.copy2(STUDENT / name, released)
    (released / "requirements.txt").write_text(student_requirements())
    (released / "README.md").write_text(student_readme())


def student_requirements():
    """The kit's pinned requirements less the lines marked ``# tests only`` or ``# instructors only``
    (nbgrader: its Jupyter extensions are the instructor's tools), which students never need."""
    lines = (KIT / "requirements.txt").read_text().splitlines(keepends=True)
    return "".join(line for line in lines if not re.search(r"# (tests|instructors) only", line))


def student_readme(benchmark=BENCHMARK):
    """The student README, with each recipe's training time as measured by the kit's benchmark."""
    measured = json.loads(Path(benchmark).read_text())
    rows = {row["recipe"]: row for row in measured["rows"]}
    recipes = kit_helpers("config").RECIPES
    missing = sorted(set(recipes) - set(rows))
    if missing:
        raise GradingError(f"{benchmark} has no timing for recipe(s) {missing}: run `make benchmark` first")
    stale = sorted(recipe for recipe, settings in recipes.items()
                   if (rows[recipe]["unet"], rows[recipe]["epochs"]) != (settings["unet"], settings["epochs"]))
    if stale:
        raise GradingError(f"{benchmark} timed another U-Net or number of epochs than helpers/config.py's recipe(s) "
                           f"{stale}: run `make benchmark` first")
    table = ["| recipe | U-Net | epochs | training | test mean IoU |", "| --- | --- | --- | --- | --- |"]
    for recipe in recipes:
        row = rows[recipe]
        unet = ", ".join(f"{name}={value}" for name, value in row["unet"].items())
        table.append(f"| `{recipe}` | {unet} | {row['epochs']} | {row['training_seconds'] / 60:.0f} min "
                     f"| {row['test_mean_iou']:.3f} |")
    template = Template((STUDENT / "README.md").read_text())
    return template.substitute(machine=measured["machine"], recipes="\n".join(table))


def check_release(course):
    """Raise GradingError if the release holds a solution or hidden-test line, or a marker."""
    course = Course.of(course)
    leaks = find_leaks(course.step("release"), secret_lines(course.step("source")))
    if leaks:
        raise GradingError("the release gives answers away; do not hand it out:\n" + describe(leaks))


def build_source(course, notebooks, helpers):
    """Copy the notebooks and the helpers package into the course's ``source/lung_segmentation``."""
    source = Course.of(course).step("source")
    found = sorted(Path(notebooks).glob("*.ipynb"))
    if not found:
        raise GradingError(f"no notebooks in {notebooks}: nothing to release")
    for notebook in found:
        cells = nbformat.read(notebook, as_version=4).cells
        plain = [str(number) for number, cell in enumerate(cells)
                 if "grade_id" not in cell.metadata.get("nbgrader", {})]
        if plain:
            raise GradingError(f"{notebook}: cell(s) {', '.join(plain)} have no nbgrader grade_id: give each a "
                               "read-only one (collect matches handed-in cells to the release's by it)")
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
