"""The steps of the instructor's commands, run for a whole class: a step goes on past a hand-in it
cannot process, and the closing summary names each such hand-in, and why."""
import logging
import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import ledger
from .autograding.autograde import autograde, check_grader
from .autograding.cluster import Cluster
from .intake.collect import REFUSED, BadHandIns, collect, preview
from .intake.exchange import collect_exchange, release_feedback
from .course import DEFAULT_SUBMISSION_TIMEOUT, GradingError
from .output.feedback import feedback
from .output.grades import export
from .output.release import release

log = logging.getLogger("grading")
UNSANDBOXED = "WARNING: graded with --no-sandbox: its code ran with the grader's rights"
TROUBLES = tuple(step for step in ledger.STEPS if step != "sandbox")  # what the summary lists as problems


@dataclass(frozen=True)
class Options:
    """A command as the instructor gave it: the step and its options (``python -m grading STEP --help``);
    an option the step does not take keeps its default."""

    step: str
    course: Path
    submissions: Path | None = None  # a folder or an LMS zip of hand-ins
    exchange: str | None = None  # nbgrader's exchange root, instead of submissions
    course_id: str | None = None
    due: datetime | None = None
    student: list | None = None  # autograde these students only
    timeout: int | None = None  # seconds per cell
    submission_timeout: int = DEFAULT_SUBMISSION_TIMEOUT
    sandbox: bool = True
    jobs: int = 1
    cluster: str | None = None  # a Dask scheduler's address
    wait_for_workers: float = 30
    private_data: Path | None = None
    out: Path | None = None  # the grades CSV
    roster: Path | None = None


def run(args, log_file):
    """Run the step ``args.step`` (``Options``); 0 when every hand-in went through every step, else 1.

    One hand-in that a step cannot process never stops the others: the steps go on, and the
    closing summary names it and why.
    """
    if args.step in ("release", "all"):
        release(args.course)
    if args.step == "release":
        return 0
    if args.step == "repair":
        refused = 0
        for student, repairs in preview(args.submissions, args.course).items():
            if repairs and repairs[0].startswith(REFUSED):
                refused += 1
                log.error("%s: would be refused: %s", student, repairs[0].removeprefix(REFUSED))
                continue
            log.info("%s: %s", student, "no repair needed" if not repairs else f"{len(repairs)} repair(s)")
            for repair in repairs:
                log.info("    %s", repair)
        if refused:
            log.error("%d hand-in(s) would be refused: ask for them again, or fix them, before grading", refused)
        return int(refused > 0)
    if args.step == "release-feedback":
        release_feedback(args.course, args.exchange, args.course_id)
        return 0
    if args.step in ("grade", "all"):
        check_grader(args.sandbox, args.private_data)  # before anything is collected
    actions = {
        "collect": lambda: collect_reporting(args.submissions, args.course, args.exchange, args.course_id, args.due),
        "autograde": lambda: autograde_recording(args.course, args.student, args.timeout, args.sandbox,
                                                 args.submission_timeout, args.jobs, args.private_data,
                                                 args.cluster and Cluster(args.cluster, args.wait_for_workers)),
        "feedback": lambda: feedback(args.course),
        "export": lambda: export(args.course, args.out, args.roster),
    }
    steps = list(actions) if args.step in ("grade", "all") else [args.step]
    stopped = False
    for step in steps:
        try:
            actions[step]()
        except GradingError as error:  # the step could do nothing: the next steps still run
            log.error("%s: %s", step, error)
            stopped = True
        except Exception as error:  # noqa: BLE001: an unforeseen failure too; its traceback goes to the log
            log.debug("%s failed:\n%s", step, traceback.format_exc())
            log.error("%s: %s: %s (the traceback is in the grading log)", step, type(error).__name__, error)
            stopped = True
    return max(summarize(args.course, log_file), int(stopped))


def collect_reporting(submissions, course, exchange=None, course_id=None, due=None):
    """Collect ``submissions``, or the exchange's latest submissions (by ``due``), naming each hand-in that
    could not be collected on a line of its own."""
    try:
        collect_exchange(exchange, course_id, course, due) if exchange else collect(submissions, course)
    except BadHandIns as error:
        for problem in error.problems:
            log.error("not collected: %s", problem)


def autograde_recording(course, students, timeout, sandbox=True, submission_timeout=DEFAULT_SUBMISSION_TIMEOUT,
                        jobs=1, private_data=None, cluster=None):
    """Autograde, recording in the ledger which students nbgrader could not autograde, and who was
    graded without the sandbox."""
    for student, result in autograde(course, students, timeout, sandbox, submission_timeout, jobs,
                                     private_data, cluster).items():
        why = None if result["success"] else "nbgrader could not autograde it (its log is in the grading log)"
        ledger.set_problem(course, student, "autograde", why)
        ledger.set_problem(course, student, "sandbox", None if sandbox else UNSANDBOXED)


def summarize(course, log_file):
    """Log each hand-in's repairs and problems, and the files to read; 1 if a hand-in had a problem."""
    entries = ledger.load(course)
    repaired = {student: entry["repairs"] for student, entry in entries.items() if entry["repairs"]}
    unsandboxed = sorted(student for student in entries if ledger.problems(course, student, ("sandbox",)))
    troubled = {student: ledger.lines(ledger.problems(course, student, TROUBLES)) for student in entries}
    troubled = {student: found for student, found in troubled.items() if found}
    log.info("summary: %d hand-in(s), %d repaired, %d with a problem", len(entries), len(repaired), len(troubled))
    for student, repairs in repaired.items():
        log.info("  %s repaired (also listed in the feedback): %s", student, " | ".join(repairs))
    if unsandboxed:
        log.warning("  WARNING: %d hand-in(s) graded with --no-sandbox, their code unconfined: %s", len(unsandboxed),
                    ", ".join(unsandboxed))
    for student, problems in troubled.items():
        log.error("  %s: %s", student, " | ".join(problems))
    log.info("grades in %s (grades.csv, students.csv); all messages in %s", course, log_file)
    return 1 if troubled else 0
