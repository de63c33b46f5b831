"""The notebooks on Colab, tested without Colab.

Colab is stood in for by a fake ``google.colab.userdata`` holding the student's Kaggle token, a
Python 3.12 venv with a TensorFlow other than the kit's pin and no Kaggle client (as Colab's), and
a ``/content`` folder with the release zip in a mounted ``drive/MyDrive``. The five notebooks then
run in fast mode from there, each on a fresh kernel.
"""
import glob
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from grading.course import ASSIGNMENT, KIT, step_dir

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
# Colab's own packages: a TensorFlow that is not the kit's pin, and no Kaggle client.
COLAB_TENSORFLOW = "2.20.0"
COLAB_PACKAGES = [f"tensorflow-cpu=={COLAB_TENSORFLOW}", "opencv-python-headless", "scipy", "matplotlib",
                  "ipykernel", "nbclient", "nbformat"]
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


def python(version):
    """The interpreter of Python ``version``: on PATH, or pyenv's; fails in CI, else skips, without it."""
    pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    installed = sorted(glob.glob(f"{pyenv}/versions/{version}.*/bin/python{version}"))
    candidates = [shutil.which(f"python{version}"), *installed]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", "pass"], capture_output=True).returncode == 0:
            return candidate
    message = f"Python {version} not found: install it (pyenv install {version}) to test the notebooks as on Colab"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def kaggle_pin():
    """The Kaggle client's version in requirements.txt."""
    return next(line.split("==")[1].strip() for line in (KIT / "requirements.txt").read_text().splitlines()
                if line.startswith("kaggle=="))


def fake_colab(folder):
    """A folder to put on PYTHONPATH that makes ``google.colab.userdata`` importable (google stays a namespace)."""
    (folder / "google" / "colab").mkdir(parents=True)
    (folder / "google" / "colab" / "__init__.py").write_text("")
    (folder / "google" / "colab" / "userdata.py").write_text(FAKE_USERDATA)
    return folder


def outputs(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_every_notebook_opens_with_the_colab_cell():
    for path in sorted((KIT / "notebooks").glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        assert cells[1].source == CELL, f"{path.name}: its Colab cell differs from grading/student/colab_cell.py"
        assert cells[1].metadata.nbgrader.locked


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


def test_notebooks_run_on_colab_from_the_release_zip(released_course, real_dataset, tmp_path):
    venv = tmp_path / "colab-venv"
    subprocess.run([python("3.12"), "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *COLAB_PACKAGES], check=True)

    # The solution, packed as the release zip, uploaded to a mounted Drive.
    content = tmp_path / "content"
    drive = content / "drive" / "MyDrive"
    solution = shutil.copytree(step_dir(released_course, "release"), tmp_path / "pack" / ASSIGNMENT)
    source = step_dir(released_course, "source")
    for notebook in source.glob("*.ipynb"):
        shutil.copy2(notebook, solution)
    shutil.rmtree(solution / "helpers")
    shutil.copytree(source / "helpers", solution / "helpers")
    drive.mkdir(parents=True)
    shutil.make_archive(drive / ASSIGNMENT, "zip", solution.parent, ASSIGNMENT)

    # The student uploads the notebooks into Colab; each starts in /content.
    uploaded = tmp_path / "uploaded"
    uploaded.mkdir()
    for notebook in sorted(solution.glob("*.ipynb")):
        shutil.copy2(notebook, uploaded)
    first = uploaded / "01_data.ipynb"
    notebook = nbformat.read(first, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("import os; print(os.getcwd(), os.environ['KAGGLE_API_TOKEN'])"))
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

    folder = drive / ASSIGNMENT
    for path in sorted(executed.glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        errors = [f"{o.ename}: {o.evalue}" for c in cells for o in c.get("outputs", []) if o.output_type == "error"]
        assert not errors, f"{path.name} on Colab: {errors}"
        installed = f"kaggle=={kaggle_pin()}" if path.name == "01_data.ipynb" else "nothing"
        assert f"Colab: working in {folder}; installed {installed}" in outputs(cells[1]), outputs(cells[1])
        assert "WARNING" not in outputs(cells[1])
    probe = nbformat.read(executed / "01_data.ipynb", as_version=4).cells[-1]
    assert outputs(probe) == f"{folder} {TOKEN}\n"
    assert (folder / "artifacts" / "fast" / "unet.weights.h5").is_file(), "the trained model is kept in Drive"
    probe = "import importlib.metadata as m; print(m.version('tensorflow-cpu'), " \
        "[d.name for d in m.distributions() if d.name == 'tensorflow'])"
    versions = subprocess.run([str(venv / "bin" / "python"), "-c", probe], capture_output=True, text=True,
                              check=True).stdout.split(" ", 1)
    assert versions == [COLAB_TENSORFLOW, "[]\n"], "Colab's TensorFlow stays, and no second one comes"
