"""Repairing damaged hand-ins at collect time, without kernels: each damage of tests/hand_in_damage.py
must leave every answer still in the hand-in in its graded cell, and only those really gone lost."""
import json
import shutil

import nbformat
import pytest
from nbgrader.preprocessors import CheckCellMetadata, OverwriteCells

from grading import ledger
from grading.intake.collect import BadHandIns, collect, preview
from grading.course import Course, step_dir
from grading.course_folder import ASSIGNMENT
from grading.intake.repair import plan, repair
from tests.hand_in_damage import DAMAGES, LOST_ANSWERS, write_damaged_hand_ins, zip_of_zips
from tests.e2e.test_grading import tree_digest


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
        assert tree_digest(step_dir(course, "submitted", student)) == tree_digest(tmp_path / "hand_ins" / student,
                                                                                 graded_only=True)
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
    assert tree_digest(step_dir(course, "submitted", "alice")) == tree_digest(step_dir(course, "release"), graded_only=True)
    assert ledger.problems(course, "bob") == {"collect": "not a readable zip archive (File is not a zip file); ask for it again"}


def test_preview_lists_the_repairs_and_changes_nothing(collected, tmp_path):
    course, hand_ins, before = collected
    fresh = tmp_path / "course"
    ledger_file = Course(fresh).ledger_file
    shutil.copytree(course, fresh, ignore=shutil.ignore_patterns("submitted", ledger_file.name))
    expected = {student: entry["repairs"] for student, entry in ledger.load(course).items()}
    assert preview(hand_ins, fresh) == expected
    assert not (fresh / "submitted").exists() and not ledger_file.exists()
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


def tamper(folder, notebook, grade_id, metadata, source=None):
    """Change the nbgrader metadata of the cell ``grade_id`` (and its source, if given), as a student can by hand."""
    nb = nbformat.read(folder / notebook, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    cell.metadata.nbgrader.update(metadata)
    cell.source = cell.source if source is None else source
    nbformat.write(nb, folder / notebook)


def add_cell(folder, notebook, after, source, metadata):
    """A new code cell with nbgrader metadata ``metadata`` (a mapping or not), right after the cell ``after``."""
    nb = nbformat.read(folder / notebook, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == after)
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(source, metadata={"nbgrader": metadata}))
    nbformat.write(nb, folder / notebook)


GRADED = {"grade": True, "solution": False, "locked": True, "schema_version": 3}
# student: (tampering of the solution hand-in, as a damage of tests/hand_in_damage.py; its one repair line).
TAMPERINGS = {
    "test_made_answer": (
        (tamper, "03_unet.ipynb", "test_u_net_layers", {"solution": True, "locked": False, "points": 60}),
        "03_unet.ipynb: test_u_net_layers had its grading metadata changed (made an answer, 60 points); "
        "restored as released"),
    "extra_graded_cell": (
        (add_cell, "03_unet.ipynb", "test_u_net_layers", "assert True", {**GRADED, "grade_id": "bonus", "points": 60}),
        "03_unet.ipynb: bonus: not a cell of the assignment (a test, 60 points); "
        "kept as an ordinary cell, never graded"),
    "test_points": (
        (tamper, "04_training.ipynb", "test_compile", {"points": 30}),
        "04_training.ipynb: test_compile had its grading metadata changed (30 points); restored as released"),
    "answer_points": (
        (tamper, "04_training.ipynb", "answer_loss", {"points": 30}),
        "04_training.ipynb: answer_loss had its grading metadata changed (30 points); "
        "given the release's metadata, the student's text kept"),
    "answer_made_test": (
        (tamper, "04_training.ipynb", "fit_model", {**GRADED, "points": 60}),
        "04_training.ipynb: fit_model had its grading metadata changed (made a test, 60 points); "
        "given the release's metadata, the student's text kept"),
    "read_only_unlocked_and_edited": (
        (tamper, "03_unet.ipynb", "unet_cell_06", {"locked": False}, "print('mine')"),
        "03_unet.ipynb: unet_cell_06 had its grading metadata changed (made editable); restored as released"),
    "checksum_changed": (
        (tamper, "04_training.ipynb", "test_fit", {"checksum": "0" * 32}),
        "04_training.ipynb: test_fit had its grading metadata changed (checksum changed); restored as released"),
    "claims_a_test_id": (
        (add_cell, "03_unet.ipynb", "unet_cell_07", "pass",
         {**GRADED, "solution": True, "locked": False, "grade_id": "test_u_net_layers", "points": 60}),
        "03_unet.ipynb: test_u_net_layers: another cell claimed it (an answer, 60 points); "
        "kept as an ordinary cell, never graded"),
    "metadata_not_a_mapping": (
        (add_cell, "05_evaluation.ipynb", "mean_iou", "print('mine')", "60 points"),
        "05_evaluation.ipynb: a cell without a grade_id: not a cell of the assignment (editable); "
        "kept as an ordinary cell, never graded"),
}


@pytest.fixture(scope="module")
def tampered(released_course, tmp_path_factory):
    """``{student: (folder, repairs)}``: each tampering applied to the solution notebooks, then repaired."""
    found = {}
    for student, ((function, notebook, *arguments), _) in TAMPERINGS.items():
        folder = tmp_path_factory.mktemp(student)
        for path in step_dir(released_course, "source").glob("*.ipynb"):
            shutil.copy(path, folder)
        function(folder, notebook, *arguments)
        found[student] = folder, repair(folder, step_dir(released_course, "release"))
    return found


@pytest.mark.parametrize("student", sorted(TAMPERINGS))
def test_tampered_metadata_is_the_releases_again(student, tampered, released_course):
    folder, repairs = tampered[student]
    (function, notebook, *arguments), line = TAMPERINGS[student]
    assert repairs == [line], "the one change, named"
    released, handed_in = (graded_cells(step_dir(released_course, step)) for step in ("release", "source"))
    cells = nbformat.read(folder / notebook, 4).cells
    graded = [cell for cell in cells if "nbgrader" in cell.metadata]
    ids = [(notebook, cell.metadata.nbgrader.grade_id) for cell in graded]
    assert ids == [key for key in released if key[0] == notebook], "each cell of the release, once, in its order"
    for key, cell in zip(ids, graded):
        assert (cell.cell_type, cell.metadata) == (released[key].cell_type, released[key].metadata), key
        kept = released if released[key].metadata.nbgrader.locked else handed_in  # the student's answers stay
        assert cell.source == kept[key].source, key
    added = [arguments[1]] if function is add_cell else []
    assert [cell.source for cell in cells if "nbgrader" not in cell.metadata] == added, "added cells stay, ungraded"


@pytest.mark.parametrize("student", sorted(TAMPERINGS))
def test_nbgrader_accepts_the_repaired_notebook(student, tampered, released_course, tmp_path):
    """nbgrader's own checks of a hand-in at autograde, which refused some of these hand-ins before repair."""
    folder, _ = tampered[student]
    (_, notebook, *_), _ = TAMPERINGS[student]
    shutil.copy(released_course / "gradebook.db", tmp_path)
    nb = nbformat.read(folder / notebook, as_version=4)
    resources = {"nbgrader": {"notebook": notebook.removesuffix(".ipynb"), "assignment": ASSIGNMENT,
                              "db_url": f"sqlite:///{tmp_path / 'gradebook.db'}"}}
    for check in (OverwriteCells(), CheckCellMetadata()):
        nb, resources = check.preprocess(nb, resources)
