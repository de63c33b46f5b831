"""The unit of work (grading/autograding/unit.py): ``grade_one`` grades a hand-in from plain data (``job_for``'s) in a
scratch course and returns plain data, touching nothing of the course; ``merge``, in the instructor's
process, puts it into the course's gradebook and autograded/ folder."""
import json
import shutil

import pytest

from grading.intake.collect import collect
from grading.course import course_api, step_dir
from grading.course_folder import ASSIGNMENT
from grading.autograding.unit import grade_one, job_for, merge


@pytest.fixture
def collected(released_course, real_dataset, tmp_path, monkeypatch):
    """A course with one collected hand-in, the release as handed out (its tests fail, its cells run)."""
    monkeypatch.setenv("LUNGKIT_DATA", str(real_dataset))
    course = tmp_path / "course"
    shutil.copytree(released_course, course)
    shutil.copytree(step_dir(course, "release"), tmp_path / "hand_ins" / "ann")
    collect(tmp_path / "hand_ins", course)
    return course


@pytest.mark.grades_hand_in
def test_grade_one_returns_plain_data_and_merge_alone_writes_the_course(collected):
    gradebook = (collected / "gradebook.db").read_bytes()
    job = job_for(collected, "ann")
    assert set(job) == {"student", "kit", "course"} and isinstance(job["course"], bytes)
    graded = grade_one(job, timeout=120, sandbox=False)
    assert json.loads(json.dumps(graded)) == graded, "plain data: it can come from another process or machine"
    assert graded["success"] and sorted(graded["executed"]) == sorted(
        path.name for path in step_dir(collected, "release").glob("*.ipynb"))
    assert (collected / "gradebook.db").read_bytes() == gradebook and not (collected / "autograded").exists()

    # A result whose notebook is not the hand-in's (a cell short) merges nothing of that notebook.
    damaged = json.loads(json.dumps(graded))
    notebook = json.loads(damaged["executed"]["03_unet.ipynb"])
    notebook["cells"] = notebook["cells"][1:]
    damaged["executed"]["03_unet.ipynb"] = json.dumps(notebook)
    result = merge(collected, "ann", damaged, sandbox=False)
    assert not result["success"] and "the graded notebook's cells are not this notebook's" in result["log"]

    result = merge(collected, "ann", graded, sandbox=False)
    assert result["success"] and result["score"] == 0 and result["max_score"] == 110
    assert sorted(p.name for p in step_dir(collected, "autograded", "ann").glob("*.ipynb")) == sorted(graded["executed"])
    assert course_api(collected).get_submission(ASSIGNMENT, "ann")["score"] == 0


def test_a_job_from_another_version_of_the_kit_is_refused_not_graded(collected):
    job = {**job_for(collected, "ann"), "kit": "0123456789ab"}
    graded = grade_one(job, sandbox=False)
    assert not graded["success"] and "executed" not in graded
    assert "the job is of version 0123456789ab; grade with the same kit on every machine" in graded["log"]
