"""The course's ledger of hand-ins (grading/ledger.py): what the kit collected, repaired, and which steps
could not process a hand-in, kept in COURSE/hand_ins.json through one module."""
import json

from grading import ledger
from grading.course_folder import ASSIGNMENT, Course


def test_collect_repairs_problems_and_lateness_are_recorded_and_read_back(tmp_path):
    ledger.set_repairs(tmp_path, "ann", ["03_unet.ipynb: cell 4 restored"])
    ledger.set_problem(tmp_path, "ann", "export", "no row: not in the roster")
    ledger.set_problem(tmp_path, "ann", "autograde", "nbgrader could not autograde it")
    ledger.set_late(tmp_path, "ann", "late (Canvas)")
    assert ledger.collected(tmp_path, "ann") and not ledger.collected(tmp_path, "bob")
    assert ledger.late(tmp_path, "ann") == "late (Canvas)" and ledger.late(tmp_path, "bob") is None
    assert list(ledger.problems(tmp_path, "ann")) == ["autograde", "export"], "in the steps' order"
    assert ledger.lines(ledger.problems(tmp_path, "ann", ("export",))) == ["export: no row: not in the roster"]
    ledger.set_problem(tmp_path, "ann", "autograde", None)
    ledger.set_late(tmp_path, "ann", None)
    entry = json.loads(Course(tmp_path).ledger_file.read_text())["ann"]
    assert entry == {"repairs": ["03_unet.ipynb: cell 4 restored"], "collected": True,
                     "problems": {"export": "no row: not in the roster"}}


def test_a_collect_again_replaces_the_repairs(tmp_path):
    ledger.set_repairs(tmp_path, "ann", ["one repair"])
    ledger.set_repairs(tmp_path, "ann", [])
    assert ledger.load(tmp_path)["ann"]["repairs"] == []


def test_only_a_folder_the_kit_collected_and_nobody_else_may_change_is_gradable(tmp_path):
    folder = Course(tmp_path).step("submitted", "ann")
    folder.mkdir(parents=True)
    assert "not collected by the kit" in ledger.not_gradable(tmp_path, "ann", folder)
    ledger.set_repairs(tmp_path, "ann", [])
    assert ledger.not_gradable(tmp_path, "ann", folder) is None
    (folder / "01_data.ipynb").write_text("{}")
    (folder / "01_data.ipynb").chmod(0o666)
    assert "writable by other users" in ledger.not_gradable(tmp_path, "ann", folder)
    assert folder.name == ASSIGNMENT
