"""Every path of a course folder comes from ``Course`` (grading/course_folder.py), through nbgrader's own
``CourseDirectory``: the grader's modules build none themselves."""
import os
import re

import pytest

from grading.course import KIT, GradingError, course_api, write_config
from grading.course_folder import ASSIGNMENT, Course

GRADING = KIT / "grading"


def test_steps_follow_nbgraders_layout(tmp_path):
    course = Course(tmp_path)
    assert course.step("source") == tmp_path.resolve() / "source" / ASSIGNMENT
    assert course.step("submitted", "ann") == tmp_path.resolve() / "submitted" / "ann" / ASSIGNMENT
    assert os.fspath(course) == str(tmp_path.resolve()) and Course.of(course) is course
    assert Course.of(str(tmp_path)).ledger_file == tmp_path.resolve() / "hand_ins.json"


def test_the_students_of_a_step_are_those_with_a_folder_of_the_assignment(tmp_path):
    course = Course(tmp_path)
    for student in ("bob", "ann"):
        course.step("autograded", student).mkdir(parents=True)
    (tmp_path / "autograded" / "eve").mkdir()  # no folder of the assignment
    (tmp_path / "autograded" / "zed").mkdir()
    (tmp_path / "autograded" / "zed" / ASSIGNMENT).write_text("a file, not a folder")
    assert course.students("autograded") == ["ann", "bob"] and course.students("feedback") == []


def test_a_step_folder_names_its_course_and_student(tmp_path):
    course, step, student = Course.holding(tmp_path / "autograded" / "ann" / ASSIGNMENT)
    assert (course.root, step, student) == (tmp_path.resolve(), "autograded", "ann")
    with pytest.raises(ValueError, match="not a folder of the assignment"):
        Course.holding(tmp_path / "autograded" / "ann")


def test_no_grader_module_builds_a_course_path_or_sets_the_data_folder_itself():
    """The patterns course paths were built with before ``Course``: a folder's grandparents, a step's
    name joined to the course, and the dataset's folder put into the grader's environment."""
    built = re.compile(r"parents\[2\]|course\)? / \"(source|release|submitted|autograded|feedback)\"|"
                       r"environ\[[^]]*LUNGKIT_DATA")
    modules = [path for path in sorted(GRADING.rglob("*.py")) if path.name != "course_folder.py"]
    found = [f"{path.name}:{number}: {line.strip()}" for path in modules for number, line in enumerate(path.read_text().splitlines(), 1) if built.search(line)]
    assert not found, found


def test_settings_written_by_another_kit_are_refused_naming_the_fix(tmp_path):
    """A course folder released by an older kit names ``grading.course.configure``, which moved: the
    instructor is told to release again, before nbgrader fails on the import."""
    write_config(tmp_path)
    course_api(tmp_path)  # as written by this kit
    config = Course(tmp_path).config_file
    config.write_text(config.read_text().replace("grading.settings", "grading.course"))
    with pytest.raises(GradingError, match=r"nbgrader_config.py was written by another version .* grading release"):
        course_api(tmp_path)
