"""The notebooks on Colab, tested without Colab.

Colab is stood in for by a fake ``google.colab.userdata`` holding the student's Kaggle token, a
venv with Colab's Python and package versions (``COLAB_RUNTIME``), and a ``/content`` folder with
the release zip deep in a mounted ``drive/MyDrive``. The five notebooks then run in fast mode from
there, each on a fresh kernel; the student hands in from Colab, late, to Canvas, and the kit's
grader, on the kit's own versions, grades Canvas' download with its gradebook export: the model
crosses from Colab's Keras to the grader's.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile

import nbformat
import pytest

from grading.course import KIT, step_dir
from grading.course_folder import ASSIGNMENT
from grading.output.rosters import CANVAS_STUDENT
from grading.judging.questions import autograded_points
from tests.conftest import require_python

pytestmark = pytest.mark.fresh_venv

CELL = (KIT / "grading" / "student" / "colab_cell.py").read_text().rstrip("\n")
TOKEN = "token-from-colab-secrets"
FAKE_USERDATA = f'''"""Stand-in for Colab's google.colab.userdata: the secrets this notebook may read."""
SECRETS = {{"KAGGLE_API_TOKEN": "{TOKEN}"}}


class SecretNotFoundError(Exception):
    pass


def get(key):
    if key not in SECRETS:
        raise SecretNotFoundError(key)
    return SECRETS[key]
'''
# Colab's runtime as its published runtime list gives it (2026-08): Python and the packages the kit
# uses, which the stand-in installs at these versions (TensorFlow's CPU build of the same version).
COLAB_RUNTIME = {"date": "2026-08", "python": "3.13",
                 "packages": {"tensorflow-cpu": "2.20.0", "keras": "3.13.2", "numpy": "2.1.3", "kaggle": "2.0.2"}}
COLAB_PACKAGES = [*(f"{name}=={version}" for name, version in COLAB_RUNTIME["packages"].items()),
                  "opencv-python-headless", "scipy", "matplotlib", "ipykernel", "nbclient", "nbformat"]
STUDENT = "s7654321"
CANVAS_ID = "12345"  # the student's user id in Canvas
RUN_NOTEBOOKS = """import sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient
content, out, *notebooks = sys.argv[1:]
for path in notebooks:
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": content}}).execute()
    nbformat.write(notebook, Path(out) / Path(path).name)
"""


def fake_colab(folder):
    """A folder to put on PYTHONPATH that makes ``google.colab.userdata`` importable (google stays a namespace)."""
    (folder / "google" / "colab").mkdir(parents=True)
    (folder / "google" / "colab" / "__init__.py").write_text("")
    (folder / "google" / "colab" / "userdata.py").write_text(FAKE_USERDATA)
    return folder


def outputs(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_every_notebook_opens_with_the_colab_cell_hidden_outside_colab(released_course):
    """Colab shows the cell as a form (its #@title); JupyterLab and VS Code hide its source."""
    released = sorted(step_dir(released_course, "release").glob("*.ipynb"))
    for path in sorted((KIT / "notebooks").glob("*.ipynb")) + released:
        cells = nbformat.read(path, as_version=4).cells
        assert cells[1].source == CELL, f"{path.name}: its Colab cell differs from grading/student/colab_cell.py"
        assert cells[1].metadata.nbgrader.locked
        assert cells[1].metadata.get("jupyter", {}).get("source_hidden") is True, path
    assert len(released) == 5


def test_the_colab_cell_does_nothing_outside_colab(tmp_path):
    result = subprocess.run([sys.executable, "-c", CELL + "\nimport os; print(os.getcwd())"], cwd=tmp_path,
                            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""})
    assert result.returncode == 0 and result.stdout == f"{tmp_path}\n", result.stderr


def test_without_drive_the_colab_cell_unpacks_into_content_and_warns(released_course, tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    shutil.copy2(released_course / f"{ASSIGNMENT}.zip", content)
    probe = "import os; print(os.getcwd(), os.environ['KAGGLE_API_TOKEN'])"
    env = {**os.environ, "PYTHONPATH": str(fake_colab(tmp_path / "fake"))}
    env.pop("KAGGLE_API_TOKEN", None)
    result = subprocess.run([sys.executable, "-c", f"{CELL}\n{probe}"], cwd=content, capture_output=True, text=True,
                            env=env)
    assert result.returncode == 0, result.stderr
    assert "WARNING: working in" in result.stdout and "installed nothing" in result.stdout
    assert result.stdout.splitlines()[-1] == f"{content / ASSIGNMENT} {TOKEN}"


def test_notebooks_run_on_colab_and_its_hand_in_is_graded(released_course, real_dataset, tmp_path):
    venv = tmp_path / "colab-venv"
    colab_python = require_python(COLAB_RUNTIME["python"], "the notebooks are tested as on Colab")
    subprocess.run([colab_python, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *COLAB_PACKAGES], check=True)

    # The solution, packed as the release zip, uploaded two folders down in a mounted Drive, beside
    # a second upload that the browser named "lung_segmentation (1).zip" (cut off: not a zip).
    content = tmp_path / "content"
    uploads = content / "drive" / "MyDrive" / "Courses" / "DL"
    solution = shutil.copytree(step_dir(released_course, "release"), tmp_path / "pack" / ASSIGNMENT)
    source = step_dir(released_course, "source")
    for notebook in source.glob("*.ipynb"):
        shutil.copy2(notebook, solution)
    shutil.rmtree(solution / "helpers")
    shutil.copytree(source / "helpers", solution / "helpers")
    uploads.mkdir(parents=True)
    shutil.make_archive(uploads / ASSIGNMENT, "zip", solution.parent, ASSIGNMENT)
    (uploads / f"{ASSIGNMENT} (1).zip").write_bytes(b"PK\x03\x04 cut off")

    # The student uploads the notebooks into Colab; each starts in /content.
    uploaded = tmp_path / "uploaded"
    uploaded.mkdir()
    for notebook in sorted(solution.glob("*.ipynb")):
        shutil.copy2(notebook, uploaded)
    first = uploaded / "01_data.ipynb"
    notebook = nbformat.read(first, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import os; print(os.getcwd(), os.environ['KAGGLE_API_TOKEN'], os.environ['LUNGKIT_CACHE'])"))
    nbformat.write(notebook, first)

    env = {**os.environ, "PYTHONPATH": str(fake_colab(tmp_path / "fake")), "LUNGKIT_FAST": "1",
           "LUNGKIT_DATA": str(real_dataset)}
    env.pop("KAGGLE_API_TOKEN", None)
    (tmp_path / "run.py").write_text(RUN_NOTEBOOKS)
    executed = tmp_path / "executed"
    executed.mkdir()
    notebooks = [str(p) for p in sorted(uploaded.glob("*.ipynb"))]
    subprocess.run([str(venv / "bin" / "python"), str(tmp_path / "run.py"), str(content), str(executed), *notebooks],
                   env=env, check=True)

    folder = uploads / ASSIGNMENT
    for path in sorted(executed.glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        errors = [f"{o.ename}: {o.evalue}" for c in cells for o in c.get("outputs", []) if o.output_type == "error"]
        assert not errors, f"{path.name} on Colab: {errors}"
        assert f"Colab: working in {folder}; installed nothing" in outputs(cells[1]), outputs(cells[1])
        assert "WARNING" not in outputs(cells[1])
    probe = nbformat.read(executed / "01_data.ipynb", as_version=4).cells[-1]
    assert outputs(probe) == f"{folder} {TOKEN} {uploads / 'lung_segmentation_data'}\n", "the data would go to Drive"
    assert (folder / "artifacts" / "fast" / "unet.weights.h5").is_file(), "the trained model is kept in Drive"
    probe = ("import importlib.metadata as m, json, re; "
             "print(json.dumps({re.sub('[-_.]+', '-', d.name).lower(): d.version for d in m.distributions()}))")
    installed = json.loads(subprocess.run([str(venv / "bin" / "python"), "-c", probe], capture_output=True, text=True,
                                          check=True).stdout)
    assert {name: installed.get(name) for name in COLAB_RUNTIME["packages"]} == COLAB_RUNTIME["packages"]
    assert "tensorflow" not in installed, "Colab's TensorFlow stays, and no second one comes"

    # The hand-in, built on Colab (the fast model standing in for a full run, as in the student path),
    # uploaded late to Canvas and graded from Canvas' download, with its gradebook export, by the
    # kit's grader on its own versions.
    shutil.copytree(folder / "artifacts" / "fast", folder / "artifacts", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.png", "metrics.json"))
    record = json.loads((folder / "artifacts" / "training.json").read_text())
    (folder / "artifacts" / "training.json").write_text(json.dumps({**record, "fast_mode": False}))
    subprocess.run([str(venv / "bin" / "python"), "handin.py", STUDENT, "--out", str(tmp_path)], cwd=folder,
                   check=True)
    download = tmp_path / "submissions.zip"
    with zipfile.ZipFile(download, "w") as archive:
        archive.write(tmp_path / f"{STUDENT}.zip", f"doejane_LATE_{CANVAS_ID}_678950_{STUDENT}.zip")
    roster = tmp_path / "roster.csv"
    roster.write_text(f"{','.join(CANVAS_STUDENT)},Lung segmentation (4711)\n"
                      f"    Points Possible,,,,,100\n\"Doe, Jane\",{CANVAS_ID},S1,{STUDENT},A,\n")
    course = shutil.copytree(released_course, tmp_path / "course")
    steps = (["collect", str(download)], ["autograde", "--student", CANVAS_ID], ["export", "--roster", str(roster)])
    for step in steps:
        subprocess.run([sys.executable, "-m", "grading", "--course", str(course), *step], check=True)
    with (course / "grades.csv").open() as stream:
        scores = {row["question"]: float(row["score"]) for row in csv.DictReader(stream) if row["student"] == CANVAS_ID}
    full = autograded_points(source.glob("*.ipynb"))
    assert {question: scores.get(question) for question in full} == full, "the Colab hand-in scores what it should"
    with (course / "students.csv").open() as stream:
        (student,) = list(csv.DictReader(stream))
    assert [student[key] for key in ("student", "late", "status")] == [CANVAS_ID, "late (Canvas)", "to grade by hand"]
    with (course / "canvas.csv").open() as stream:
        row = list(csv.reader(stream))[2]
    assert row == ["Doe, Jane", CANVAS_ID, "S1", STUDENT, "A", ""], "matched; empty until hand-graded"
