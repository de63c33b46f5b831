"""What happened to each hand-in: that the kit collected it, the repairs made then, and the steps that
could not process it. Kept in ``COURSE/hand_ins.json`` as ``{student: {"repairs": [...], "problems":
{step: why}}}``, with ``"collected": True`` once the kit's collect took it and ``"late"`` when an
LMS's download says so, so that autograde, its summary, feedback and the grades files can name them.
"""
import json
import stat
from pathlib import Path

from .course_folder import Course

STEPS = ("collect", "autograde", "sandbox", "feedback", "export")  # "sandbox": graded without it


def load(course):
    """The ledger of the course folder ``course`` (empty before the first collect)."""
    path = Course.of(course).ledger_file
    return json.loads(path.read_text()) if path.is_file() else {}


def set_repairs(course, student, repairs):
    """Record that the kit collected ``student``'s hand-in, with the repairs made to it (replacing those
    of an earlier collect)."""
    _update(course, student, lambda entry: entry.update(repairs=list(repairs), collected=True))


def collected(course, student):
    """Whether the kit's collect took ``student``'s hand-in into ``submitted/``."""
    return bool(load(course).get(student, {}).get("collected"))


def not_gradable(course, student, folder):
    """Why ``student``'s collected ``folder`` (in ``submitted/``) must not be graded, or None.

    Only what the kit's collect took is graded: nbgrader's own collect or a copy by hand skips its
    intake (links followed, no limits, no repair), and a folder others may write into may have been
    changed by another student since."""
    if not collected(course, student):
        return ("not collected by the kit (nbgrader's collect or a copy by hand skips its checks and repairs): "
                "collect it with `python -m grading collect HAND_INS` or `collect --exchange`")
    paths = [Path(folder), *Path(folder).rglob("*")]
    if any(path.lstat().st_mode & stat.S_IWOTH for path in paths if not path.is_symlink()):
        return "writable by other users, so another student may have changed it: collect it again with the kit"
    return None


def set_problem(course, student, step, why=None):
    """Record why ``step`` could not process ``student``'s hand-in; ``why=None`` clears it."""
    def change(entry):
        entry["problems"].pop(step, None)
        if why is not None:
            entry["problems"][step] = why
    _update(course, student, change)


def set_late(course, student, late=None):
    """Record that ``student``'s hand-in was late (``late``: what says so, e.g. ``late (Canvas)``), or not."""
    _update(course, student, lambda entry: entry.update(late=late) if late else entry.pop("late", None))


def late(course, student):
    """What says ``student``'s hand-in was late, or None."""
    return load(course).get(student, {}).get("late")


def problems(course, student, steps=STEPS):
    """``{step: why}`` for each of ``steps`` that could not process ``student``'s hand-in, in step order."""
    found = load(course).get(student, {}).get("problems", {})
    return {step: found[step] for step in STEPS if step in steps and step in found}


def lines(problems):
    """``problems`` (``{step: why}``) as ``step: why`` lines, for a message."""
    return [f"{step}: {why}" for step, why in problems.items()]


def _update(course, student, change):
    ledger = load(course)
    entry = ledger.setdefault(student, {"repairs": [], "problems": {}})
    change(entry)
    path = Course.of(course).ledger_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".tmp").write_text(json.dumps(ledger, indent=1, sort_keys=True) + "\n")
    path.with_suffix(".tmp").replace(path)
