"""The one class of hand-ins that the grading tests share, graded once per test session by the
instructor's command (``python -m grading grade HAND_INS --roster ROSTER --jobs 2``).

It holds the solution, the blank release, one hand-in per kind of wrong answer, answers that are
right though not the reference, the attacks of ``tests/attacks.py`` with their honest twins, and
hand-ins damaged by editors and browsers, plus a broken zip and a roster student with no hand-in.
``LOST`` says which autograded questions each hand-in loses (tests/test_grading.py checks it).
"""
import csv
import shutil
from pathlib import Path

from tests import attacks
from tests.grading_submissions import (FLOAT64_IMAGES, MASKS_WITH_ANOTHER_SEED, MIN_MAX, NO_SKIP_CONNECTIONS,
                                       THREE_BY_THREE_UP_CONVOLUTIONS, TF_CONCAT, WRONG, write_hand_in)
from tests.hand_in_damage import DAMAGES, add_own_cell, zip_of_zips

TRAINED = {"test_trained_accuracy", "test_trained_mean_iou", "test_trained_gallery"}
WRONG_QUESTIONS = {"test_scheduler", "test_compute_iou"}
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
    # scheduler raises (so fit fails too); the evaluation cell sleeps until the cell timeout, then
    # compute_IoU kills notebook 5's kernel.
    "crash_and_hang": {"test_scheduler", "test_fit", "test_compute_iou", *TRAINED},
    # Within the rules of the questions, though not the reference: nothing lost.
    "right_answers": set(),
    # The honest twin of the attacks that forge evidence: wrong answers and untrained weights.
    "wrong_untrained": WRONG_QUESTIONS | {"test_trained_accuracy", "test_trained_mean_iou"},
}
# Attacks, each on top of an honest twin whose score it must not beat: (twin, how to mount it).
ATTACKS = {
    "forge_verdicts": "wrong",
    "forge_evidence": "wrong_untrained",
    "escape": "wrong",  # and it exhausts the kernel's limits
    "stand_ins": "blank",
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


def write_class(hand_ins, course, weights, other_weights, untrained_weights, port):
    """Write every hand-in of the class under ``hand_ins``, and the roster beside it; return the roster."""
    source, release = course / "source" / "lung_segmentation", course / "release" / "lung_segmentation"
    shutil.copytree(release, hand_ins / "blank")
    changes = {
        "solution": [], "no_helpers": ["helpers"], "wrong": WRONG,
        "wrong_data_no_weights": [("data.py", "load_data", MIN_MAX), "artifacts",
                                  ("augmentation.py", "create_generator", MASKS_WITH_ANOTHER_SEED)],
        "wrong_u_net": [("model.py", "call", NO_SKIP_CONNECTIONS)],
        "crash_and_hang": [("training.py", "scheduler", "return 1 / 0"),
                           ("05_evaluation.ipynb", "evaluate_test", "import time\ntime.sleep(3600)"),
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
    (hand_ins / "broken.zip").write_bytes(b"PK\x03\x04 cut off in the upload")
    return _write_roster(hand_ins.parent / "roster.csv", graded_students() + ["broken", "absent"])


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
    attacks.add_files(hand_ins / "escape", attacks.SHADOW_FILES)
    shutil.copytree(hand_ins / "blank", hand_ins / "stand_ins")
    attacks.rewrite_answers(hand_ins / "stand_ins", attacks.STAND_INS)


def _write_damaged(hand_ins, source, weights):
    for student, damages in DAMAGED.items():
        write_hand_in(hand_ins / student, source, weights, [])
        if student == "damaged":
            add_own_cell(hand_ins / student, "01_data.ipynb", "data_setup",
                         f"import os; os.write(2, b'{KERNEL_LINE}\\n')")
        for damage in damages:
            for function, *arguments in DAMAGES[damage]:
                function(hand_ins / student, *arguments)


def graded_students():
    """Every hand-in of the class that is graded (the broken zip is not)."""
    return sorted({*LOST, *ATTACKS})


def _write_roster(roster, students):
    """A Canvas gradebook export listing ``students`` (less the one off the roster) and another assignment."""
    from grading.grades import CANVAS_STUDENT

    with roster.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([*CANVAS_STUDENT, "Quiz 1 (123)"])
        writer.writerow(["    Points Possible", "", "", "", "", "10"])
        for number, student in enumerate(sorted(set(students) - {NOT_IN_ROSTER})):
            writer.writerow([f"Student {student}", 1000 + number, f"S{number}", student, "A", "7"])
    return roster
