"""The unit of work: one hand-in graded in a scratch course of its own, plain data in and out
(``job_for``, ``grade_one``); and ``merge``, which the instructor's process alone runs, putting the
result into the course folder.

``job_for`` packs what grading a student reads (``source/``, the gradebook, the collected hand-in,
its ledger entry) with the kit's version; ``grade_one`` unpacks it into a scratch course, wherever
it runs (a worker process here, a machine of a cluster), refuses a job from another version of the
kit, and runs nbgrader's autograde there, with the sandboxed kernels and the trusted evidence; it
returns the notebooks as the kernels and the verdicts left them (``ExecutedCopy``), before anything
is saved. ``merge`` runs nbgrader's autograde again in the course, each kernel's work replaced by
those notebooks (``GradedOutputs``): the same steps after it (scores into the gradebook, late
penalties, inert outputs) run on the same cells, so the grades are those of grading in the course
itself, and the course folder and its SQLite gradebook have one writer.
"""
import functools
import hashlib
import io
import json
import sqlite3
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Unicode

from .. import ledger
from ..intake.collect import unwritable_by_others
from ..course import DEFAULT_SUBMISSION_TIMEOUT, KIT, Course, GradingError, course_api, write_config
from ..course_folder import ASSIGNMENT
from .preprocessors import GradingExecute, finish_submission

def job_for(course, student):
    """The plain data ``grade_one`` needs to grade ``student``'s collected hand-in of ``course``."""
    course, buffer = Course.of(course), io.BytesIO()
    gradebook = course.gradebook_file
    with tempfile.TemporaryDirectory(prefix="lungkit-job-") as scratch, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as packed:
        with sqlite3.connect(gradebook) as live, sqlite3.connect(Path(scratch) / gradebook.name) as copy:
            live.backup(copy)  # consistent while this process merges other students' grades
        packed.write(Path(scratch) / gradebook.name, gradebook.name)
        packed.writestr(course.ledger_file.name, json.dumps({student: ledger.load(course).get(student, {})}))
        for folder in (course.step("source"), course.step("submitted", student)):
            for path in sorted(folder.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    packed.write(path, path.relative_to(course.root).as_posix())
    return {"student": student, "kit": kit_version(), "course": buffer.getvalue()}


def grade_one(job, timeout=None, sandbox=True, submission_timeout=DEFAULT_SUBMISSION_TIMEOUT, private_data=None):
    """Grade the hand-in of ``job`` (``job_for``'s) in a scratch course; plain data: ``success``,
    ``seconds``, ``log`` (when grading failed), ``grader_mib`` and ``executed`` (``{notebook file: its
    JSON}``). A job from another version of the kit is refused, not graded."""
    if job["kit"] != kit_version():
        return {"success": False, "seconds": 0.0, "grader_mib": None, "log": (
            f"refused by a worker of kit version {kit_version()}: the job is of version {job['kit']}; "
            "grade with the same kit on every machine")}
    student = job["student"]
    with tempfile.TemporaryDirectory(prefix="lungkit-unit-") as scratch:
        unit, executed = Path(scratch) / "course", Path(scratch) / "executed"
        unit.mkdir()
        with zipfile.ZipFile(io.BytesIO(job["course"])) as packed:
            packed.extractall(unit)  # the instructor's own archive, made by job_for
        unwritable_by_others(unit)
        write_config(unit)
        api = course_api(unit, timeout, sandbox, private_data, submission_timeout,
                         replace={GradingExecute: [GradingExecute, ExecutedCopy]})
        api.config.ExecutedCopy.folder = str(executed)
        start, memory = time.perf_counter(), _measure_memory()
        try:
            outcome = api.autograde(ASSIGNMENT, student, force=True)
        finally:
            finish_submission()  # the evidence is gathered afresh for each submission
        result = {"success": outcome["success"], "seconds": round(time.perf_counter() - start, 1),
                  "grader_mib": memory and _measure_memory(memory),
                  "executed": {path.name: path.read_text() for path in sorted(executed.glob("*.ipynb"))}}
        if not outcome["success"]:
            result["log"] = outcome["log"]
        return result


@functools.cache
def kit_version():
    """A digest of the kit's code that grades (``grading/``, ``helpers/``) and of its pinned requirements."""
    digest = hashlib.sha256()
    for path in sorted([*(KIT / "grading").rglob("*.py"), *(KIT / "helpers").rglob("*.py"), KIT / "requirements.txt"]):
        digest.update(path.relative_to(KIT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def merge(course, student, graded, sandbox=True):
    """Put ``grade_one``'s result ``graded`` into the course: its gradebook and ``autograded/``; the
    student's result: ``success``, ``seconds``, ``score``, ``max_score``, ``sandboxed``,
    ``to_grade_by_hand``, ``grader_mib`` and, when grading failed, ``log``."""
    with tempfile.TemporaryDirectory(prefix="lungkit-merge-") as executed:
        for name, text in graded.get("executed", {}).items():
            (Path(executed) / Path(name).name).write_text(text)
        api = course_api(course, replace={GradingExecute: [GradedOutputs]})
        api.config.GradedOutputs.folder = executed
        outcome = api.autograde(ASSIGNMENT, student, force=True)
    submission = api.get_submission(ASSIGNMENT, student)
    result = {"success": graded["success"] and outcome["success"], "seconds": graded["seconds"],
              "score": submission["score"], "max_score": submission["max_score"], "sandboxed": sandbox,
              "to_grade_by_hand": submission["needs_manual_grade"], "grader_mib": graded.get("grader_mib")}
    if not result["success"]:
        result["log"] = graded.get("log") or outcome["log"]
    return result


class ExecutedCopy(Preprocessor):
    """In the scratch course, right after the kernel: keep each notebook as the kernel and the verdicts
    left it, in ``folder``."""

    folder = Unicode(help="where the executed notebooks go").tag(config=True)
    enabled = Bool(True)  # nbconvert runs a preprocessor only when it is enabled

    def preprocess(self, nb, resources):
        Path(self.folder).mkdir(exist_ok=True)
        nbformat.write(nb, Path(self.folder) / f"{resources['unique_key']}.ipynb")
        return nb, resources


class GradedOutputs(Preprocessor):
    """In the course, in the kernel's place: each cell's outputs, execution count and metadata from the
    notebook ``grade_one`` executed (in ``folder``); without it, the notebook's grading failed."""

    folder = Unicode(help="the executed notebooks of grade_one").tag(config=True)
    enabled = Bool(True)

    def preprocess(self, nb, resources):
        path = Path(self.folder) / f"{resources['unique_key']}.ipynb"
        if not path.is_file():
            raise GradingError(f"{path.name} was not graded (its log is in the grading log)")
        executed = nbformat.read(path, as_version=4).cells
        if [cell.get("id") for cell in executed] != [cell.get("id") for cell in nb.cells]:
            raise GradingError(f"{path.name}: the graded notebook's cells are not this notebook's")
        for cell, graded in zip(nb.cells, executed):
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = graded.outputs, graded.execution_count
            cell.metadata = graded.metadata
        return nb, resources


def _measure_memory(start=None):
    """This process's memory in MiB (Linux): without ``start``, its resident size now, with its peak
    reset to it; with ``start``, ``(start, peak since then)``. None where /proc does not tell."""
    try:
        if start is None:
            Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from here
        sizes = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
        now = int(sizes["VmRSS" if start is None else "VmHWM"].split()[0]) // 1024
    except (OSError, KeyError, ValueError):
        return None
    return now if start is None else [start, now]
