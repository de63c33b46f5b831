"""Repairing damaged hand-ins at collect time, without kernels: each damage of tests/hand_in_damage.py
must leave every answer still in the hand-in in its graded cell, and only those really gone lost."""
import json
import shutil

import nbformat
import pytest

from grading import ledger
from grading.collect import BadHandIns, collect, preview
from grading.course import step_dir
from grading.repair import plan
from tests.hand_in_damage import DAMAGES, LOST_ANSWERS, write_damaged_hand_ins, zip_of_zips
from tests.test_grading import tree_digest


ROLE = ("grade", "solution", "locked", "points")  # what nbgrader grades a cell by


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """Stand-ins for trained weights: collecting only copies them."""
    folder = tmp_path_factory.mktemp("weights")
    for name in ("unet.weights.h5", "training.json"):
        (folder / name).write_text("{}")
    return folder


@pytest.fixture(scope="module")
def collected(released_course, weights, tmp_path_factory):
    """Every damaged hand-in collected into a copy of the released course: ``(course, hand-ins, digest before)``."""
    course = tmp_path_factory.mktemp("repair") / "course"
    shutil.copytree(released_course, course)
    hand_ins = tmp_path_factory.mktemp("damaged")
    students = write_damaged_hand_ins(hand_ins, step_dir(course, "source"), step_dir(course, "release"), weights)
    before = tree_digest(hand_ins)
    assert collect(hand_ins, course) == students
    return course, hand_ins, before


def graded_cells(folder):
    """``{(notebook, grade_id): cell}`` of every cell with nbgrader metadata in the notebooks of ``folder``."""
    found = {}
    for path in sorted(folder.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id:
                assert (path.name, grade_id) not in found, f"{grade_id} twice in {path}"
                found[path.name, grade_id] = cell
    return found


@pytest.mark.parametrize("student", sorted(DAMAGES))
def test_repair_keeps_every_answer_still_in_the_hand_in(student, collected):
    course, _, _ = collected
    source = graded_cells(step_dir(course, "source"))
    released = graded_cells(step_dir(course, "release"))
    repaired = graded_cells(step_dir(course, "submitted", student))
    assert set(repaired) == set(source), "every cell of the assignment, once, with its metadata"
    for key, cell in repaired.items():
        assert cell.cell_type == source[key].cell_type, key
        assert {k: cell.metadata.nbgrader.get(k) for k in ROLE} == {k: source[key].metadata.nbgrader.get(k) for k in ROLE}
    answers = {key for key, cell in source.items() if cell.metadata.nbgrader.get("solution")}
    kept = {key for key in answers if repaired[key].source == source[key].source}
    assert {grade_id for _, grade_id in answers - kept} == LOST_ANSWERS.get(student, set())
    for key in answers - kept:
        assert repaired[key].source == released[key].source, "a lost answer is the release's stub"
    for path in step_dir(course, "submitted", student).glob("*.ipynb"):
        nbformat.validate(nbformat.read(path, as_version=nbformat.NO_CONVERT))
    assert ledger.load(course)[student]["repairs"], "each repair is recorded"


def test_repairs_say_what_changed_and_where(collected):
    course, _, _ = collected
    repairs = {student: "\n".join(entry["repairs"]) for student, entry in ledger.load(course).items()}
    assert "fit_model found 2 times" in repairs["duplicated_answer"]
    cells = len(nbformat.read(step_dir(course, "release") / "03_unet.ipynb", as_version=4).cells)
    assert f"03_unet.ipynb: nbgrader's metadata restored on {cells} cells" in repairs["stripped_metadata"]
    assert "02_augmentation (1).ipynb: renamed 02_augmentation.ipynb" in repairs["browser_rename"]
    assert "03_UNet-Copy1.ipynb: renamed 03_unet.ipynb" in repairs["editor_copy_and_case"]
    assert "test_u_net_layers: test cell deleted; put back" in repairs["deleted_test"]
    assert "fit_model: answer cell not found" in repairs["deleted_answer"]
    assert "answer_why_augment: the answer was a code cell; made markdown again" in repairs["markdown_as_code"]
    assert "05_evaluation.ipynb: cells put back in the assignment's order" in repairs["reordered"]
    assert "saved as nbformat 4.4, converted to 4.5" in repairs["nbformat_4_4"]
    assert "04_training.ipynb: not a readable notebook" in repairs["empty_notebook"]
    assert not (step_dir(course, "submitted", "browser_rename") / "02_augmentation (1).ipynb").exists()


def test_students_own_cells_stay_after_the_cell_they_followed(collected):
    course, _, _ = collected
    cells = nbformat.read(step_dir(course, "submitted", "stripped_and_own_cell") / "05_evaluation.ipynb", 4).cells
    at = next(i for i, cell in enumerate(cells) if cell.source == "print('my check')")
    assert cells[at - 1].metadata.nbgrader.grade_id == "mean_iou" and "nbgrader" not in cells[at].metadata
    duplicated = nbformat.read(step_dir(course, "submitted", "duplicated_answer") / "04_training.ipynb", 4).cells
    fits = [i for i, cell in enumerate(duplicated) if cell.source.startswith("batches = create_generator")]
    assert len(fits) == 2 and "nbgrader" not in duplicated[fits[0]].metadata  # the copy runs, ungraded


def test_repair_reads_the_hand_ins_only(collected):
    _, hand_ins, before = collected
    assert tree_digest(hand_ins) == before


def test_intact_hand_ins_are_copied_byte_for_byte(released_course, weights, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(released_course, course)
    shutil.copytree(step_dir(course, "source"), tmp_path / "hand_ins" / "solution")
    shutil.copytree(step_dir(course, "release"), tmp_path / "hand_ins" / "blank")
    collect(tmp_path / "hand_ins", course)
    for student in ("solution", "blank"):
        assert tree_digest(step_dir(course, "submitted", student)) == tree_digest(tmp_path / "hand_ins" / student)
        assert ledger.load(course)[student]["repairs"] == []


def test_a_zip_of_zips_is_collected_and_a_bad_hand_in_recorded(released_course, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(released_course, course)
    shutil.copytree(step_dir(course, "release"), tmp_path / "lung_segmentation")
    zip_of_zips(tmp_path / "lung_segmentation", tmp_path / "hand_ins" / "alice.zip")
    (tmp_path / "hand_ins" / "bob.zip").write_text("not a zip")
    with pytest.raises(BadHandIns, match="bob.zip: not a readable zip") as error:
        collect(tmp_path / "hand_ins", course)
    assert error.value.students == ["alice"]
    assert tree_digest(step_dir(course, "submitted", "alice")) == tree_digest(step_dir(course, "release"))
    assert ledger.problems(course, "bob") == [f"collect: not a readable zip archive (File is not a zip file); ask for it again"]


def test_preview_lists_the_repairs_and_changes_nothing(collected, tmp_path):
    course, hand_ins, before = collected
    fresh = tmp_path / "course"
    shutil.copytree(course, fresh, ignore=shutil.ignore_patterns("submitted", ledger.FILE))
    expected = {student: entry["repairs"] for student, entry in ledger.load(course).items()}
    assert preview(hand_ins, fresh) == expected
    assert not (fresh / "submitted").exists() and not (fresh / ledger.FILE).exists()
    assert tree_digest(hand_ins) == before


def test_a_notebook_with_two_copies_grades_the_exact_name(released_course, tmp_path):
    release = step_dir(released_course, "release")
    shutil.copytree(release, tmp_path / "hand_in")
    shutil.copy(release / "01_data.ipynb", tmp_path / "hand_in" / "01_data (1).ipynb")
    (tmp_path / "hand_in" / "scratch.ipynb").write_text(json.dumps(nbformat.v4.new_notebook()))
    notebooks, renamed, repairs = plan(tmp_path / "hand_in", release)
    assert notebooks == {} and renamed == {}
    assert repairs == ["01_data (1).ipynb: another copy of 01_data.ipynb, not graded (01_data.ipynb is)",
                       "scratch.ipynb: not a notebook of the assignment, not graded"]
