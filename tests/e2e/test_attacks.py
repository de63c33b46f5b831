"""Students who try to forge their grades or get out of the grading sandbox (tests/attacks.py),
handed in with the class of tests/graded_class.py and graded by the instructor's command.

Every attack is mounted on an honest twin (the same hand-in without the attack) and must score no
question higher than its twin; an attack that only works on the grader scores exactly what its twin
scores. None may change the course, reach a listener, show a hidden test in the feedback (plainly
or encoded), or run anything of the hand-in before the kernel's own start-up.
"""
import json
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from grading.course import KIT, course_api, step_dir
from grading.course_folder import ASSIGNMENT
from grading.output.leaks import HIDDEN_TESTS, decoded, find_leaks, secret_lines
from grading.judging.sandbox import python_roots
from tests.graded_class import ATTACKS, LOST

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
# Attacks that change no answer, only the grader's machinery: they must score exactly their twin.
MACHINERY_ONLY = {"forge_verdicts", "escape", "stand_ins", "harvest"}


def question_scores(course, student):
    """``{grade_id: score}`` of the autograder tests of ``student``, from nbgrader's gradebook."""
    coursedir = course_api(course).coursedir
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        submission = gradebook.find_submission(ASSIGNMENT, student)
        return {grade.name: grade.score for notebook in submission.notebooks for grade in notebook.grades
                if grade.auto_score is not None and not grade.needs_manual_grade}


def outputs(course, student):
    """Every output text of the student's autograded notebooks, one string."""
    found = []
    for path in sorted(step_dir(course, "autograded", student).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                found.append(output.get("text", "") + json.dumps(output.get("data", {})) + str(output.get("evalue", "")))
    return "\n".join(found)


def attack_report(course, student, kind):
    """What the attack ``kind`` printed as ATTACK-REPORT in the first notebook, decoded."""
    reports = [json.loads(line.removeprefix("ATTACK-REPORT")) for line in outputs(course, student).splitlines()
               if line.startswith("ATTACK-REPORT")]
    report = next(report for report in reports if report["kind"] == kind)
    del report["kind"]
    return report


def test_the_twins_lose_exactly_their_wrong_answers(graded_class):
    for twin in set(ATTACKS.values()):
        scores = question_scores(graded_class.course, twin)
        lost = {question for question, score in scores.items() if score == 0}
        assert lost == (set(scores) if LOST[twin] == "all" else LOST[twin]), (twin, scores)


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_an_attack_gains_no_point_over_its_honest_twin(attack, graded_class):
    attacked, honest = (question_scores(graded_class.course, student) for student in (attack, ATTACKS[attack]))
    print(f"{attack}: {sum(attacked.values())} points; its honest twin {ATTACKS[attack]}: {sum(honest.values())}")
    assert set(attacked) == set(honest), "the release's questions, no more and no fewer"
    assert all(attacked[question] <= honest[question] for question in honest), (attacked, honest)
    if attack in MACHINERY_ONLY:
        assert attacked == honest


def test_forged_evidence_is_caught_by_the_graders_own_measurements(graded_class):
    """Keras' predict and evaluate patched, the report channel forged, the checked names rebound."""
    text = outputs(graded_class.course, "forge_evidence")
    assert "your handed-in model's validation accuracy is" in text, "the accuracy, measured by the grader"
    assert "your IoU is 0.9900, the grader measures" in text, "the forged IoUs, against the real ones"


def test_tampered_metadata_is_repaired_and_graded(graded_class):
    entries = json.loads((graded_class.course / "hand_ins.json").read_text())
    repairs = " | ".join(entries["forge_verdicts"]["repairs"])
    assert "test_scheduler" in repairs and "bonus" in repairs, repairs
    page = (step_dir(graded_class.course, "feedback", "forge_verdicts") / "04_training.html").read_text()
    assert "test_scheduler" in page and "repaired before grading" in page


def test_the_course_folder_is_unchanged_and_no_connection_got_out(graded_class, listener):
    course = graded_class.course
    assert graded_class.after == graded_class.before
    assert b"PWNED" not in (course / "gradebook.db").read_bytes()
    assert not (course / "pwned.txt").exists() and not (KIT / "pwned.txt").exists()
    assert listener[1]["connections"] == 0


def test_the_sandbox_hides_the_course_the_kit_and_the_network(graded_class):
    found = attack_report(graded_class.course, "escape", "escape")
    home = Path.home()
    # Of the grader's home, only the way to the Python environment, if it lies there.
    assert set(found.pop("home")) <= {root.relative_to(home).parts[0] for root in python_roots() if home in root.parents}
    assert found == {"read": [], "wrote": [], "connected": False, "hidden_tests_seen": []}


def test_the_sandbox_limits_processes_memory_and_disk(graded_class):
    used = attack_report(graded_class.course, "escape", "exhaust")
    print("what the exhaustion attack got:", used)
    processes, error = used["processes"]
    assert processes < 512 and error == "BlockingIOError"
    assert used["memory_gib"] <= 12
    for folder, size in (("/tmp", 512 * 2**20), ("/home/student", 2**30)):
        written, errors = used[folder]
        assert written <= size and errors == [27, 28], used  # EFBIG past 256 MiB a file, ENOSPC when full


@pytest.mark.parametrize("student", ["forge_verdicts", "escape", "harvest"])
def test_no_hidden_test_reaches_the_kernel_or_the_feedback(student, graded_class):
    """Neither the kernel nor the process that calls the student's functions is sent a hidden test:
    what they print or raise, even encoded (base64, hex, reversed, compressed), quotes none."""
    course = graded_class.course
    hidden = secret_lines(step_dir(course, "source"), kinds=("hidden tests",))
    assert not find_leaks(step_dir(course, "feedback", student), hidden, HIDDEN_TESTS)
    printed = outputs(course, student)
    assert "EXFIL" in printed or student != "escape", "the exfiltration hook ran and printed what it saw"
    for text in (printed, *decoded(printed)):
        assert not [line for line in hidden if line in text], student


def test_the_harvest_found_the_grader_s_calls_and_nothing_hidden(graded_class):
    """The harvest ran where the student's functions are called for the grader, and its errors reached
    the outputs: decoded, they hold the grader's request as that process got it (a function's name and
    its arguments), so the harvest works and finds nothing else (the test above)."""
    printed = outputs(graded_class.course, "harvest")
    assert '"call": "compute_IoU"' not in printed, "encoded, not in plain text"
    assert any('"call": "compute_IoU"' in text for text in decoded(printed)), "the harvest decodes"
