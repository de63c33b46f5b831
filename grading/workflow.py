"""The steps of the instructor's commands, run for a whole class: a step goes on past a hand-in it
cannot process, and the closing summary names each such hand-in, and why."""
import logging

from . import ledger
from .autograde import autograde
from .collect import BadHandIns, collect, preview
from .course import GradingError
from .feedback import feedback
from .grades import export
from .release import release

log = logging.getLogger("grading")


def run(args, log_file):
    """Run the step ``args.step``; 0 when every hand-in went through every step, else 1.

    One hand-in that a step cannot process never stops the others: the steps go on, and the
    closing summary names it and why.
    """
    if args.step in ("release", "all"):
        release(args.course)
    if args.step == "release":
        return 0
    if args.step == "repair":
        for student, repairs in preview(args.submissions, args.course).items():
            log.info("%s: %s", student, "no repair needed" if not repairs else f"{len(repairs)} repair(s)")
            for repair in repairs:
                log.info("    %s", repair)
        return 0
    actions = {
        "collect": lambda: collect_reporting(args.submissions, args.course),
        "autograde": lambda: autograde_recording(args.course, args.student, args.timeout),
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
    return max(summarize(args.course, log_file), int(stopped))


def collect_reporting(submissions, course):
    """Collect, naming each hand-in that could not be collected on a line of its own."""
    try:
        collect(submissions, course)
    except BadHandIns as error:
        for problem in error.problems:
            log.error("not collected: %s", problem)


def autograde_recording(course, students, timeout):
    """Autograde, recording in the ledger which students nbgrader could not autograde."""
    for student, result in autograde(course, students, timeout).items():
        why = None if result["success"] else "nbgrader could not autograde it (its log is in the grading log)"
        ledger.set_problem(course, student, "autograde", why)


def summarize(course, log_file):
    """Log each hand-in's repairs and problems, and the files to read; 1 if a hand-in had a problem."""
    entries = ledger.load(course)
    repaired = {student: entry["repairs"] for student, entry in entries.items() if entry["repairs"]}
    troubled = {student: ledger.problems(course, student) for student in entries if ledger.problems(course, student)}
    log.info("summary: %d hand-in(s), %d repaired, %d with a problem", len(entries), len(repaired), len(troubled))
    for student, repairs in repaired.items():
        log.info("  %s repaired (also listed in the feedback): %s", student, " | ".join(repairs))
    for student, problems in troubled.items():
        log.error("  %s: %s", student, " | ".join(problems))
    log.info("grades in %s (grades.csv, students.csv); all messages in %s", course, log_file)
    return 1 if troubled else 0
