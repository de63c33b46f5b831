"""Verdicts outside the kernel: splitting test cells, what crosses the boundary, running checks."""
import json

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_output

from grading.autograding.autograde import check_test_cells
from grading.course import KIT, step_dir
from grading.errors import GradingError
from grading.judging.questions import is_autograder_test
from grading.judging import questions
from grading.judging.verdicts import (
    REPORT_MIME, Failure, decode, decode_report, report_code, requested_names, run_checks, split_test, visible,
)

CELL = '''# Test: IoU
iou = compute_IoU(a, b)
### BEGIN HIDDEN TESTS
hidden = compute_IoU(empty, empty)
### END HIDDEN TESTS
# Checks: graded outside your kernel
assert np.isclose(iou, 1 / 3), f"IoU(a, b) = {iou}"
### BEGIN HIDDEN TESTS
expected = [1.0 for _ in range(1)]
assert hidden == expected[0], f"two empty masks must give 1.0, got {hidden}"
### END HIDDEN TESTS
'''


def report(values, nonce="n"):
    """What the kernel's display of ``values`` (already encoded) looks like to the grader."""
    return [new_output("display_data", data={REPORT_MIME: {"nonce": nonce, "values": values}})]


def kernel_encoding(**values):
    """Run the kernel-side encoder of ``REPORT`` here, as the kernel would, and return what it displays."""
    shown = []
    namespace = {**values, "display": lambda data, raw: shown.append(data)}
    code = report_code(sorted(values), "n").replace("from IPython.display import display\n", "")
    exec(compile(code.replace("globals()", "_values"), "<report>", "exec"), {**namespace, "_values": values})
    return json.loads(json.dumps(shown[0][REPORT_MIME]["values"]))


def test_split_keeps_probe_and_checks_apart():
    probe, checks = split_test(CELL)
    assert "compute_IoU(empty, empty)" in probe and "assert" not in probe
    assert checks.startswith("# Checks") and "compute_IoU" not in checks
    assert requested_names(checks) == ["hidden", "iou"]  # np is the grader's, expected is bound in the checks
    with pytest.raises(ValueError, match="no '# Checks' line"):
        split_test("assert True\n")


def test_the_visible_test_is_the_cell_without_its_hidden_tests():
    shown = visible(CELL)
    assert "iou = compute_IoU(a, b)" in shown and "assert np.isclose" in shown
    assert "HIDDEN" not in shown and "empty" not in shown and "expected" not in shown


def test_the_registry_holds_each_test_cell_of_the_kit_in_notebook_order():
    """QUESTIONS has each graded test cell's question, in the notebooks' order, and nothing else; a cell
    question's answer cell is in the same notebook."""
    notebooks = {path.name: nbformat.read(path, as_version=4) for path in sorted((KIT / "notebooks").glob("*.ipynb"))}
    cells = {c.metadata.nbgrader.grade_id: name for name, nb in notebooks.items() for c in nb.cells if is_autograder_test(c)}
    assert list(questions.QUESTIONS) == list(cells)
    kinds = {grade_id: question.kind for grade_id, question in questions.QUESTIONS.items()}
    assert {grade_id for grade_id, kind in kinds.items() if kind == "cell"} == {"test_compile", "test_fit"}
    for grade_id, question in questions.QUESTIONS.items():
        if question.kind != "cell":
            continue
        answers = {c.metadata.get("nbgrader", {}).get("grade_id") for c in notebooks[cells[grade_id]].cells}
        assert question.cell in answers, grade_id


def test_autograde_refuses_a_course_with_a_test_cell_it_cannot_judge(tmp_path):
    """An instructor's new test cell without its question in QUESTIONS, and a function question without its # Checks line."""
    notebook = nbformat.read(KIT / "notebooks" / "04_training.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_fit":
            cell.metadata.nbgrader.grade_id = "test_new_question"
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_scheduler":
            cell.source = cell.source.replace("# Checks", "# checked")
    source = step_dir(tmp_path, "source")
    source.mkdir(parents=True)
    nbformat.write(notebook, source / "04_training.ipynb")
    with pytest.raises(GradingError) as refused:
        check_test_cells(tmp_path)
    assert "04_training.ipynb, test_new_question: the test cell test_new_question has no question in QUESTIONS" in str(refused.value)
    assert "04_training.ipynb, test_scheduler: no '# Checks' line" in str(refused.value)


def test_every_function_question_of_the_kit_has_a_probe_and_checks():
    cells = [c for path in sorted((KIT / "notebooks").glob("*.ipynb"))
             for c in nbformat.read(path, as_version=4).cells if is_autograder_test(c)]
    for cell in [c for c in cells if questions.question(c.metadata.nbgrader.grade_id).kind == "function"]:
        probe, checks = split_test(cell.source)
        assert "assert" not in probe, cell.metadata.nbgrader.grade_id


def test_plain_data_round_trips_from_the_kernel_encoder():
    values = {"number": 3, "rate": np.float32(0.5), "nan": float("nan"), "text": "x", "nothing": None,
              "shape": (1, 128, 128, 1), "masks": np.array([[0, 1], [1, 0]], np.int16), "ranges": {(0.1, 0.2): 7},
              "values": {0.0, 1.0}, "flags": [True, False]}
    decoded = {name: decode(value, name) for name, value in kernel_encoding(**values).items()}
    assert decoded["shape"] == (1, 128, 128, 1) and decoded["ranges"] == {(0.1, 0.2): 7}
    assert decoded["masks"].dtype == np.int16 and np.array_equal(decoded["masks"], values["masks"])
    assert decoded["rate"] == 0.5 and isinstance(decoded["rate"], np.float32) and np.isnan(decoded["nan"])
    assert decoded["values"] == {0.0, 1.0} and decoded["flags"] == [True, False] and decoded["nothing"] is None


def test_objects_that_always_agree_never_reach_the_checks():
    class Yes(float):
        def __eq__(self, other):
            return True

    class Anything:
        def __eq__(self, other):
            return True

    encoded = kernel_encoding(yes=Yes(float("nan")), anything=Anything())
    assert np.isnan(decode(encoded["yes"], "yes"))  # a float subclass crosses as its value only
    with pytest.raises(Failure, match="anything holds a Anything, which is not plain data"):
        decode(encoded["anything"], "anything")


@pytest.mark.parametrize("forged", [
    {"__array__": "|O8", "shape": [1], "data": "AAAAAAAAAAA="},  # object arrays would unpickle
    {"__array__": "<f4", "shape": [4], "data": "AAAAAA=="},  # data shorter than its shape
    {"__array__": "<f4", "shape": [-1], "data": ""},
    {"__pickle__": "gASVAAAAAAAAAACMCGJ1aWx0aW5zlIwEZXZhbJSTlC4="},
    {"__set__": [[1, 2]]},  # unhashable members
    {"__tuple__": "not a list"},
])
def test_forged_reports_fail_the_test_with_a_message(forged):
    with pytest.raises(Failure):
        decode(forged, "value")


def test_a_report_must_be_one_and_carry_the_nonce():
    assert decode_report(report({"x": 1}), "n") == {"x": 1}
    with pytest.raises(Failure, match="2 reports instead of one"):
        decode_report(report({"x": 1}) + report({"x": 2}), "n")
    with pytest.raises(Failure, match="0 reports"):
        decode_report(report({"x": 1}, nonce="guessed"), "n")
    error = new_output("error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])
    with pytest.raises(Failure, match="ZeroDivisionError: division by zero"):
        decode_report([error], "n")


def test_checks_run_here_on_the_reported_values():
    _, checks = split_test(CELL)
    run_checks(checks, {"iou": 1 / 3, "hidden": 1.0})
    with pytest.raises(Failure, match="two empty masks must give 1.0, got nan") as failure:
        run_checks(checks, {"iou": 1 / 3, "hidden": float("nan")})
    assert failure.value.ename == "AssertionError"
    with pytest.raises(Failure, match="name 'hidden' is not defined") as failure:
        run_checks(checks, {"iou": 1 / 3})
    assert failure.value.ename == "NameError"


@pytest.fixture
def judge_gallery(monkeypatch):
    """1b.14's judge with the grader's own run of a model replaced by known test IoUs: the lowest at 1,
    the two middle at 4 and 5, the highest at 6 (of 8 images)."""
    ious = np.array([0.62, 0.1, 0.3, 0.4, 0.5, 0.6, 0.99, 0.8])
    monkeypatch.setattr(questions, "_trained", lambda evidence: (None, None))
    monkeypatch.setattr(questions, "_reference_ious", lambda reference, test: ious)
    return lambda gallery: questions.QUESTIONS["test_trained_gallery"].judge({"gallery": gallery}, None, {})


def test_the_gallery_is_the_worst_the_two_middle_and_the_best(judge_gallery):
    assert judge_gallery([1, 5, 4, 6]) is None
    assert judge_gallery([np.int64(1), 4, 5, 6]) is None  # NumPy integers, as argsort gives them


@pytest.mark.parametrize("gallery, complaint", [
    ([6, 5, 4, 1], r"gallery\[0\] = 6: the grader measures IoU 0.9900 .* not the lowest IoU"),
    ([1, 3, 4, 6], r"gallery\[1\] = 3: .* not a middle IoU \(0.5000 to 0.6000\)"),
    ([1, 5, 4, 7], r"gallery\[3\] = 7: .* not the highest IoU"),
    ([1, 5, 5, 6], "four different test images"),
    ([1, 5, 4], "a list of four"),
    ({(0.95, 1.0): 6}, "a list of four"),  # the old ranges' answer
    ([1, 5, 4, 8], "indices into the 8 test images"),
    ([True, 5, 4, 6], "indices into the 8 test images"),
])
def test_a_wrong_gallery_is_named_with_the_graders_measurement(judge_gallery, gallery, complaint):
    with pytest.raises(Failure, match=complaint):
        judge_gallery(gallery)
