"""Hand-ins submitted through nbgrader's exchange (JupyterHub's Assignments tab, ``nbgrader submit``),
taken through the kit's own intake, and their feedback handed back the same way.

nbgrader keeps each submission as ``ROOT/COURSE_ID/inbound/<student>+<assignment>+<timestamp>[+<random>]/``,
owned by the unix user who submitted it, with ``timestamp.txt`` and ``submission_secret.txt`` written
last. ``submissions`` picks each student's latest complete submission of the assignment and refuses
a folder that is a link, or whose owner is not the student it names (a folder under ann's name
made by bob is not ann's hand-in). ``collect_exchange`` takes each through ``collect.collect_one``
(regular files only, the limits, repair, only what is graded) and keeps those two files, which
``nbgrader release_feedback`` needs to name each student's feedback; ``release_feedback`` hands the
kit's feedback pages to the exchange, where ``nbgrader fetch_feedback`` finds them.
"""
import logging
import pwd
import re
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.apps import NbGraderAPI
from nbgrader.utils import parse_utc

from . import ledger
from .collect import NBGRADER_FILES, BadHandIns, collect_one, nbgrader_file
from .course import ASSIGNMENT, GradingError, course_api, step_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """A student's latest complete submission in the exchange, and the earlier ones not graded."""

    student: str
    folder: Path
    earlier: list = field(default_factory=list)


def inbound(root, course_id):
    """The exchange's folder of submissions for the course ``course_id``; GradingError when there is none."""
    folder = Path(root) / course_id / "inbound"
    if not folder.is_dir():
        raise GradingError(f"{folder} not found: give the exchange's root (--exchange, nbgrader's Exchange.root) and "
                           "the course id (--course-id, nbgrader's CourseDirectory.course_id) the hub uses")
    return folder


def submissions(root, course_id):
    """``(submissions, refused)``: each student's latest complete submission of the assignment, and
    ``{folder name: why}`` for each folder that was refused."""
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
        chosen.append(Submission(student, found[-1][1], [folder for _, folder in found[:-1]]))
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


def collect_exchange(root, course_id, course):
    """Collect every student's latest submission in the exchange; return the student ids, sorted.

    Each is collected as a hand-in folder is (``collect_one``), with nbgrader's two files kept;
    the earlier submissions are listed with its repairs. Refused folders are recorded and named
    together in a BadHandIns error after the others are collected."""
    chosen, refused = submissions(root, course_id)
    problems, students = [f"{name}: {why}" for name, why in refused.items()], []
    for name, why in refused.items():
        ledger.set_problem(course, name, "collect", why)
    for submission in chosen:
        try:
            older = [f"an earlier submission, not graded: {folder.name}" for folder in submission.earlier]
            collect_one(submission.folder, course, student=submission.student, notes=older)
        except GradingError as error:
            problems.append(str(error))
            ledger.set_problem(course, submission.student, "collect", str(error).removeprefix(f"{submission.folder}: "))
            continue
        target = step_dir(course, "submitted", submission.student)
        for name in NBGRADER_FILES:
            (target / name).write_text(nbgrader_file(submission.folder / name))
            (target / name).chmod(0o644)
        students.append(submission.student)
    if problems:
        raise BadHandIns(problems, students)
    if not students:
        raise GradingError(f"no submission of {ASSIGNMENT} in {inbound(root, course_id)}")
    return students


def release_feedback(course, root, course_id):
    """Hand the feedback pages of every student who submitted through the exchange to it; return them.

    A student whose hand-in came another way (a folder, an LMS's download) has no submission
    secret to name the pages by: they are named, to be handed back another way."""
    config = course_api(course).config
    config.Exchange.root = str(root)
    config.CourseDirectory.course_id = course_id
    api = NbGraderAPI(config=config)
    released = []
    for folder in sorted((Path(course) / "feedback").glob(f"*/{ASSIGNMENT}")):
        student = folder.parent.name
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

