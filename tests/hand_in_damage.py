"""Damaged hand-ins: the solution hand-in of tests/grading_submissions.py with one damage each, as
editors, browsers and people do it, and the questions each damage really costs.

A damage is ``(function, notebook, *arguments)``, applied to a hand-in folder.
"""
import json
import shutil
import zipfile

import nbformat

from tests.grading_submissions import write_hand_in


def duplicate(folder, notebook, grade_id):
    """Copy-paste the cell ``grade_id`` right below itself, metadata and id and all, as a text editor does."""
    nb = json.loads((folder / notebook).read_text())
    i = next(i for i, c in enumerate(nb["cells"]) if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)
    nb["cells"].insert(i + 1, json.loads(json.dumps(nb["cells"][i])))
    (folder / notebook).write_text(json.dumps(nb, indent=1))


def strip_metadata(folder, notebook):
    """Save without nbgrader's metadata, as some editors do."""
    nb = _read(folder, notebook)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    nbformat.write(nb, folder / notebook)


def rename(folder, notebook, name):
    """Rename the notebook, as a browser's download (``name (1).ipynb``) or an editor's copy does."""
    (folder / notebook).rename(folder / name)


def delete(folder, notebook, grade_id):
    nb = _read(folder, notebook)
    del nb.cells[_index(nb, grade_id)]
    nbformat.write(nb, folder / notebook)


def retype(folder, notebook, grade_id):
    """Turn the markdown cell ``grade_id`` into a code cell, keeping its text and metadata."""
    nb = _read(folder, notebook)
    i = _index(nb, grade_id)
    old = nb.cells[i]
    nb.cells[i] = nbformat.v4.new_code_cell(old.source, metadata=old.metadata, id=old.id)
    nbformat.write(nb, folder / notebook)


def move_to_end(folder, notebook, grade_id):
    """Move the cell ``grade_id`` to the end of the notebook."""
    nb = _read(folder, notebook)
    nb.cells.append(nb.cells.pop(_index(nb, grade_id)))
    nbformat.write(nb, folder / notebook)


def save_as_nbformat_4_4(folder, notebook):
    """Save as nbformat 4.4 (no cell ids), as older Jupyter versions do."""
    nb = json.loads((folder / notebook).read_text())
    nb["nbformat_minor"] = 4
    for cell in nb["cells"]:
        cell.pop("id", None)
    (folder / notebook).write_text(json.dumps(nb, indent=1))


def empty(folder, notebook):
    """An empty file where the notebook was (a failed save)."""
    (folder / notebook).write_text("")


def add_own_cell(folder, notebook, after, source):
    """A cell of the student's own, without nbgrader metadata, right after the cell ``after``."""
    nb = _read(folder, notebook)
    nb.cells.insert(_index(nb, after) + 1, nbformat.v4.new_code_cell(source))
    nbformat.write(nb, folder / notebook)


# student: damages to the solution hand-in.
DAMAGES = {
    "duplicated_answer": [(duplicate, "04_training.ipynb", "fit_model")],
    "stripped_metadata": [(strip_metadata, "03_unet.ipynb")],
    "browser_rename": [(rename, "02_augmentation.ipynb", "02_augmentation (1).ipynb")],
    "editor_copy_and_case": [(rename, "03_unet.ipynb", "03_UNet-Copy1.ipynb")],
    "deleted_test": [(delete, "03_unet.ipynb", "test_u_net_layers")],
    "deleted_answer": [(delete, "04_training.ipynb", "fit_model")],
    "markdown_as_code": [(retype, "02_augmentation.ipynb", "answer_why_augment")],
    "reordered": [(move_to_end, "05_evaluation.ipynb", "mean_iou")],
    "stripped_and_own_cell": [
        (add_own_cell, "05_evaluation.ipynb", "mean_iou", "print('my check')"),
        (strip_metadata, "05_evaluation.ipynb"),
    ],
    "nbformat_4_4": [(save_as_nbformat_4_4, "01_data.ipynb")],
    "empty_notebook": [(empty, "04_training.ipynb")],
}
# What each damage costs: the answer cells it really removed. Every other question keeps its answer.
LOST_ANSWERS = {"deleted_answer": {"fit_model"}, "empty_notebook": {"compile_model", "fit_model", "answer_loss",
                                                                      "answer_why_schedule"}}


def write_damaged_hand_ins(folder, source, release, weights, students=DAMAGES):
    """The solution hand-in under ``folder/<student>`` damaged as ``DAMAGES`` says, for each of ``students``."""
    for student in students:
        write_hand_in(folder / student, source, weights, [])
        for function, *arguments in DAMAGES[student]:
            function(folder / student, *arguments)
    return sorted(students)


def zip_of_zips(hand_in, archive):
    """``archive``, a zip that holds only a zip of the hand-in folder (``lung_segmentation.zip``)."""
    inner = shutil.make_archive(str(archive.with_suffix("")) + "_inner", "zip", hand_in.parent, hand_in.name)
    with zipfile.ZipFile(archive, "w") as outer:
        outer.write(inner, "lung_segmentation.zip")
    shutil.os.remove(inner)
    return archive


def _read(folder, notebook):
    return nbformat.read(folder / notebook, as_version=4)


def _index(nb, grade_id):
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
