"""Reading a hand-in without trusting it (grading/intake/unpack.py); tests/unit/test_collect.py does the same
through ``collect``, as the instructor meets it."""
import os
import zipfile

import pytest

from grading.errors import GradingError
from grading.intake.unpack import MAX_FILES, copy_folder, extract_zip, is_debris


@pytest.mark.parametrize("name, debris", [("__MACOSX", True), ("._01_data.ipynb", True), (".DS_Store", True),
                                          ("model.cpython-312.pyc", True), (".ipynb_checkpoints", True),
                                          ("01_data.ipynb", False), ("helpers", False), ("_private.py", False)])
def test_mac_and_editor_debris_is_known_by_its_name(name, debris):
    assert is_debris(name) == debris


def test_a_fifo_in_a_folder_is_left_out_and_noted(tmp_path):
    (tmp_path / "hand_in").mkdir()
    (tmp_path / "hand_in" / "01_data.ipynb").write_text("{}")
    os.mkfifo(tmp_path / "hand_in" / "pipe")
    notes = []
    copy_folder(tmp_path / "hand_in", tmp_path / "copy", notes)
    assert notes == ["pipe: not a regular file (a device, FIFO or socket), left out"]
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == ["01_data.ipynb"]


def test_a_class_download_may_hold_many_hand_ins_worth_of_files_a_hand_in_may_not(tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for index in range(MAX_FILES + 1):
            zipped.writestr(f"student/{index}.txt", "")
    with pytest.raises(GradingError, match=f"{MAX_FILES + 1} files, more than the {MAX_FILES} a hand-in may hold"):
        extract_zip(archive, tmp_path / "one", [])
    assert len(list(extract_zip(archive, tmp_path / "class", [], class_zip=True).rglob("*.txt"))) == MAX_FILES + 1
