"""The instructor workflow in grading/: release, collect, autograde, feedback and grades.

Release and collect run on the kit's notebooks alone. The round trip needs the real data: it
reads the class of tests/graded_class.py, graded once per session (the solution, the blank
release, each kind of wrong answer, right answers that differ from the reference).
"""
import csv
import hashlib
import logging
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.apps import NbGraderAPI
from nbgrader.preprocessors import GetGrades
from traitlets.config import Config

from grading.autograding import autograde as autograde_module
from grading import ledger
from grading.__main__ import main
from grading.autograding.autograde import autograde, check_isolation
from grading.intake.collect import MODEL, collect
from grading.course import COURSE_ID, KIT, GradingError, course_api, step_dir
from grading.course_folder import ASSIGNMENT
from grading.intake.exchange import hub_exchange
from grading.output.grades import COLUMNS, export
from grading.judging.questions import autograded_points
from grading.output.leaks import HIDDEN_TESTS, find_leaks, secret_lines
from grading.output.release import check_release, release
from tests.graded_class import LOST, graded_students

# nbgrader's own gradebook queries make SQLAlchemy warn.
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

TIMEOUT = 60  # seconds per cell, as the class is graded (tests/conftest.py)
# The grade_id prefixes of each graded function's tests, and of the trained-model tests.
FAMILIES = ("test_load_data", "test_create_generator", "test_u_net", "test_scheduler", "test_compute_iou",
            "test_trained")


@pytest.fixture(scope="module")
def course(released_course, tmp_path_factory):
    """A copy of the released course, for this module's tests that change it."""
    course = tmp_path_factory.mktemp("grading") / "course"
    shutil.copytree(released_course, course)
    return course


@pytest.fixture(scope="module")
def grades(graded_class):
    """The class's exported grades CSV, as a list of row dicts."""
    with (graded_class.course / "grades.csv").open() as stream:
        return list(csv.DictReader(stream))


def tree_digest(folder, graded_only=False):
    """One sha256 over every file's path and content under ``folder``; with ``graded_only``, over what
    collect keeps of a hand-in: the notebooks, ``helpers/`` and the trained model."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if graded_only and not (path.parent == folder and path.suffix == ".ipynb" or name.startswith("helpers/")
                                or name in MODEL):
            continue
        digest.update(name.encode() + path.read_bytes())
    return digest.hexdigest()


def test_a_hubs_exchange_and_course_id_win_over_the_kits(released_course, tmp_path, monkeypatch):
    """nbgrader's settings in the Jupyter configuration folders (a hub's /etc/jupyter) are not overridden by
    the course folder's: the kit's commands and nbgrader's, the formgrader too, use the hub's exchange."""
    course = tmp_path / "course"
    shutil.copytree(released_course, course)
    assert course_api(course).config.CourseDirectory.course_id == COURSE_ID, "without a hub, the kit's id"
    hub = tmp_path / "etc-jupyter"
    hub.mkdir()
    (hub / "nbgrader_config.py").write_text("c.Exchange.root = '/srv/exchange'\nc.CourseDirectory.course_id = 'lungs101'\n")
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(hub))
    config = course_api(course).config
    assert (config.Exchange.root, config.CourseDirectory.course_id) == ("/srv/exchange", "lungs101")
    assert hub_exchange() == (Path("/srv/exchange"), "lungs101")
    assert hub_exchange("/other", "bio") == (Path("/other"), "bio"), "the command line's win"


def autograded_questions(course):
    """grade_id of every autograder test cell in the source notebooks."""
    return set(autograded_points(step_dir(course, "source").glob("*.ipynb")))


def autograded_errors(course, student, notebook):
    """``ename: evalue`` of every error output of a student's autograded notebook."""
    cells = nbformat.read(step_dir(course, "autograded", student) / notebook, as_version=4).cells
    return [f"{o.ename}: {o.evalue}" for c in cells for o in c.get("outputs", []) if o.output_type == "error"]


def test_release_holds_stubs_and_no_answer(course, tmp_path):
    released = step_dir(course, "release")
    notebooks = sorted(p.name for p in (KIT / "notebooks").glob("*.ipynb"))
    assert sorted(p.name for p in released.glob("*.ipynb")) == notebooks
    for path in (p for p in released.rglob("*") if p.is_file() and p.suffix in (".py", ".ipynb")):
        text = path.read_text()
        assert not any(marker in text for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS")), path
    # One nbgrader stub per solution region: load_data, create_generator, U_Net (two), scheduler, compute_IoU,
    # keep_largest_components and choose_postprocessing.
    stubs = sum((p.read_text().count("    # YOUR CODE HERE\n") for p in (released / "helpers").glob("*.py")))
    assert stubs == 8
    assert "math.exp(-0.1 * (epoch - 20))" not in (released / "helpers" / "training.py").read_text()
    kit_helpers = {p.name for p in (KIT / "helpers").iterdir() if p.is_file() and p.suffix != ".pyc"}
    assert {p.name for p in (released / "helpers").iterdir()} == kit_helpers, "helpers/ is what students receive"
    assert not (released / "reference").exists(), "the reference run answers the notebook cells"
    assert stat.S_IMODE(course.stat().st_mode) == 0o700, "solutions, gradebook and hand-ins: closed to students"
    assert not (course / "exchange").exists() and "root" not in course_api(course).config.Exchange, "the hub's"

    # A release with a solution line in it fails the check, loudly.
    tampered = tmp_path / "course"
    shutil.copytree(course, tampered)
    training = step_dir(tampered, "release") / "helpers" / "training.py"
    training.write_text(training.read_text() + "    return 1e-3 * math.exp(-0.1 * (epoch - 20))\n")
    with pytest.raises(GradingError, match="gives answers away"):
        check_release(tampered)


def test_collect_copies_folders_and_zips_and_leaves_them_unchanged(course, tmp_path):
    hand_ins, target = tmp_path / "hand_ins", tmp_path / "course"
    released = step_dir(course, "release")
    shutil.copytree(released, hand_ins / "alice")  # the notebooks at the top
    shutil.copytree(released, tmp_path / "bob" / ASSIGNMENT)
    shutil.make_archive(hand_ins / "bob", "zip", tmp_path / "bob")  # a zip of the assignment folder
    before = tree_digest(hand_ins)
    assert collect(hand_ins, target) == ["alice", "bob"]
    for student in ("alice", "bob"):
        assert tree_digest(step_dir(target, "submitted", student)) == tree_digest(released, graded_only=True)
    assert tree_digest(hand_ins) == before


def test_collect_names_bad_hand_ins_and_collects_the_others(course, tmp_path):
    hand_ins, target = tmp_path / "hand_ins", tmp_path / "course"
    shutil.copytree(step_dir(course, "release"), hand_ins / "alice")
    (hand_ins / "dave.zip").write_text("not a zip")
    (hand_ins / "erin" / "helpers").mkdir(parents=True)  # no notebooks
    (hand_ins / "frank.txt").write_text("")
    with pytest.raises(GradingError) as error:
        collect(hand_ins, target)
    assert "dave.zip: not a readable zip" in str(error.value)
    assert "erin: no notebooks" in str(error.value)
    assert "frank.txt: a hand-in is a folder or a .zip" in str(error.value)
    assert (step_dir(target, "submitted", "alice") / "01_data.ipynb").is_file()


def test_grade_refuses_to_start_without_the_dataset(course, tmp_path, monkeypatch, capfd):
    """Not a class graded 26 of 100 for the grader's missing data: nothing is collected or graded."""
    shutil.copytree(step_dir(course, "release"), tmp_path / "hand_ins" / "alice")
    monkeypatch.delenv("LUNGKIT_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty_cache"))
    assert main(["--course", str(course), "grade", str(tmp_path / "hand_ins")]) == 1
    console = capfd.readouterr().err
    assert "error: refusing to grade without the dataset, which every hand-in is graded on: no dataset in" in console
    assert "set LUNGKIT_DATA to the folder that holds 2d_images/ and 2d_masks/" in console
    assert not (course / "submitted").exists() and not (course / "grades.csv").exists()


def test_grading_kernels_cannot_import_the_instructors_helpers(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(KIT))
    check_isolation()  # the kernel environment drops PYTHONPATH
    monkeypatch.setattr(autograde_module, "kernel_environment", lambda: dict(os.environ))
    with pytest.raises(GradingError, match="would import helpers from"):
        check_isolation()


@pytest.mark.parametrize("student", sorted(LOST))
def test_autograde_scores(student, grades, graded_class):
    questions = autograded_questions(graded_class.course)
    assert all(any(q.startswith(family) for q in questions) for family in FAMILIES), sorted(questions)
    expected = questions if LOST[student] == "all" else LOST[student]
    rows = [row for row in grades if row["student"] == student and row["question"] in questions]
    scores = {row["question"]: (float(row["score"]), float(row["max_score"])) for row in rows}
    lost = {q for q in questions if scores[q][0] < scores[q][1]}
    assert lost == expected, f"{student} lost {sorted(lost)}, expected {sorted(expected)}"
    assert all(scores[q][0] == 0 for q in lost), "autograder tests score all or nothing"


def test_autograde_goes_on_past_crashes_and_hangs(graded_class):
    course = graded_class.course
    assert any(e.startswith("CellTimeoutError") for e in autograded_errors(course, "crash_and_hang", "05_evaluation.ipynb"))
    assert any(e.startswith("ZeroDivisionError") for e in autograded_errors(course, "crash_and_hang", "04_training.ipynb"))
    assert any(e.startswith("DeadKernelError") for e in autograded_errors(course, "crash_and_hang", "05_evaluation.ipynb"))


def test_autograde_uses_each_hand_ins_own_helpers_and_weights(graded_class):
    course = graded_class.course
    assert not (step_dir(course, "autograded", "no_helpers") / "helpers").exists()
    assert any("helpers/ not found" in e for e in autograded_errors(course, "no_helpers", "01_data.ipynb"))
    errors = autograded_errors(course, "wrong_data_no_weights", "05_evaluation.ipynb")
    assert any(e.startswith("FileNotFoundError") and "unet.weights.h5 not found" in e for e in errors), errors


def test_grading_changes_nothing_of_the_course_but_its_results(graded_class):
    assert graded_class.after == graded_class.before


def test_model_questions_are_judged_on_the_graders_own_run_of_the_model(graded_class):
    """The feedback shows the evaluator's figures beside the notebook's, and a wrong answer names both."""
    course = graded_class.course
    cells = nbformat.read(step_dir(course, "autograded", "solution") / "05_evaluation.ipynb", as_version=4).cells
    notes = [o.text for c in cells for o in c.get("outputs", []) if o.get("text", "").startswith("the grader ran")]
    assert len(notes) == 2 and "test accuracy" in notes[0] and "test mean IoU" in notes[1], notes
    errors = autograded_errors(course, "wrong_untrained", "05_evaluation.ipynb")
    assert any("validation accuracy" in e and "1b.6" in e for e in errors), errors


def test_grades_csv_has_a_row_per_student_and_graded_cell(grades, graded_class):
    course = graded_class.course
    assert list(grades[0]) == list(COLUMNS)
    graded_cells = {
        (path.stem, cell.metadata.nbgrader.grade_id): cell.metadata.nbgrader.points
        for path in step_dir(course, "source").glob("*.ipynb")
        for cell in nbformat.read(path, as_version=4).cells
        if cell.metadata.get("nbgrader", {}).get("grade")
    }
    assert sum(graded_cells.values()) == 110  # the original assignment's 100 and the open experiment's 10
    for student in graded_students():
        rows = {(row["notebook"], row["question"]): row for row in grades if row["student"] == student}
        assert {key: float(row["max_score"]) for key, row in rows.items()} == graded_cells, student
    solution = [row for row in grades if row["student"] == "solution"]
    assert sum(float(row["score"]) for row in solution if row["needs_manual_grade"] == "False") == sum(
        points for (_, question), points in graded_cells.items() if question in autograded_questions(course)
    )


def test_feedback_shows_no_hidden_test(graded_class, tmp_path):
    course = graded_class.course
    assert len(list((course / "feedback").glob("*/*/*.html"))) == 5 * len(graded_students())
    hidden = secret_lines(step_dir(course, "source"), kinds=("hidden tests",))
    assert not find_leaks(course / "feedback", hidden, HIDDEN_TESTS)
    nan_iou = (step_dir(course, "feedback", "wrong") / "05_evaluation.html").read_text()
    assert "two empty masks must give 1.0" in nan_iou  # the hidden test's message stays, its source goes

    # nbgrader's own feedback would show them (its issue 917): the check above can see a leak.
    config = Config(course_api(course).config)
    config.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor]
    config.GenerateFeedback.post_convert_hook = None  # nbgrader's alone, without the kit's check
    config.CourseDirectory.feedback_directory = str(tmp_path / "unguarded_feedback")
    assert NbGraderAPI(config=config).generate_feedback(ASSIGNMENT, "wrong")["success"]
    assert find_leaks(tmp_path / "unguarded_feedback", hidden, HIDDEN_TESTS)


def test_autograde_again_one_at_a_time_with_private_data_gives_the_same_grades(grades, graded_class, real_dataset,
                                                                                 tmp_path):
    """With ``--private-data`` the trained model is also graded on the instructor's own slices (a copy of
    20 public ones stands in for them here): a model that passes there keeps its grades, and says so."""
    mine = tmp_path / "mine"
    for folder in ("2d_images", "2d_masks"):
        (mine / folder).mkdir(parents=True)
        for path in sorted((real_dataset / folder).iterdir())[-20:]:
            shutil.copy(path, mine / folder / path.name)
    course = tmp_path / "course"
    shutil.copytree(graded_class.course, course)
    again = autograde(course, ["wrong"], timeout=TIMEOUT, private_data=mine)
    assert all(result["success"] for result in again.values())
    with export(course, tmp_path / "again.csv").open() as stream:
        rows = [row for row in csv.DictReader(stream) if row["student"] in again]
    assert rows == [row for row in grades if row["student"] in again]
    evaluation = (step_dir(course, "autograded", "wrong") / "05_evaluation.ipynb").read_text()
    assert "on the instructor's own slices" in evaluation and "on moved test slices" in evaluation


def test_grade_refuses_private_data_it_cannot_read(course, tmp_path, capfd):
    """``grade --private-data DIR`` reads the instructor's slices first: without them nothing is collected."""
    shutil.copytree(step_dir(course, "release"), tmp_path / "hand_ins" / "alice")
    (tmp_path / "mine" / "2d_images").mkdir(parents=True)
    assert main(["--course", str(course), "grade", str(tmp_path / "hand_ins"), "--private-data",
                 str(tmp_path / "mine")]) == 1
    console = capfd.readouterr().err
    assert f"error: --private-data {tmp_path / 'mine'}: " in console and "it needs 2d_images/ and 2d_masks/" in console
    assert not (course / "submitted").exists()


def test_a_notebook_cell_without_grading_metadata_stops_the_release(tmp_path):
    """Collect matches every handed-in cell to the release's by its grade_id: a plain cell would break it."""
    notebooks = shutil.copytree(KIT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns("*.py"))
    notebook = nbformat.read(notebooks / "03_unet.ipynb", as_version=4)
    notebook.cells.insert(4, nbformat.v4.new_markdown_cell("**Context:** a note without nbgrader metadata"))
    nbformat.write(notebook, notebooks / "03_unet.ipynb")
    with pytest.raises(GradingError, match=r"03_unet.ipynb: cell\(s\) 4 have no nbgrader grade_id: give each a "
                                           r"read-only one"):
        release(tmp_path / "course", notebooks=notebooks)


def test_a_release_whose_test_cells_and_questions_disagree_is_refused(tmp_path):
    """A question of grading/judging/questions.py whose test cell was deleted from its notebook: nothing is released."""
    notebooks = shutil.copytree(KIT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns("*.py"))
    notebook = nbformat.read(notebooks / "04_training.ipynb", as_version=4)
    notebook.cells = [cell for cell in notebook.cells
                      if cell.metadata.get("nbgrader", {}).get("grade_id") != "test_scheduler"]
    nbformat.write(notebook, notebooks / "04_training.ipynb")
    with pytest.raises(GradingError, match="test_scheduler: a question of grading/judging/questions.py, but no test cell"):
        release(tmp_path / "course", notebooks=notebooks)
    assert not step_dir(tmp_path / "course", "release").exists()


def test_a_release_that_gives_answers_away_is_deleted(tmp_path, monkeypatch, caplog):
    from grading.output import release as release_module

    monkeypatch.setattr(release_module, "strip_solutions", lambda folder: None)  # helpers/ keeps its solutions
    course = tmp_path / "course"
    with caplog.at_level(logging.ERROR, logger="grading"), pytest.raises(GradingError, match="gave answers away"):
        release_module.release(course)
    assert not step_dir(course, "release").exists() and not (course / f"{ASSIGNMENT}.zip").exists()
    assert "BEGIN SOLUTION" in caplog.text, "the leaks are named"


def test_autograde_grades_only_what_the_kit_collected(course, tmp_path, caplog):
    """A submitted/ folder copied by hand (as nbgrader's own collect does), or one others may write into,
    is named and not graded; nothing of either is autograded."""
    shutil.copytree(step_dir(course, "release"), tmp_path / "hand_ins" / "alice")
    collect(tmp_path / "hand_ins", course)
    shutil.copytree(step_dir(course, "release"), step_dir(course, "submitted", "mallory"))
    (step_dir(course, "submitted", "alice") / "01_data.ipynb").chmod(0o666)
    with caplog.at_level(logging.ERROR, logger="grading"):
        assert autograde(course, ["alice", "mallory"]) == {}
    assert "mallory: not autograded: not collected by the kit" in caplog.text
    assert "alice: not autograded: writable by other users" in caplog.text
    problems = {student: entry["problems"].get("autograde", "") for student, entry in ledger.load(course).items()}
    assert problems["mallory"].startswith("not collected by the kit") and problems["alice"].startswith("writable")
    assert not (course / "autograded").exists()
    # nbgrader's own autograde, which the formgrader's Autograde button runs, refuses them too.
    done = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--student", "mallory"],
                          cwd=course, capture_output=True, text=True, timeout=300)
    assert "not autograded: not collected by the kit" in done.stderr, done.stderr[-3000:]
    assert not list((course / "autograded").rglob("*.ipynb")), "no notebook of mallory's was graded"
