"""The instructor's commands: python -m grading release|repair|collect|autograde|feedback|export|grade|all|release-feedback,
and a grading machine's: python -m grading worker."""
import argparse
import contextlib
import logging
import os
import sys
import warnings

from nbgrader.utils import parse_utc

from .course_folder import LOG_FILE, Course
from .course import COURSE_ID, DEFAULT_COURSE, DEFAULT_SUBMISSION_TIMEOUT, DEFAULT_TIMEOUT, GradingError
from . import progress
from .intake.exchange import hub_exchange
from .progress import ConsoleHandler

log = logging.getLogger("grading")
def _folder_of_hand_ins(command):
    command.add_argument("submissions", help="folder of hand-ins")


def _hand_ins(command):
    command.add_argument("submissions", nargs="?", help="folder (or LMS zip) of hand-ins; not with --exchange")
    _exchange(command)
    command.add_argument("--due", type=due_time, help="with --exchange: collect each student's last submission "
                         "made by this time (as '2026-12-01 17:00 UTC'); the later ones are listed as late")


def _exchange(command):
    command.add_argument("--exchange", metavar="ROOT", nargs="?", const="",
                         help="nbgrader's exchange: collect the latest submission of each student there, or "
                              "release the feedback there; ROOT defaults to the hub's Exchange.root")
    command.add_argument("--course-id", help=f"the course id in the exchange (default: the hub's course_id, else {COURSE_ID})")


def _autograding(command):
    command.add_argument("--timeout", type=int, help=f"seconds per cell (default {DEFAULT_TIMEOUT})")
    command.add_argument("--student", action="append", help="autograde this student only (repeatable)")
    command.add_argument("--submission-timeout", type=int, default=DEFAULT_SUBMISSION_TIMEOUT,
                         help="seconds for a whole submission (default: %(default)s)")
    command.add_argument("--no-sandbox", dest="sandbox", action="store_false",
                         help="run the kernels without bubblewrap: only for hand-ins you trust")
    command.add_argument("--jobs", type=int, default=1,
                         help="hand-ins to autograde at once, each on its share of the cores (default: 1)")
    command.add_argument("--cluster", metavar="ADDRESS",
                         help="grade on the workers of the Dask scheduler at ADDRESS (tcp://HOST:PORT), "
                              "started with `python -m grading worker ADDRESS`; --jobs is theirs then")
    command.add_argument("--wait-for-workers", metavar="SECONDS", type=float, default=30,
                         help="with --cluster: how long to wait for the scheduler's first worker (default: %(default)g)")
    command.add_argument("--private-data", metavar="DIR",
                         help="your own labelled slices, never given to the class (2d_images/, 2d_masks/): "
                              "the trained models must also reach test mean IoU 0.85 on them")


def _grades_files(command):
    command.add_argument("--out", help="grades CSV (default: COURSE/grades.csv)")
    command.add_argument("--roster", help="Canvas' gradebook export or Moodle's grading worksheet: also write "
                                          "COURSE/canvas.csv or COURSE/moodle.csv to import")


def _scheduler(command):
    command.add_argument("address", help="the Dask scheduler's address, tcp://HOST:PORT")


GRADE = (_hand_ins, _autograding, _grades_files)
# Each command: what it does, and its options.
COMMANDS = {
    "release": ("build the student release in COURSE/release/lung_segmentation and check it gives nothing away", ()),
    "repair": ("show what collecting SUBMISSIONS would repair in each hand-in, changing nothing", (_folder_of_hand_ins,)),
    "collect": ("copy SUBMISSIONS (one folder or zip per student, named by student id), or the latest submission "
                "of each student in nbgrader's exchange (--exchange), into COURSE/submitted", (_hand_ins,)),
    "autograde": ("autograde every collected submission (fast mode, each with its own helpers and weights)",
                  (_autograding,)),
    "feedback": ("write feedback HTML per student to COURSE/feedback, without hidden tests", ()),
    "export": ("write the grades CSVs: per question, per student (students.csv), and for the LMS with --roster",
               (_grades_files,)),
    "grade": ("collect, autograde, feedback and export in one go", GRADE),
    "all": ("release, then grade", GRADE),
    "release-feedback": ("hand the feedback pages to nbgrader's exchange, for the students who submitted there",
                         (_exchange,)),
    "worker": ("on a grading machine: check what grading needs here, then grade jobs of the Dask scheduler at ADDRESS",
               (_scheduler,)),
}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__)
    parser.add_argument("--course", default=DEFAULT_COURSE, help="the nbgrader course folder (default: %(default)s)")
    commands = parser.add_subparsers(dest="step", required=True)
    for step, (help, options) in COMMANDS.items():
        command = commands.add_parser(step, help=help, description=help)
        for add_options in options:
            add_options(command)
    args = parser.parse_args(argv)
    if args.step in ("collect", "grade", "all") and (args.submissions is None) == (args.exchange is None):
        parser.error(f"{args.step}: give a folder of hand-ins or --exchange ROOT, one of the two")
    if args.step == "release-feedback" and args.exchange is None:
        parser.error("release-feedback: give --exchange [ROOT], the exchange the students submitted to")
    if getattr(args, "due", None) and args.exchange is None:
        parser.error(f"{args.step}: --due goes with --exchange (an LMS's download says itself what came late)")
    if getattr(args, "exchange", None) is not None:
        args.exchange, args.course_id = hub_exchange(args.exchange, args.course_id)
    if args.step == "worker":
        return worker(args.address)
    warnings.filterwarnings("ignore", module=r"nbgrader\.")  # SQLAlchemy's, about nbgrader's own queries
    log_file = Course(args.course).log_file
    with quiet(log_file):
        try:
            from .workflow import Options, run  # once the log file is in place: TensorFlow prints as it is imported

            return run(Options(**vars(args)), log_file)
        except GradingError as error:
            log.error("error: %s", error)
            return 1
        except KeyboardInterrupt:
            log.error("interrupted (Ctrl-C): the course folder keeps what was done; run the step again for the rest")
            return 130


def worker(address):
    """Check what a grading job needs on this machine (the sandbox, the dataset, a kernel's isolation),
    refusing with the fix when something is missing; then grade the scheduler's jobs until stopped."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from .autograding.autograde import check_grader
    from .autograding.cluster import serve

    try:
        check_grader(sandbox=True)
    except GradingError as error:
        log.error("not a grading worker: %s", error)
        return 1
    try:
        serve(address)
    except (OSError, TimeoutError) as error:
        log.error("not a grading worker: no Dask scheduler answers at %s (%s)", address, type(error).__name__)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


def due_time(text):
    """The ``--due`` time, in UTC where no zone is given."""
    try:
        return parse_utc(text)
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a time: give it as '2026-12-01 17:00 UTC'") from None


@contextlib.contextmanager
def quiet(path):
    """Show the grading's own lines only, one per student and a summary; everything else goes to ``path``.

    Everything else is what nbgrader, nbconvert, the kernels and TensorFlow's C++ start-up write,
    to Python's logging or straight to the process's stdout and stderr (the kernels inherit them).
    A console line shows the first line of a message; the log file holds it all.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "a", buffering=1) as file, open(os.dup(2), "w", buffering=1) as console:
        os.dup2(file.fileno(), 1)
        os.dup2(file.fileno(), 2)
        to_file = logging.StreamHandler(file)
        to_file.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
        to_console = ConsoleHandler(console)
        progress.CONSOLE = console
        to_console.setFormatter(FirstLine())
        to_console.addFilter(lambda record: record.name.startswith("grading") and record.levelno >= logging.INFO)
        root = logging.getLogger()
        root.setLevel(logging.INFO)
        logging.getLogger("grading").setLevel(logging.DEBUG)
        root.addHandler(to_file)
        root.addHandler(to_console)
        file.write(f"--- python -m grading {' '.join(sys.argv[1:])}\n")
        try:
            yield
        finally:
            root.removeHandler(to_file)
            root.removeHandler(to_console)
            progress.CONSOLE = None
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, copy in zip((1, 2), saved):
                os.dup2(copy, fd)
                os.close(copy)


class FirstLine(logging.Formatter):
    """A record's first line, pointing to the log file for the rest."""

    def format(self, record):
        text = super().format(record)
        first, _, rest = text.partition("\n")
        return f"{first} (more in {LOG_FILE})" if rest.strip() else first


if __name__ == "__main__":
    sys.exit(main())
