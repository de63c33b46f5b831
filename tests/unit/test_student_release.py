"""The student release explains itself, and its hand-in command builds exactly what collect takes.

The hand-in tests use the released helpers and notebooks with a stand-in model (weights are not
read here); the full student path, with training and grading, is tests/e2e/test_student_path.py.
"""
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import nbformat
import pytest

from grading.intake.collect import collect
from grading.course import KIT, step_dir
from grading.course_folder import ASSIGNMENT
from grading.errors import GradingError
from grading.output.release import STUDENT_SCRIPTS, student_readme
from helpers.config import RECIPES


@pytest.fixture
def assignment(released_course, tmp_path):
    """A student's copy of the release, with a fully trained model (stand-in files) in artifacts/."""
    folder = shutil.copytree(step_dir(released_course, "release"), tmp_path / ASSIGNMENT)
    write_model(folder / "artifacts", fast_mode=False)
    return folder


def write_model(folder, fast_mode):
    """Stand-in weights and the training record notebook 4 writes beside them."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "unet.weights.h5").write_bytes(b"weights")
    (folder / "training.json").write_text(json.dumps({"unet": {}, "history": {}, "fast_mode": fast_mode}))


def hand_in(folder, *args):
    return subprocess.run([sys.executable, "handin.py", *args], cwd=folder, capture_output=True, text=True)


def test_release_holds_readme_requirements_and_scripts(released_course):
    released = step_dir(released_course, "release")
    top = {p.name for p in released.iterdir()}
    notebooks = {p.name for p in (KIT / "notebooks").glob("*.ipynb")}
    assert top == notebooks | {"helpers", "README.md", "requirements.txt", *STUDENT_SCRIPTS}
    handin = (released / "handin.py").read_text()
    assert all(f'"{name}"' in handin for name in notebooks), "handin.py packs the released notebooks"
    kit_pins = (KIT / "requirements.txt").read_text().splitlines()
    student_pins = (released / "requirements.txt").read_text().splitlines()
    assert student_pins == [p for p in kit_pins if "# tests only" not in p and "# instructors only" not in p]
    assert not [pin for pin in student_pins if pin.startswith(("nbgrader", "selenium", "pytest", "nbval"))]
    readme = (released / "README.md").read_text()
    assert readme == student_readme() and "$" not in readme, "every placeholder filled"
    for recipe in RECIPES:
        assert f"| `{recipe}` |" in readme
    for command in ("python3 -m venv .venv", "-m pip install -r requirements.txt", "check.py", "handin.py"):
        assert command in readme
    with zipfile.ZipFile(released_course / f"{ASSIGNMENT}.zip") as zipped:
        names = {name.rstrip("/") for name in zipped.namelist()}
    assert {f"{ASSIGNMENT}/{name}" for name in top} <= names, "the zip to hand out holds the release folder"


# What the release's texts may name that the release itself does not hold: what the student makes
# (.venv, artifacts/, the hand-in), the data and its Kaggle id, and Colab's Drive.
MADE_LATER = {".venv", "artifacts", "YOUR_STUDENT_ID.zip", "scratch.ipynb", "03_unet-Copy1.ipynb", "2d_images",
              "2d_masks", "lung_stats.csv", "metrics.json", "lung_segmentation.zip", "lung_segmentation_data", "kmader",
              "Drive"}
PATH_LIKE = re.compile(r"^[\w.-]+(/[\w.-]*)+$|^[\w.-]+\.(py|ipynb|txt|md|csv|json|h5|zip|yml|cfg|toml)$")


def test_release_texts_name_only_what_the_release_has(released_course):
    """No `make`, no benchmarks/ or tests/: the student's README and notebooks speak of the release."""
    released = step_dir(released_course, "release")
    texts = {"README.md": (released / "README.md").read_text()}
    for path in sorted(released.glob("*.ipynb")):
        texts[path.name] = "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells)
    has = {path.name for path in released.iterdir()} | MADE_LATER
    for name, text in texts.items():
        for quoted in re.findall(r"`([^`\n]+)`", text):
            words = quoted.replace("\\", "/").split()
            assert not {"make", "pytest"} & set(words), f"{name}: `{quoted}`, a command of the kit's"
            for word in filter(PATH_LIKE.match, words):
                assert word.split("/")[0] in has, f"{name}: `{quoted}` names {word}, which the release lacks"


def test_hand_in_zip_holds_what_is_graded_and_collect_takes_it(assignment, tmp_path):
    (assignment / "artifacts" / "fast").mkdir()
    (assignment / "artifacts" / "fast" / "unet.weights.h5").write_bytes(b"fast")
    (assignment / "artifacts" / "metrics.json").write_text("{}")
    (assignment / "helpers" / "__pycache__").mkdir()
    (assignment / "helpers" / "__pycache__" / "data.cpython-311.pyc").write_bytes(b"")
    (assignment / ".ipynb_checkpoints").mkdir()
    (assignment / "finding-lungs-in-ct-data").mkdir()
    (assignment / "scratch.ipynb").write_text("{}")  # the student's own notebook: not graded, not packed
    result = hand_in(assignment, "s1234567")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(assignment / "s1234567.zip") as zipped:
        names = set(zipped.namelist())
    helpers = {f"helpers/{p.name}" for p in (assignment / "helpers").iterdir() if p.is_file()}
    notebooks = {p.name for p in (KIT / "notebooks").glob("*.ipynb")}
    model = {"artifacts/unet.weights.h5", "artifacts/training.json", "artifacts/metrics.json"}
    assert names == notebooks | helpers | model
    hand_ins = tmp_path / "hand_ins"
    hand_ins.mkdir()
    shutil.copy2(assignment / "s1234567.zip", hand_ins)
    assert collect(hand_ins, tmp_path / "course") == ["s1234567"]
    submitted = step_dir(tmp_path / "course", "submitted", "s1234567")
    assert (submitted / "artifacts" / "unet.weights.h5").read_bytes() == b"weights"


@pytest.mark.parametrize(
    "damage, args, message",
    [
        ("none", ["not an id!"], "is not a student id"),
        ("no model", ["s1"], "no trained model in"),
        ("fast model only", ["s1"], "only the fast-mode one"),
        ("fast model", ["s1"], "records a fast-mode run"),
        ("damaged notebook", ["s1"], "03_unet.ipynb is not a readable notebook"),
        ("missing notebook", ["s1"], "03_unet.ipynb is missing from"),
        ("renamed notebook", ["s1"], "03_unet.ipynb is missing, but 03_unet-Copy1.ipynb is here: only 03_unet.ipynb "
                                     "is graded, so rename the notebook that holds your answers 03_unet.ipynb"),
        ("duplicated notebook", ["s1"], "03_unet (1).ipynb beside 03_unet.ipynb: only 03_unet.ipynb is graded"),
        ("no helpers", ["s1"], "helpers is missing"),
        ("too large", ["s1"], "over 50 MB; its largest file is artifacts/unet.weights.h5"),
    ],
)
def test_hand_in_refuses_and_says_why(assignment, damage, args, message):
    artifacts = assignment / "artifacts"
    if damage in ("no model", "fast model only"):
        shutil.rmtree(artifacts)
    if damage == "fast model only":
        write_model(artifacts / "fast", fast_mode=True)
    if damage == "fast model":
        write_model(artifacts, fast_mode=True)
    if damage == "damaged notebook":
        (assignment / "03_unet.ipynb").write_text('{"cells": [')
    if damage == "missing notebook":
        (assignment / "03_unet.ipynb").unlink()
    if damage == "renamed notebook":
        (assignment / "03_unet.ipynb").rename(assignment / "03_unet-Copy1.ipynb")
    if damage == "duplicated notebook":
        shutil.copy(assignment / "03_unet.ipynb", assignment / "03_unet (1).ipynb")
    if damage == "no helpers":
        shutil.rmtree(assignment / "helpers")
    if damage == "too large":
        (artifacts / "unet.weights.h5").write_bytes(os.urandom(51_000_000))
    result = hand_in(assignment, *args)
    assert result.returncode != 0 and message in result.stderr, result.stderr
    assert not list(assignment.glob("*.zip*")), "no zip, not even a partial one"
    if args != ["not an id!"]:  # the hub's students check without packing, and are told the same
        checked = hand_in(assignment, "--check")
        assert checked.returncode != 0 and "not ready to hand in: " in checked.stderr, checked.stderr
        assert message in checked.stderr, checked.stderr


def test_hand_in_check_says_ready_and_writes_nothing(assignment):
    before = sorted(assignment.rglob("*"))
    result = hand_in(assignment, "--check")
    assert result.returncode == 0 and "ready to hand in: " in result.stdout, result.stderr
    assert "submit from the Assignments tab" in result.stdout
    assert sorted(assignment.rglob("*")) == before
    assert hand_in(assignment).returncode == 2, "without --check, the student id is needed"


def test_self_check_without_data_or_kaggle_token_says_so_first(assignment, tmp_path):
    """The cause, once, with the fix: not a NameError from each question that needed the data."""
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith(("KAGGLE_", "LUNGKIT_", "XDG_"))}
    environment["HOME"] = str(tmp_path / "home")  # no ~/.kaggle, no cached copy of the data
    result = subprocess.run([sys.executable, "check.py"], cwd=assignment, env=environment, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1 and result.stdout == "", result.stdout
    assert result.stderr.startswith("the notebooks cannot run without the data: Kaggle credentials not found"), \
        result.stderr
    assert "~/.kaggle/access_token" in result.stderr and "KAGGLE_API_TOKEN" in result.stderr
    assert "Error" not in result.stderr.replace("Error from the Kaggle client", ""), "no traceback"
    environment["LUNGKIT_DATA"] = str(tmp_path / "nowhere")
    result = subprocess.run([sys.executable, "check.py"], cwd=assignment, env=environment, capture_output=True,
                            text=True, timeout=120)
    assert result.stderr.startswith(f"the notebooks cannot run without the data: dataset folder {tmp_path / 'nowhere'} "
                                    "does not exist: point LUNGKIT_DATA"), result.stderr


def test_self_check_tells_passed_failed_and_not_attempted_apart():
    spec = importlib.util.spec_from_file_location("check", KIT / "grading" / "student" / "check.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)

    def cell(grade_id, error=None, test=True, traceback=()):
        meta = {"grade_id": grade_id, "grade": test, "solution": not test, "points": 2}
        outputs = []
        if error:
            outputs.append(nbformat.v4.new_output("error", ename=error[0], evalue=error[1], traceback=list(traceback)))
        return nbformat.v4.new_code_cell("", metadata={"nbgrader": meta}, outputs=outputs, execution_count=1)

    frame = "\x1b[0;32mFile \x1b[0;32m/tmp/x/helpers/training.py:12\x1b[0m, in \x1b[0;36mscheduler\x1b[0;34m(epoch)"
    cells = [
        nbformat.v4.new_markdown_cell("## Question 1b.8: a schedule"),
        cell("test_ok"),
        cell("test_wrong", ("AssertionError", "decays too fast\nsecond line")),
        cell("test_stub", ("NotImplementedError", ""), traceback=[frame]),
        cell("fit_model", ("NotImplementedError", ""), test=False),
        cell("test_after_stub", ("NameError", "name 'history' is not defined")),
        cell("test_ok_after_stub"),
        nbformat.v4.new_code_cell("", metadata={"nbgrader": {"grade_id": "test_never_ran", "grade": True}}),
    ]
    assert list(check.question_results(cells)) == [
        ("1b.8", "test_ok", 2, "passed", ""),
        ("1b.8", "test_wrong", 2, "FAILED", "AssertionError: decays too fast"),
        ("1b.8", "test_stub", 2, "not attempted", "scheduler in helpers/training.py still raises NotImplementedError"),
        ("1b.8", "test_after_stub", 2, "not attempted", "cell fit_model still raises NotImplementedError"),
        ("1b.8", "test_ok_after_stub", 2, "passed", ""),
        ("1b.8", "test_never_ran", 0, "FAILED", "did not run: Python died or stopped before it"),
    ]


def test_a_benchmark_of_another_recipe_stops_the_release_naming_it(tmp_path):
    """The student README's times come from benchmarks/results.json: when a recipe of helpers/config.py has
    changed since (another U-Net or number of epochs), the release stops instead of printing stale figures."""
    measured = json.loads((KIT / "benchmarks" / "results.json").read_text())
    for row in measured["rows"]:
        if row["recipe"] == "fast":
            row["unet"] = {**row["unet"], "base_filters": row["unet"]["base_filters"] * 2}
    stale = tmp_path / "results.json"
    stale.write_text(json.dumps(measured))
    with pytest.raises(GradingError, match=r"another U-Net or number of epochs .* \['fast'\]: run `make benchmark`"):
        student_readme(stale)
