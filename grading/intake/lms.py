"""Hand-ins named as a learning platform's bulk download names them, mapped to their students.

- Canvas, *Download Submissions*: one file per uploaded file, ``login_userid_fileid_name``, with
  ``LATE_`` after the login for a late submission (``doejane_LATE_12345_678902_s1234567.zip``).
  The student is Canvas' user id (12345, the ``ID`` column of its gradebook export); a later
  upload has a larger file id.
- Moodle, *Download all submissions*: a folder (or, without "download in folders", a file) per
  student, ``Full Name_participantid_assignsubmission_file_`` (then the file's name). The student
  is the participant id (``Participant 1234`` in its grading worksheet).

Any other name is a hand-in named by the student id itself.
"""
import re
from dataclasses import dataclass

CANVAS = re.compile(r"(?P<person>[a-z0-9-]+)_(?P<late>LATE_)?(?P<student>\d+)_(?P<order>\d+)_(?P<file>.+)")
MOODLE = re.compile(r"(?P<person>.+)_(?P<student>\d+)_assignsubmission_(file|onlinetext)_(?P<file>.*)")


@dataclass(frozen=True)
class LmsName:
    """What a bulk download's file name says: the platform, the student's id there, who they are
    (Canvas' login, Moodle's full name), whether it was late, and its order among the student's uploads."""

    lms: str
    student: str
    person: str
    late: bool = False
    order: int = 0


def parse(name):
    """The LmsName of a hand-in's file or folder name, or None for a name that is a student id."""
    canvas = CANVAS.fullmatch(name)
    if canvas:
        return LmsName("Canvas", canvas["student"], canvas["person"], bool(canvas["late"]), int(canvas["order"]))
    moodle = MOODLE.fullmatch(name)
    if moodle:
        return LmsName("Moodle", moodle["student"], moodle["person"])
    return None


def newest(entries):
    """``{entry: older entries of the same student}`` for the newest of each student's LMS uploads in
    ``entries``; the entries with a plain name map to no older one."""
    kept, by_student = {}, {}
    for entry in entries:
        named = parse(entry.name)
        if named is None:
            kept[entry] = []
        else:
            by_student.setdefault((named.lms, named.student), []).append((named.order, entry.name, entry))
    for uploads in by_student.values():
        *older, (_, _, latest) = sorted(uploads)
        kept[latest] = [entry for _, _, entry in older]
    return dict(sorted(kept.items()))
