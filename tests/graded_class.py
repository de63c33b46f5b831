"""The one class of hand-ins that the grading tests share, graded once per test session by the
instructor's command (``python -m grading grade HAND_INS --roster ROSTER --jobs 2``).

It holds the solution, the blank release, one hand-in per kind of wrong answer, answers that are
right though not the reference, the attacks of ``tests/attacks.py`` with their honest twins, and
hand-ins damaged by editors and browsers, a hostile zip (links, Mac debris, script in its answers and
outputs, an 8 MB output), plus hand-ins that are refused (a broken zip, a zip bomb, a link to
``/dev/zero``) and a roster student with no hand-in.
``LOST`` says which autograded questions each hand-in loses (tests/e2e/test_grading.py checks it).
"""
import csv
import os
import shutil
import stat
import zipfile
from pathlib import Path

from tests import attacks
from tests.grading_submissions import (FLOAT64_IMAGES, HANG_IGNORING_THE_INTERRUPT, MASKS_WITH_ANOTHER_SEED, MIN_MAX,
                                       NO_SKIP_CONNECTIONS, THREE_BY_THREE_UP_CONVOLUTIONS, TF_CONCAT, WRONG,
                                       write_hand_in)
from tests.hand_in_damage import DAMAGES, add_own_cell, zip_of_zips

TRAINED = {"test_trained_accuracy", "test_trained_mean_iou", "test_trained_gallery"}
WRONG_QUESTIONS = {"test_scheduler", "test_compute_iou", "test_choose_on_validation"}
# The autograded questions each hand-in loses; it keeps all the others. "all" is every one.
LOST = {
    "solution": set(),
    "blank": "all",
    "no_helpers": "all",  # graded with no helpers at all, never with the instructor's
    # load_data and create_generator wrong, and no artifacts/: the trained-model questions fail
    # (they would too with weights, as notebook 5 then reports numbers of min-max images).
    "wrong_data_no_weights": {"test_load_data_values", "test_create_generator_sync", *TRAINED},
    "wrong": WRONG_QUESTIONS,
    # The handed-in weights do not fit a U-Net without skip connections.
    "wrong_u_net": {"test_u_net_layers", *TRAINED},
    # scheduler raises: that question alone, for fit is graded on the grader's own schedule; the
    # evaluation cell sleeps past the cell timeout, ignoring the interrupt, so notebook 5's kernel is
    # stopped there (the rest of it fails); compute_IoU kills its question's process, and so the
    # experiment's, which scores with it.
    "crash_and_hang": {"test_scheduler", "test_compute_iou", "test_choose_on_validation", *TRAINED},
    # Within the rules of the questions, though not the reference: nothing lost.
    "right_answers": set(),
    # The honest twin of the attacks that forge evidence: wrong answers and untrained weights.
    "wrong_untrained": WRONG_QUESTIONS | {"test_trained_accuracy", "test_trained_mean_iou"},
    # The solution, packed as an attacker would (see write_hostile): its answers are all there.
    "hostile": set(),
}
# Attacks, each on top of an honest twin whose score it must not beat: (twin, how to mount it).
ATTACKS = {
    "forge_verdicts": "wrong",
    "forge_evidence": "wrong_untrained",
    "escape": "wrong",  # and it exhausts the kernel's limits
    "stand_ins": "blank",
    "harvest": "blank",
    "constant_u_net": "blank",
    "memory_attack": "solution",  # a flood of output and a compressed bomb, aimed at the grader's memory
}
# Damaged hand-ins: the solution, damaged in each notebook; they lose only the answers really gone.
DAMAGED = {
    "damaged": ["nbformat_4_4", "browser_rename", "deleted_test", "duplicated_answer", "reordered"],
    "combined": ["markdown_as_code", "stripped_metadata", "editor_copy_and_case", "empty_notebook"],
}
LOST.update({"damaged": set(), "combined": {"test_compile", "test_fit"}})
# A line written straight to the kernel's stderr, as TensorFlow's C++ start-up lines are (which ones
# TensorFlow writes depends on the CPU, so the class writes its own).
KERNEL_LINE = "kernel-stderr: a start-up line of a C++ library"
NOT_IN_ROSTER = "solution"  # handed in as a zip holding a zip of the folder
# Hand-ins that are refused at collect, each with the start of the reason students.csv gives.
REFUSED = {"broken": "not graded: collect: not a readable zip archive",
           "bomb": "not graded: collect: 01_data.ipynb would expand",
           "zero": "not graded: collect: a symbolic link, not a hand-in"}
# Links and special files put into hand-ins, left out at collect: (hand-in, path in it).
LINKS = {("combined", "shadow"), ("combined", "helpers/kit"), ("combined", "dangling"), ("combined", "zero"),
         ("combined", "pipe"), ("hostile", "helpers/shadow.py"), ("hostile", "gradebook.db")}


def write_class(hand_ins, course, weights, other_weights, untrained_weights, port, beacon_port):
    """Write every hand-in of the class under ``hand_ins``, and the roster beside it; return the roster."""
    source, release = course / "source" / "lung_segmentation", course / "release" / "lung_segmentation"
    shutil.copytree(release, hand_ins / "blank")
    changes = {
        "solution": [], "no_helpers": ["helpers"], "wrong": WRONG,
        "wrong_data_no_weights": [("data.py", "load_data", MIN_MAX), "artifacts",
                                  ("augmentation.py", "create_generator", MASKS_WITH_ANOTHER_SEED)],
        "wrong_u_net": [("model.py", "call", NO_SKIP_CONNECTIONS)],
        "crash_and_hang": [("training.py", "scheduler", "return 1 / 0"),
                           ("05_evaluation.ipynb", "evaluate_test", HANG_IGNORING_THE_INTERRUPT),
                           ("metrics.py", "compute_IoU", "import os\nos._exit(1)")],
    }
    for student, change in changes.items():
        write_hand_in(hand_ins / student, source, weights, change)
    write_hand_in(hand_ins / "right_answers", source, other_weights,
                  [("data.py", "load_data", FLOAT64_IMAGES), ("model.py", "__init__", THREE_BY_THREE_UP_CONVOLUTIONS),
                   ("model.py", "call", TF_CONCAT)])
    write_hand_in(hand_ins / "wrong_untrained", source, untrained_weights, WRONG)
    _write_attacks(hand_ins, course, source, weights, untrained_weights, port)
    _write_damaged(hand_ins, source, weights)
    (hand_ins / "solution").rename(hand_ins / "lung_segmentation")
    zip_of_zips(hand_ins / "lung_segmentation", hand_ins / "solution.zip")
    shutil.rmtree(hand_ins / "lung_segmentation")
    write_hostile(hand_ins, source, weights, beacon_port)
    _write_refused(hand_ins)
    return _write_roster(hand_ins.parent / "roster.csv", graded_students() + [*REFUSED, "absent"])


def write_hostile(hand_ins, source, weights, beacon_port):
    """``hostile.zip``: the solution with script in a written answer and in outputs (calling the test's
    listener on ``beacon_port`` if it runs), an 8 MB output, links as zip entries and Mac debris."""
    folder = hand_ins / "hostile_folder"
    write_hand_in(folder, source, weights, [])
    attacks.rewrite_answers(folder, {"03_unet.ipynb": {"answer_how_unet_works": attacks.xss_answer(beacon_port)}})
    add_own_cell(folder, "03_unet.ipynb", "answer_how_unet_works", attacks.xss_output_code(beacon_port))
    add_own_cell(folder, "02_augmentation.ipynb", "answer_why_augment", attacks.HUGE_OUTPUT)
    with zipfile.ZipFile(hand_ins / "hostile.zip", "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zipped.write(path, f"lung_segmentation/{path.relative_to(folder)}")
        for name, target in (("helpers/shadow.py", "/etc/shadow"), ("gradebook.db", "../../gradebook.db")):
            link = zipfile.ZipInfo(f"lung_segmentation/{name}")
            link.external_attr = (stat.S_IFLNK | 0o777) << 16
            zipped.writestr(link, target)
        zipped.writestr("lung_segmentation/._03_unet.ipynb", b"\x00\x05\x16\x07 AppleDouble")
        zipped.writestr("__MACOSX/lung_segmentation/._helpers", b"\x00\x05\x16\x07")
    shutil.rmtree(folder)


def _write_refused(hand_ins):
    (hand_ins / "broken.zip").write_bytes(b"PK\x03\x04 cut off in the upload")
    with zipfile.ZipFile(hand_ins / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("01_data.ipynb", bytes(8 * 2**20))  # 8 MiB of zeros in 8 KiB
    (hand_ins / "zero.zip").symlink_to("/dev/zero")


def _write_attacks(hand_ins, course, source, weights, untrained_weights, port):
    from grading.course import KIT

    shutil.copytree(hand_ins / "wrong", hand_ins / "forge_verdicts")
    attacks.prepend_to_helpers(hand_ins / "forge_verdicts", attacks.FORGE_VERDICTS)
    attacks.tamper_metadata(hand_ins / "forge_verdicts")
    shutil.copytree(hand_ins / "wrong_untrained", hand_ins / "forge_evidence")
    attacks.prepend_to_helpers(hand_ins / "forge_evidence", attacks.FORGE_EVIDENCE)
    attacks.rewrite_answers(hand_ins / "forge_evidence", attacks.REBOUND_CELLS)
    shutil.copytree(hand_ins / "wrong", hand_ins / "escape")
    escape = attacks.ESCAPE.format(course=str(course), kit=str(KIT), home=str(Path.home()), port=port)
    attacks.prepend_to_helpers(hand_ins / "escape", escape + attacks.EXFILTRATE + attacks.EXHAUST)
    shutil.copytree(hand_ins / "blank", hand_ins / "stand_ins")
    attacks.rewrite_answers(hand_ins / "stand_ins", attacks.STAND_INS)
    shutil.copytree(hand_ins / "blank", hand_ins / "harvest")
    attacks.append_to_helpers(hand_ins / "harvest", attacks.HARVEST)
    shutil.copytree(hand_ins / "blank", hand_ins / "constant_u_net")
    attacks.append_to_helpers(hand_ins / "constant_u_net", attacks.CONSTANT_U_NET)
    shutil.copytree(hand_ins / "solution", hand_ins / "memory_attack")
    attacks.prepend_to_helpers(hand_ins / "memory_attack", attacks.EXPORT_BOMB)
    add_own_cell(hand_ins / "memory_attack", "01_data.ipynb", "data_setup", attacks.FLOOD)


def _write_damaged(hand_ins, source, weights):
    for student, damages in DAMAGED.items():
        write_hand_in(hand_ins / student, source, weights, [])
        if student == "damaged":
            add_own_cell(hand_ins / student, "01_data.ipynb", "data_setup",
                         f"import os; os.write(2, b'{KERNEL_LINE}\\n')")
        if student == "combined":  # links, a FIFO and Mac debris, beside the notebooks
            _add_links(hand_ins / student)
        for damage in damages:
            for function, *arguments in DAMAGES[damage]:
                function(hand_ins / student, *arguments)


def _add_links(hand_in):
    from grading.course import KIT

    (hand_in / "shadow").symlink_to("/etc/shadow")
    (hand_in / "helpers" / "kit").symlink_to(KIT, target_is_directory=True)
    (hand_in / "dangling").symlink_to(hand_in / "nothing")
    (hand_in / "zero").symlink_to("/dev/zero")
    os.mkfifo(hand_in / "pipe")
    (hand_in / "._01_data.ipynb").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    (hand_in / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")


def graded_students():
    """Every hand-in of the class that is graded (the refused ones are not)."""
    return sorted({*LOST, *ATTACKS})


def _write_roster(roster, students):
    """A Canvas gradebook export listing ``students`` (less the one off the roster) and another assignment."""
    from grading.output.rosters import CANVAS_STUDENT

    with roster.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([*CANVAS_STUDENT, "Quiz 1 (123)"])
        writer.writerow(["    Points Possible", "", "", "", "", "10"])
        for number, student in enumerate(sorted(set(students) - {NOT_IN_ROSTER})):
            writer.writerow([f"Student {student}", 1000 + number, f"S{number}", student, "A", "7"])
    return roster
