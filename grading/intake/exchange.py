"""Hand-ins submitted through nbgrader's exchange (JupyterHub's Assignments tab, ``nbgrader submit``),
taken through the kit's own intake, and their feedback handed back the same way.

nbgrader keeps each submission as ``ROOT/COURSE_ID/inbound/<student>+<assignment>+<timestamp>[+<random>]/``,
owned by the unix user who submitted it, with ``timestamp.txt`` and ``submission_secret.txt`` written
last. ``submissions`` picks each student's latest complete submission of the assignment (or the last
before the due time) and refuses a folder that is a link, or whose owner is not the student it names
(a folder under ann's name made by bob is not ann's hand-in). ``collect_exchange`` takes each through ``collect.collect_one``
(regular files only, the limits, repair, only what is graded) and keeps those two files, which
``nbgrader release_feedback`` needs to name each student's feedback; ``release_feedback`` hands the
kit's feedback pages to the exchange, where ``nbgrader fetch_feedback`` finds them.
"""
import logging
import pwd
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.apps import NbGraderAPI
from nbgrader.exchange.default import Exchange, ExchangeCollect
from nbgrader.utils import parse_utc

from .. import ledger
from .collect import NBGRADER_FILES, BadHandIns, collect_one, nbgrader_file
from ..course import COURSE_ID, Course, GradingError, course_api, hub_config
from ..course_folder import ASSIGNMENT

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """A student's graded submission in the exchange, and the others: earlier ones, and later ones (late)."""

    student: str
    folder: Path
    earlier: list = field(default_factory=list)
    late: list = field(default_factory=list)


def hub_exchange(root=None, course_id=None):
    """``(root, course_id)``: those given, else the hub's (nbgrader's Exchange.root and course_id in the
    Jupyter configuration folders), else nbgrader's default root and the kit's course id."""
    hub = hub_config()
    root = root or hub.Exchange.get("root") or Exchange.root.default()
    return Path(root), course_id or hub.CourseDirectory.get("course_id") or COURSE_ID


def check_exchange(root, course):
    """Refuse, naming the fix, an exchange inside the course folder or one where students could replace
    each other's folders (world-writable without the sticky bit)."""
    root, course = Path(root).resolve(), Path(course).resolve()
    if root == course or course in root.parents:
        raise GradingError(f"the exchange {root} is inside the course folder {course}, which students must not "
                           "reach: move it out (a hub's exchange is /usr/local/share/nbgrader/exchange, mode 1777)")
    mode = root.stat().st_mode
    if mode & stat.S_IWOTH and not mode & stat.S_ISVTX:
        raise GradingError(f"the exchange {root} is writable by everyone without the sticky bit, so a student could "
                           f"rename another's folder: run `chmod 1777 {root}` (as its owner)")


def inbound(root, course_id):
    """The exchange's folder of submissions for the course ``course_id``; GradingError when there is none."""
    folder = Path(root) / course_id / "inbound"
    if not folder.is_dir():
        raise GradingError(f"{folder} not found: give the exchange's root (--exchange, nbgrader's Exchange.root) and "
                           "the course id (--course-id, nbgrader's CourseDirectory.course_id) the hub uses")
    return folder


def submissions(root, course_id, due=None):
    """``(submissions, refused)``: each student's latest complete submission of the assignment (with
    ``due``, a time, the latest made by then), and ``{folder name: why}`` for each folder refused."""
    latest, refused = {}, {}
    for folder in sorted(inbound(root, course_id).iterdir()):
        parts = folder.name.rsplit("+", 3)
        if len(parts) < 3 or parts[1] != ASSIGNMENT:
            continue
        student, when = parts[0], parts[2]
        why = _refusal(folder, student)
        if why:
            refused[folder.name] = why
            continue
        latest.setdefault(student, []).append((parse_utc(when), folder))
    chosen = []
    for student, found in sorted(latest.items()):
        found.sort()
        on_time = [folder for when, folder in found if due is None or when <= due]
        late = [folder for when, folder in found if due is not None and when > due]
        if not on_time:
            refused[late[0].name] = (f"{student} submitted after the due time only ({len(late)} submission(s)): "
                                     "not collected; collect without --due to grade the latest")
            continue
        chosen.append(Submission(student, on_time[-1], on_time[:-1], late))
    return chosen, refused


def _refusal(folder, student):
    """Why the inbound ``folder`` cannot be ``student``'s submission, or None."""
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.@-]*", student):
        return f"{student!r} is not a student id"
    if folder.is_symlink() or not folder.is_dir():
        return "not a folder (a link?): not a submission"
    owner = folder.lstat().st_uid
    try:
        name = pwd.getpwuid(owner).pw_name
    except KeyError:
        name = f"user id {owner}"
    if name != student:
        return f"made by {name}, not by the student {student} it names: not graded as {student}'s hand-in"
    if not all(nbgrader_file(folder / file) for file in NBGRADER_FILES):
        return "incomplete (no timestamp.txt or submission_secret.txt: a submission still being copied?); skipped"
    return None


def collect_exchange(root, course_id, course, due=None):
    """Collect every student's latest submission in the exchange (the latest by ``due``, a time, when
    given); return the student ids, sorted.

    Each is collected as a hand-in folder is (``collect_one``), with nbgrader's two files kept; the
    other submissions, earlier or late, are listed with its repairs. Refused folders are recorded and
    named together in a BadHandIns error after the others are collected."""
    check_exchange(root, course)
    chosen, refused = submissions(root, course_id, due)
    problems, students = [f"{name}: {why}" for name, why in refused.items()], []
    for name, why in refused.items():
        ledger.set_problem(course, name, "collect", why)
    for submission in chosen:
        try:
            older = [f"an earlier submission, not graded: {folder.name}" for folder in submission.earlier]
            older += [f"submitted after the due time, not graded: {folder.name}" for folder in submission.late]
            collect_one(submission.folder, course, student=submission.student, notes=older)
        except GradingError as error:
            problems.append(str(error))
            ledger.set_problem(course, submission.student, "collect", str(error).removeprefix(f"{submission.folder}: "))
            continue
        target = Course.of(course).step("submitted", submission.student)
        for name in NBGRADER_FILES:
            (target / name).write_text(nbgrader_file(submission.folder / name))
            (target / name).chmod(0o644)
        students.append(submission.student)
    if problems:
        raise BadHandIns(problems, students)
    if not students:
        raise GradingError(f"no submission of {ASSIGNMENT} in {inbound(root, course_id)}")
    return students


class KitCollect(ExchangeCollect):
    """nbgrader's collect (``nbgrader collect``, the formgrader's *Collect* button) done by the kit's
    ``collect_exchange``; the course folder's settings name it as nbgrader's ExchangeFactory.collect."""

    def init_src(self):
        if not self.coursedir.course_id:
            self.fail("No course id specified: set CourseDirectory.course_id")

    def copy_files(self):
        try:
            students = collect_exchange(self.root, self.coursedir.course_id, self.coursedir.root)
        except BadHandIns as error:
            for problem in error.problems:
                self.log.error("not collected: %s", problem)
            students = error.students
        except GradingError as error:
            self.fail(str(error))
        self.log.info("collected %d submission(s) through the kit's intake: %s", len(students), ", ".join(students))


def release_feedback(course, root, course_id):
    """Hand the feedback pages of every student who submitted through the exchange to it; return them.

    A student whose hand-in came another way (a folder, an LMS's download) has no submission
    secret to name the pages by: they are named, to be handed back another way."""
    config = course_api(course).config
    config.Exchange.root = str(root)
    config.CourseDirectory.course_id = course_id
    api = NbGraderAPI(config=config)
    released = []
    course = Course.of(course)
    for student in course.students("feedback"):
        folder = course.step("feedback", student)
        if not all(nbgrader_file(folder / name) for name in NBGRADER_FILES):
            log.warning("%s: not submitted through the exchange, so its feedback is not released there: hand it "
                        "back another way", student)
            continue
        result = api.release_feedback(ASSIGNMENT, student)
        if not result["success"]:
            log.error("%s: nbgrader release_feedback failed (its log is in the grading log)", student)
            log.debug("%s: release_feedback's log:\n%s", student, result["log"])
            continue
        released.append(student)
    log.info("feedback of %d student(s) released to %s", len(released), Path(root) / course_id / "feedback")
    return released

