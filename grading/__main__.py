"""The instructor's commands: python -m grading release|collect|autograde|feedback|export|grade|all."""
import argparse
import logging
import sys
import warnings

from .autograde import autograde
from .collect import collect
from .course import DEFAULT_COURSE, DEFAULT_TIMEOUT, GradingError
from .feedback import feedback
from .grades import export
from .release import release

STEPS = {
    "release": "build the student release in COURSE/release/lung_segmentation and check it gives nothing away",
    "collect": "copy SUBMISSIONS (one folder or zip per student, named by student id) into COURSE/submitted",
    "autograde": "autograde every collected submission (fast mode, each with its own helpers and weights)",
    "feedback": "write feedback HTML per student to COURSE/feedback, without hidden tests",
    "export": "write the grades CSV: student, notebook, question, score, max_score, needs_manual_grade",
    "grade": "collect, autograde, feedback and export in one go",
    "all": "release, then grade",
}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__)
    parser.add_argument("--course", default=DEFAULT_COURSE, help="the nbgrader course folder (default: %(default)s)")
    commands = parser.add_subparsers(dest="step", required=True)
    for step, help in STEPS.items():
        command = commands.add_parser(step, help=help, description=help)
        if step in ("collect", "grade", "all"):
            command.add_argument("submissions", help="folder of hand-ins")
        if step in ("autograde", "grade", "all"):
            command.add_argument("--timeout", type=int, help=f"seconds per cell (default {DEFAULT_TIMEOUT})")
            command.add_argument("--student", action="append", help="autograde this student only (repeatable)")
        if step in ("export", "grade", "all"):
            command.add_argument("--out", help="grades CSV (default: COURSE/grades.csv)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    warnings.filterwarnings("ignore", module=r"nbgrader\.")  # SQLAlchemy's, about nbgrader's own queries
    try:
        return run(args)
    except GradingError as error:
        logging.getLogger("grading").error("error: %s", error)
        return 1


def run(args):
    """Run the step ``args.step``; 0 when every submission was graded, else 1."""
    if args.step in ("release", "all"):
        release(args.course)
    if args.step in ("collect", "grade", "all"):
        collect(args.submissions, args.course)
    failed = []
    if args.step in ("autograde", "grade", "all"):
        results = autograde(args.course, args.student, args.timeout)
        failed = sorted(student for student, result in results.items() if not result["success"])
    if args.step in ("feedback", "grade", "all"):
        feedback(args.course)
    if args.step in ("export", "grade", "all"):
        export(args.course, args.out)
    if failed:
        logging.getLogger("grading").error("nbgrader could not autograde: %s (see above)", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
