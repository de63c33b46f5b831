"""Autograde: nbgrader autograde of every collected submission, each against its own helpers,
in its own sandbox, with its tests judged outside it. Each hand-in is a unit of work (``unit.py``),
graded by a Dask worker (``cluster.py``); this process alone merges the results into the course."""
import contextlib
import logging
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
import uuid

from distributed import as_completed

from .. import ledger
from ..course import DEFAULT_COURSE, DEFAULT_SUBMISSION_TIMEOUT, Course, GradingError, course_api
from ..progress import ClassProgress
from .preprocessors import kernel_environment
from .cluster import grading_client
from ..judging.sandbox import SandboxError, check_sandbox
from ..judging import questions
from ..judging.evidence import grader_dataset, private_reference
from .unit import grade_one, job_for, merge

log = logging.getLogger(__name__)
FIND_HELPERS = "import importlib.util as u; spec = u.find_spec('helpers'); print(spec and spec.origin)"


def autograde(course=DEFAULT_COURSE, students=None, timeout=None, sandbox=True,
              submission_timeout=DEFAULT_SUBMISSION_TIMEOUT, jobs=1, private_data=None, cluster=None):
    """Autograde ``students`` (default: all collected) afresh; return ``{student: result}``.

    A result has ``success`` (nbgrader finished; failing tests do not count), ``seconds``,
    ``score`` and ``max_score`` (points so far, of all), ``sandboxed`` and, when nbgrader
    failed, ``log``. One student's failure does not stop the others. ``submitted/`` is only
    read. Each submission may take ``submission_timeout`` seconds in all; ``sandbox=False``
    (trusted hand-ins only) runs the kernels without bubblewrap, and says so. ``jobs``
    submissions are graded at once, each job's kernels on their own share of the CPU cores; with
    ``cluster``, a ``cluster.Cluster``, its scheduler's workers grade them.
    ``private_data``: a folder of slices the class never saw, which the trained models are graded on too.
    """
    course = Course.of(course)
    course_api(course)  # its settings, checked before anything else
    check_grader(sandbox, private_data)
    check_test_cells(course)
    if not sandbox:
        log.warning("WARNING: --no-sandbox: student code runs with your rights and can read and change the course")
    if students is None:
        students = course.students("submitted")
    if not students:
        raise GradingError(f"nothing to autograde in {course}/submitted: run `python -m grading collect HAND_INS` first")
    students = [student for student in students if not _refused(course, student)]
    options = dict(timeout=timeout, sandbox=sandbox, submission_timeout=submission_timeout, private_data=private_data)
    results, waiting = {}, iter(students)
    with grading_client(cluster, jobs) as client, ClassProgress(len(students)) as progress:
        in_flight, student_of = as_completed(), {}

        def submit_next():
            """Send the next student's job; a few per worker are in flight, so jobs stay small in memory."""
            for student in waiting:
                try:
                    job = job_for(course, student)
                except Exception:  # noqa: BLE001: one hand-in that cannot be packed fails alone
                    results[student] = report(student, failed(traceback.format_exc(), sandbox), progress)
                    continue
                future = client.submit(grade_one, job, **options, key=f"grade-{student}-{uuid.uuid4().hex}")
                student_of[future.key] = student
                in_flight.add(future)
                return

        for _ in range(2 * max(jobs, sum(client.nthreads().values()))):
            submit_next()
        try:
            for future in in_flight:
                student = student_of.pop(future.key)
                with ctrl_c_held():  # a hand-in being merged is kept, and its line shown, before Ctrl-C stops
                    results[student] = merged(course, student, _result(future, sandbox), sandbox)
                    report(student, results[student], progress)
                submit_next()
        except KeyboardInterrupt:
            client.cancel(list(in_flight.futures))
            log.error("interrupted: %d hand-in(s) graded and kept; %d not graded", len(results),
                      len(students) - len(results))
            raise
    return dict(sorted(results.items()))


@contextlib.contextmanager
def ctrl_c_held():
    """Hold a Ctrl-C (SIGINT) pressed in the block until it ends, then raise it: nbgrader's steps, which
    merge runs, catch every exception, KeyboardInterrupt too, so a Ctrl-C there would be lost (and that
    hand-in's merge failed) and grading would go on. Outside the main thread, where no Ctrl-C arrives, or
    where Ctrl-C does not raise KeyboardInterrupt (ignored, say), it holds nothing."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    pressed = []
    previous = signal.signal(signal.SIGINT, lambda *_: pressed.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt


def _refused(course, student):
    """Log and record why ``student``'s ``submitted/`` folder is not graded, if it is not; True then."""
    why = ledger.not_gradable(course, student, course.step("submitted", student))
    if why:
        log.error("%s: not autograded: %s", student, why)
        ledger.set_problem(course, student, "autograde", why)
    return bool(why)


def _result(future, sandbox):
    """The job's result; a failed one, with the reason, when grading it raised or its workers died."""
    try:
        return future.result()
    except Exception:  # noqa: BLE001: one job that fails fails its student only
        return failed(traceback.format_exc(), sandbox)


def merged(course, student, graded, sandbox):
    """``graded`` merged into the course (``unit.merge``), or failed with the reason; as it is when
    ``grade_one`` itself failed, with nothing to merge."""
    if "executed" not in graded:
        return graded
    try:
        return merge(course, student, graded, sandbox)
    except Exception:  # noqa: BLE001: one student's merge never stops the class
        return failed(traceback.format_exc(), sandbox)


def failed(log_text, sandbox):
    """The result of a submission that could not be autograded, with ``log_text`` as its log."""
    return {"success": False, "seconds": 0.0, "score": 0, "max_score": 0, "sandboxed": sandbox,
            "to_grade_by_hand": False, "log": log_text}


def report(student, result, progress):
    """Count the student on the class's ``progress`` and log their summary line; return ``result``."""
    done = progress.advance()
    if result["success"]:
        to_do = ", written answers to grade by hand" if result["to_grade_by_hand"] else ""
        unsafe = "" if result["sandboxed"] else " (NOT SANDBOXED)"
        log.info("%s: %g of %g points in %.0f s%s%s%s", student, result["score"], result["max_score"],
                 result["seconds"], to_do, unsafe, done)
        if result.get("grader_mib"):
            log.debug("%s: the grader's process held %d MiB before, %d MiB at most while grading it", student,
                      *result["grader_mib"])
    else:
        log.error("%s: could not be autograded (its log is in the grading log)%s", student, done)
        log.debug("%s: autograde's log:\n%s", student, result["log"])
    return result


def check_test_cells(course):
    """Raise GradingError naming what keeps the source test cells from being judged (``questions.unjudgeable``)."""
    problems = questions.unjudgeable(Course.of(course).step("source"))
    if problems:
        raise GradingError("test cells the autograder cannot judge; fix them in notebooks/ and release again:\n"
                           + "\n".join(problems))


def check_grader(sandbox=True, private_data=None):
    """What every hand-in needs of the grader: GradingError naming what is missing, so that nothing is
    graded without it (``private_data`` too, if given)."""
    check_isolation()
    grader_dataset()
    if sandbox:
        try:
            check_sandbox(kernel_environment())
        except SandboxError as error:
            raise GradingError(f"refusing to grade without a sandbox: {error}") from None
    if private_data:
        private_reference(private_data)


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
