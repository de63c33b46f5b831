"""Collecting hand-ins an attacker packed: links, special files, zip bombs, Mac debris. Each is
collected (or refused) beside an intact hand-in of the same class, which must be collected as it is.
No kernels: what matters is what reaches ``submitted/``, which the sandboxed kernels then read."""
import os
import shutil
import stat
import zipfile

import pytest

from grading import ledger
from grading.__main__ import main
from grading.intake.collect import BadHandIns, collect, preview
from grading.course import step_dir
from grading.intake.unpack import MAX_BYTES
from tests import attacks

SECRET = "the grader's secret"


@pytest.fixture
def course(released_course, tmp_path):
    """A copy of the released course with a secret file outside the hand-ins, and an intact alice."""
    course = tmp_path / "course"
    shutil.copytree(released_course, course)
    (tmp_path / "secret.txt").write_text(SECRET)
    shutil.copytree(step_dir(course, "release"), tmp_path / "hand_ins" / "alice")
    return course


def collected_text(course, student):
    """Everything collected for ``student``, as one text."""
    folder = step_dir(course, "submitted", student)
    return "\n".join(path.read_text(errors="ignore") for path in folder.rglob("*") if path.is_file())


def collected_files(course, student):
    folder = step_dir(course, "submitted", student)
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def assert_alice_collected(course):
    release = step_dir(course, "release")
    graded = {p.relative_to(release).as_posix() for p in release.rglob("*")
              if p.suffix == ".ipynb" or "helpers" in p.parts}
    assert collected_files(course, "alice") == graded


def test_links_and_special_files_in_a_folder_are_left_out_and_named(course, tmp_path):
    hand_in = shutil.copytree(step_dir(course, "release"), tmp_path / "hand_ins" / "mallory")
    (hand_in / "helpers" / "secret.py").symlink_to(tmp_path / "secret.txt")  # absolute
    (hand_in / "gradebook.db").symlink_to(os.path.relpath(course / "gradebook.db", hand_in))  # relative
    (hand_in / "source").symlink_to(step_dir(course, "source"), target_is_directory=True)
    (hand_in / "dangling").symlink_to(tmp_path / "nothing")
    (hand_in / "zero").symlink_to("/dev/zero")
    os.mkfifo(hand_in / "pipe")
    assert collect(tmp_path / "hand_ins", course) == ["alice", "mallory"]
    text = collected_text(course, "mallory")
    assert SECRET not in text and "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    notes = ledger.load(course)["mallory"]["repairs"]
    for name in ("helpers/secret.py", "gradebook.db", "source", "dangling", "zero"):
        assert f"{name}: a symbolic link, left out" in notes, notes
    assert "pipe: not a regular file (a device, FIFO or socket), left out" in notes
    assert_alice_collected(course)


def test_links_in_a_zip_are_left_out_and_named(course, tmp_path):
    archive = tmp_path / "hand_ins" / "mallory.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in step_dir(course, "release").rglob("*"):
            if path.is_file():
                zipped.write(path, path.relative_to(step_dir(course, "release")))
        link = zipfile.ZipInfo("helpers/secret.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zipped.writestr(link, str(tmp_path / "secret.txt"))
    assert collect(tmp_path / "hand_ins", course) == ["alice", "mallory"]
    assert not (step_dir(course, "submitted", "mallory") / "helpers" / "secret.py").exists()
    assert "helpers/secret.py: a symbolic link, left out" in ledger.load(course)["mallory"]["repairs"]
    assert_alice_collected(course)


def test_a_zip_bomb_is_refused_before_anything_is_written(course, tmp_path):
    archive = tmp_path / "hand_ins" / "mallory.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        with zipped.open("01_data.ipynb", "w", force_zip64=True) as member:
            block = bytes(2**20)
            for _ in range(MAX_BYTES // 2**20 + 56):
                member.write(block)
    print(f"the bomb: {archive.stat().st_size / 2**10:.0f} KiB expanding to {MAX_BYTES // 2**20 + 56} MiB")
    bomb = r"mallory.zip: 01_data.ipynb would expand 256 MiB from \d+ KiB \(a zip bomb\?\)"
    with pytest.raises(BadHandIns, match=bomb):
        collect(tmp_path / "hand_ins", course)
    assert not step_dir(course, "submitted", "mallory").exists()
    assert_alice_collected(course)


def test_a_hand_in_over_the_size_limit_is_refused(course, tmp_path):
    hand_in = shutil.copytree(step_dir(course, "release"), tmp_path / "hand_ins" / "mallory")
    with (hand_in / "artifacts.bin").open("wb") as big:
        big.truncate(MAX_BYTES + 1)
    with pytest.raises(BadHandIns, match=f"mallory: 200 MiB unpacked, more than the {MAX_BYTES // 2**20} MiB"):
        collect(tmp_path / "hand_ins", course)
    assert not step_dir(course, "submitted", "mallory").exists()
    assert_alice_collected(course)


def test_only_what_is_graded_is_collected(course, tmp_path):
    hand_in = shutil.copytree(step_dir(course, "release"), tmp_path / "hand_ins" / "mallory")
    model = {"artifacts/unet.weights.h5": "weights", "artifacts/training.json": "{}"}
    not_graded = {"artifacts/fast/unet.weights.h5": "fast weights", "data/2d_images/ID_0000_Z_0142.tif": "a CT slice",
                  "notes.txt": "my notes", **attacks.SHADOW_FILES}
    attacks.add_files(hand_in, {**model, **not_graded, "03_unet-Copy1.ipynb": "{}"})
    assert collect(tmp_path / "hand_ins", course) == ["alice", "mallory"]
    release = step_dir(course, "release")
    notebooks = {p.name for p in release.glob("*.ipynb")}
    helpers = {p.relative_to(release).as_posix() for p in (release / "helpers").rglob("*")}
    assert collected_files(course, "mallory") == {*notebooks, "helpers", *helpers, "artifacts", *model}
    assert f"not graded, left out: {', '.join(sorted(not_graded))}" in ledger.load(course)["mallory"]["repairs"]
    assert_alice_collected(course)
    assert ledger.load(course)["alice"]["repairs"] == [], "the release's own README.md, check.py... go without a note"


def test_mac_and_editor_debris_is_ignored(course, tmp_path):
    hand_in = shutil.copytree(step_dir(course, "release"), tmp_path / "hand_ins" / "mac")
    (hand_in / "._01_data.ipynb").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    (hand_in / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (hand_in / "__MACOSX").mkdir()
    (hand_in / "__MACOSX" / "._helpers").write_bytes(b"\x00\x05\x16\x07")
    (tmp_path / "hand_ins" / "._mac").write_bytes(b"\x00\x05\x16\x07")  # beside the hand-ins, too
    assert preview(tmp_path / "hand_ins", course) == {"alice": [], "mac": []}
    assert collect(tmp_path / "hand_ins", course) == ["alice", "mac"]
    names = {p.name for p in step_dir(course, "submitted", "mac").rglob("*")}
    assert not names & {"._01_data.ipynb", ".DS_Store", "__MACOSX", "._helpers"}
    assert_alice_collected(course)


def test_any_single_folder_packing_and_any_name_are_collected(course, tmp_path):
    release = step_dir(course, "release")
    shutil.copytree(release, tmp_path / "Archive" / "jane" / "lung_segmentation")
    shutil.make_archive(tmp_path / "hand_ins" / "jane", "zip", tmp_path, "Archive")  # two folders down
    shutil.copytree(release, tmp_path / "hand_ins" / "Zoë Ångström" / "lung_segmentation")
    assert collect(tmp_path / "hand_ins", course) == ["Zoe_Angstrom", "alice", "jane"]
    assert ledger.load(course)["Zoe_Angstrom"]["repairs"] == ["handed in as 'Zoë Ångström'; graded as student "
                                                              "Zoe_Angstrom"]
    assert (step_dir(course, "submitted", "jane") / "03_unet.ipynb").is_file()


def test_a_refusal_says_what_the_hand_in_holds_and_repair_counts_it(course, tmp_path, capfd):
    (tmp_path / "hand_ins" / "mallory" / "photos").mkdir(parents=True)
    (tmp_path / "hand_ins" / "mallory" / "photos" / "lungs.png").write_bytes(b"\x89PNG")
    (tmp_path / "hand_ins" / "mallory" / "notes.txt").write_text("my notes")
    shutil.copytree(step_dir(course, "release"), tmp_path / "hand_ins" / "Zoe")
    shutil.copytree(step_dir(course, "release"), tmp_path / "hand_ins" / "Zoë")  # the same id: Zoe
    assert main(["--course", str(course), "repair", str(tmp_path / "hand_ins")]) == 1, "a refusal fails the preview"
    console = capfd.readouterr().err.splitlines()
    assert "alice: no repair needed" in console
    assert "mallory: would be refused: no notebooks; it holds notes.txt, photos/; a hand-in holds the five " \
           "notebooks, in one folder" in console, console
    assert "Zoë: would be refused: its student id Zoe is also that of Zoe; rename one of them" in console
    assert "2 hand-in(s) would be refused: ask for them again, or fix them, before grading" in console
    with pytest.raises(BadHandIns) as error:
        collect(tmp_path / "hand_ins", course)
    assert error.value.students == ["Zoe", "alice"]
    assert f"{tmp_path / 'hand_ins' / 'Zoë'}: its student id Zoe is also that of Zoe; rename one of them" in str(error.value)
    assert ledger.problems(course, "Zoe") == {} and ledger.problems(course, "Zoë") != {}
