"""The grades files without kernels: written for hand-ins that could not be graded, and checked
against a Canvas roster that lacks a hand-in's student or has a student without one."""
import csv
import shutil

import pytest
from nbgrader.api import Gradebook

from grading.intake.collect import BadHandIns, collect
from grading.course import GradingError, step_dir
from grading.output.grades import export
from grading.output.rosters import CANVAS_STUDENT

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


def rows(path):
    with path.open() as stream:
        return list(csv.DictReader(stream))


@pytest.fixture
def course(released_course, tmp_path):
    """A released course with alice collected (not autograded) and bob's broken zip recorded."""
    course = tmp_path / "course"
    shutil.copytree(released_course, course)
    shutil.copytree(step_dir(course, "release"), tmp_path / "hand_ins" / "alice")
    (tmp_path / "hand_ins" / "bob.zip").write_text("not a zip")
    with pytest.raises(BadHandIns):
        collect(tmp_path / "hand_ins", course)
    return course


def test_every_hand_in_gets_a_row_saying_why_it_is_not_graded(course):
    export(course)
    status = {row["student"]: row["status"] for row in rows(course / "grades.csv")}
    assert status == {"alice": "not graded: not autograded yet (run python -m grading autograde)",
                      "bob": "not graded: collect: not a readable zip archive (File is not a zip file); ask for it again"}
    assert {row["student"]: row["status"] for row in rows(course / "students.csv")} == status


def test_canvas_file_keeps_roster_students_without_hand_in_and_names_hand_ins_off_the_roster(course, tmp_path):
    roster = tmp_path / "roster.csv"
    with roster.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([*CANVAS_STUDENT, "Quiz 1 (7)", "Lung segmentation (4711)"])
        writer.writerow(["    Points Possible", "", "", "", "", "10", "100"])
        writer.writerow(["Anders, Alice", "11", "S11", "alice", "A", "9", ""])
        writer.writerow(["Cole, Carol", "13", "S13", "carol", "A", "", ""])
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        gradebook.add_student("alice")  # as autograde would
    export(course, roster=roster)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        student = gradebook.find_student("alice")
        assert (student.first_name, student.last_name) == ("Alice", "Anders"), "the formgrader shows names"
    students = {row["student"]: row["status"] for row in rows(course / "students.csv")}
    assert students["carol"] == "no hand-in (in the roster)"
    assert students["bob"].endswith("; not in the roster, so not in canvas.csv")
    with (course / "canvas.csv").open() as stream:
        canvas = list(csv.reader(stream))
    assert canvas[0] == [*CANVAS_STUDENT, "Lung segmentation (4711)"], "the roster's column: the same assignment"
    assert canvas[2:] == [["Anders, Alice", "11", "S11", "alice", "A", ""], ["Cole, Carol", "13", "S13", "carol", "A", ""]]


def test_a_bad_roster_is_named_and_the_other_files_still_written(course, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("Name,ID\nAlice,11\n")
    with pytest.raises(GradingError, match=rf"roster {roster}: no students in a layout the kit reads; give Canvas' "
                                           r"gradebook export \(Grades, Export, CSV\) \(here without Student, SIS User ID, "
                                           r"SIS Login ID, Section\), or Moodle's"):
        export(course, roster=roster)
    assert len(rows(course / "grades.csv")) == len(rows(course / "students.csv")) == 2
    assert not (course / "canvas.csv").exists()
