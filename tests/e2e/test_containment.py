"""Any failure while one student is collected, autograded or given feedback costs that student only:
it is recorded with its traceback in the grading log, and the others, the summary and the grades
files go on. The failures here are planted in the kit's own steps (no kernels run); the class of
tests/graded_class.py shows the same with real hand-ins."""
import logging
import shutil

import pytest

from grading.autograding import autograde as autograde_module
from grading.intake import collect as collect_module
from grading import ledger, workflow
from grading.intake.collect import BadHandIns, collect
from grading.course import step_dir
from grading.output.rosters import CANVAS_STUDENT


@pytest.fixture
def course(released_course, tmp_path):
    """A copy of the released course, and hand-ins for alice and bob (the blank release)."""
    course = tmp_path / "course"
    shutil.copytree(released_course, course)
    for student in ("alice", "bob"):
        shutil.copytree(step_dir(course, "release"), tmp_path / "hand_ins" / student)
    return course


def fail_for_bob(real):
    def step(*args, **kwargs):
        if "bob" in map(str, args) or any("/bob/" in str(arg) for arg in args):
            raise RuntimeError("something nobody foresaw")
        return real(*args, **kwargs)
    return step


def test_collect_goes_on_past_any_error(course, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(collect_module, "repair", fail_for_bob(collect_module.repair))
    with caplog.at_level(logging.DEBUG, logger="grading"), pytest.raises(BadHandIns) as raised:
        collect(tmp_path / "hand_ins", course)
    assert raised.value.students == ["alice"]
    assert ledger.problems(course, "bob") == {
        "collect": "RuntimeError: something nobody foresaw (the traceback is in the grading log)"}
    assert "Traceback" in caplog.text and "something nobody foresaw" in caplog.text


GRADED = {"success": True, "seconds": 1.0, "score": 0, "max_score": 67, "sandboxed": False, "to_grade_by_hand": False}


def grade_or_fail_for_bob(job, **options):
    """A stand-in for grade_one whose grading of bob raises something nobody foresaw."""
    if job["student"] == "bob":
        raise RuntimeError("something nobody foresaw")
    return GRADED


def test_autograde_goes_on_past_any_error(course, real_dataset, tmp_path, monkeypatch):
    collect(tmp_path / "hand_ins", course)
    monkeypatch.setattr(autograde_module, "grade_one", grade_or_fail_for_bob)  # sent to the worker by value
    results = autograde_module.autograde(course, ["alice", "bob"], sandbox=False)
    assert results["alice"] == GRADED
    assert not results["bob"]["success"] and "RuntimeError: something nobody foresaw" in results["bob"]["log"]


def test_a_step_that_fails_unforeseen_still_leaves_the_summary_and_both_grades_files(course, real_dataset, tmp_path,
                                                                                    monkeypatch, caplog):
    def broken_autograde(*args, **kwargs):
        raise RuntimeError("the grader's own bug")

    monkeypatch.setattr(workflow, "autograde", broken_autograde)
    roster = tmp_path / "roster.csv"
    roster.write_text(f"{','.join(CANVAS_STUDENT)}\n\"A, Alice\",1,S1,alice,A\n\"B, Bob\",2,S2,bob,A\n")
    args = workflow.Options(step="grade", course=course, submissions=tmp_path / "hand_ins", submission_timeout=60,
                            roster=roster)
    with caplog.at_level(logging.DEBUG, logger="grading"):
        assert workflow.run(args, course / "grading.log") == 1
    assert "autograde: RuntimeError: the grader's own bug (the traceback is in the grading log)" in caplog.text
    assert "summary: 2 hand-in(s)" in caplog.text
    assert (course / "grades.csv").is_file() and (course / "students.csv").is_file()
    assert (course / "canvas.csv").read_text().count("\n") == 4, "the roster's import file too: header, points, 2"
