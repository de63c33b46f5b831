"""How each autograded question is judged, and on what evidence.

The rule: a verdict compares what the student's code did, with inputs the grader chose, with
reference values the grader computed itself. Nothing a check relies on as reference or as
measurement (data, masks, expected outputs, a model's predictions, accuracy, IoU or its ranking)
comes from a process that runs student code, and such a process gets inputs, never answers. So
each test cell (grade_id) is one of:

- a function question (``FunctionQuestion``): the probe above the cell's ``# Checks`` line runs in
  the grader, its calls of the student's ``helpers`` answered by a fresh sandboxed process of the
  question's own (``evidence.function_values``); the checks run in the grader on what came back;
- a model question (``ModelQuestion``): judged here from the handed-in model as the trusted
  evaluator ran it on the grader's data (``evidence.model_evidence``); only the student's own
  answers (the numbers their notebook printed) are read from the kernel, to be compared;
- a cell question (``cell_questions.CellQuestion``): the student's answer cell runs again in a
  fresh sandboxed process, on the grader's small model and data, and what it did to them is
  compared with the grader's replay (``evidence.cell_effect``).

``QUESTIONS`` is the one registry: each test cell's grade_id and its question. A new question is its
test cell in a notebook and its line there. ``unjudgeable`` names a test cell without its question,
and a question without its test cell: release and ``autograde`` refuse to start then.
"""
from dataclasses import dataclass
from typing import ClassVar
from pathlib import Path
from typing import Callable

import nbformat
import numpy as np
from nbgrader.utils import is_grade, is_solution

from .architecture_rules import architecture_problems
from .cell_questions import COMPILE, FIT
from .kit_helpers import kit_helpers
from .verdicts import Failure, split_test

# How far the student's numbers may lie from the evaluator's: their notebook runs the model on
# their own load_data's images, which may differ in the last bits (float64, another resize order).
ACCURACY_TOLERANCE = 0.005
IOU_TOLERANCE = 0.01
# How far the test mean IoU may fall on the test slices moved within 1b.3's augmentation (perturb.py).
# Over 10 draws each (benchmarks/perturbation_margin.py, perturbation.json): the fast recipe's U-Net
# (IoU 0.934) fell by 0.004 at most, a 10-epoch smoke run's (IoU 0.872) by 0.035 at most, a lookup
# table of the public slices' masks (IoU 1.0) by 0.40 at least.
PERTURBED_MARGIN = 0.1
PASSING_IOU = 0.85  # 1b.13's bar for the test mean IoU


@dataclass(frozen=True)
class FunctionQuestion:
    """A question judged by its test cell's checks, on what the student's functions returned for its probe.
    ``network``: for a question about a network, the model ("untrained") whose graph the evaluator must
    also have accepted (built of the question's layers), for outputs of the right shape alone hold for a
    constant."""

    network: str | None = None
    kind: ClassVar[str] = "function"

    @property
    def needs_model(self):
        return self.network is not None


@dataclass(frozen=True)
class ModelQuestion:
    """A question judged on the evaluator's evidence; ``answers``: the kernel names it compares."""

    answers: tuple
    judge: Callable  # (answers, ModelEvidence, reference) -> a note for the feedback, or None
    kind: ClassVar[str] = "model"
    needs_model: ClassVar[bool] = True


def _wrong(message):
    """A failed check, as the student sees a failed assert."""
    return Failure(message, "AssertionError")


def is_autograder_test(cell):
    """A graded code cell that is not an answer: an nbgrader autograder test."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def autograded_points(notebooks):
    """``{grade_id: points}`` of the autograder test cells of ``notebooks`` (paths), in their order."""
    return {cell.metadata.nbgrader.grade_id: float(cell.metadata.nbgrader.points)
            for path in notebooks for cell in nbformat.read(path, as_version=4).cells if is_autograder_test(cell)}


def question(grade_id):
    """The question of the test cell ``grade_id``; ValueError when ``QUESTIONS`` has none."""
    if grade_id not in QUESTIONS:
        raise ValueError(f"the test cell {grade_id} has no question in QUESTIONS of grading/judging/questions.py, "
                         "so it cannot be judged")
    return QUESTIONS[grade_id]


def unjudgeable(folder):
    """What keeps the test cells of the notebooks in ``folder`` from being judged, one line each: a test
    cell without its question in ``QUESTIONS``, a function question's without its ``# Checks`` line, a
    question that no test cell asks."""
    problems, asked = [], set()
    for path in sorted(Path(folder).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if is_autograder_test(cell):
                grade_id = cell.metadata.nbgrader.grade_id
                asked.add(grade_id)
                try:
                    if question(grade_id).kind == "function":
                        split_test(cell.source)
                except ValueError as error:
                    problems.append(f"{path.name}, {grade_id}: {error}")
    for grade_id in sorted(set(QUESTIONS) - asked):
        problems.append(f"{grade_id}: a question of grading/judging/questions.py, but no test cell of {Path(folder).name} "
                        "asks it (renamed or deleted?)")
    return problems


def require_network(evidence, model):
    """Failure unless the evaluator accepted the graph of ``model`` ("untrained" or "trained")."""
    if model not in evidence.facts:
        why = evidence.problems.get(model, "your U_Net could not be inspected")
        raise Failure(f"outputs of the right shape, but not from a network of 1b.6's layers: {why}",
                      "ArchitectureError")


def _judge_layers(answers, evidence, reference):
    if "untrained" not in evidence.facts:
        raise Failure(evidence.problems.get("untrained", "your U_Net could not be inspected"), "ArchitectureError")
    problems = architecture_problems(evidence.facts["untrained"])
    if problems:
        raise Failure(f"U_Net(base_filters=8), as the grader inspected its graph: {'; '.join(problems)}",
                      "ArchitectureError")


def _trained(evidence):
    """``(val, test)`` probabilities of the handed-in model; Failure when the evaluator has none."""
    if "trained" not in evidence.facts:
        raise Failure(evidence.problems.get("trained", "no trained model to evaluate"), "ModelError")
    problems = architecture_problems(evidence.facts["trained"])
    if problems:
        raise Failure(f"the handed-in trained model breaks 1b.6's rules: {'; '.join(problems)}", "ArchitectureError")
    return evidence.probabilities["val"], evidence.probabilities["test"]


def _accuracy(masks, probabilities):
    return float(np.mean((probabilities > 0.5) == (masks == 1)))


def _judge_accuracy(answers, evidence, reference):
    val, test = _trained(evidence)
    accuracy, val_accuracy = _accuracy(reference["test_masks"], test), _accuracy(reference["val_masks"], val)
    reported = _number(answers, "test_accuracy")
    if val_accuracy < 0.9:
        raise _wrong(f"your handed-in model's validation accuracy is {val_accuracy:.3f}: question 1b.6 asks for 0.9")
    if accuracy <= 0.9:
        raise _wrong(f"your handed-in model's test accuracy is {accuracy:.3f}: train it in notebook 4 (full mode)")
    if abs(reported - accuracy) > ACCURACY_TOLERANCE:
        raise _wrong(f"your notebook reports test_accuracy = {reported:.4f}, but your handed-in model scores "
                      f"{accuracy:.4f} on the test set: compute it with model.evaluate on the test images")
    return f"the grader ran your handed-in model: test accuracy {accuracy:.4f} (your notebook: {reported:.4f})"


def per_image_scores(masks, probabilities):
    """The kit's reference IoU per image at threshold 0.5, never the student's."""
    return kit_helpers("metrics").per_image_scores(masks, probabilities)


def _reference_ious(reference, test):
    return per_image_scores(reference["test_masks"], test)


def _judge_mean_iou(answers, evidence, reference):
    _, test = _trained(evidence)
    truth = _reference_ious(reference, test)
    ious = np.asarray(answers.get("test_ious", []), dtype=float)
    mean = _number(answers, "mean_test_iou")
    if ious.shape != truth.shape:
        raise _wrong(f"test_ious has shape {ious.shape}: one IoU per test image, {truth.shape}")
    if not np.isclose(mean, ious.mean()):
        raise _wrong("mean_test_iou must be the mean of the per-image IoUs")
    worst = int(np.argmax(np.abs(ious - truth)))
    if abs(ious[worst] - truth[worst]) > IOU_TOLERANCE:
        raise _wrong(f"test image {worst}: your IoU is {ious[worst]:.4f}, the grader measures {truth[worst]:.4f} "
                      "for your handed-in model at threshold 0.5")
    if truth.mean() <= PASSING_IOU:
        raise _wrong(f"your handed-in model's test mean IoU is {truth.mean():.3f}: it should exceed {PASSING_IOU}")
    moved = per_image_scores(evidence.masks["moved"], evidence.probabilities["moved"]).mean()
    if truth.mean() - moved > PERTURBED_MARGIN:
        raise _wrong(f"on the test slices moved within 1b.3's augmentation (a draw made at grading time) your "
                     f"handed-in model's mean IoU falls to {moved:.3f} from {truth.mean():.3f}: a network that finds "
                     f"lungs stays within {PERTURBED_MARGIN}; one that stored the public slices' masks does not")
    note = f"test mean IoU {truth.mean():.4f} (your notebook: {mean:.4f}), {moved:.4f} on moved test slices"
    if "private" in evidence.probabilities:
        private = per_image_scores(evidence.masks["private"], evidence.probabilities["private"]).mean()
        if private <= PASSING_IOU:
            raise _wrong(f"on slices your class never saw, your handed-in model's mean IoU is {private:.3f}: it "
                         f"should exceed {PASSING_IOU} there too (its test mean IoU: {truth.mean():.3f})")
        note += f", {private:.4f} on the instructor's own slices"
    return f"the grader ran your handed-in model: {note}"


def _judge_gallery(answers, evidence, reference):
    """1b.14: the test images with the lowest, the two middle and the highest IoU, in that order."""
    _, test = _trained(evidence)
    truth = _reference_ious(reference, test)
    gallery = answers.get("gallery")
    if not isinstance(gallery, (list, tuple)) or len(gallery) != 4:
        raise _wrong(f"gallery = {gallery!r}: a list of four test image indices (worst, two middle, best)")
    indices = [int(index) if isinstance(index, np.integer) else index for index in gallery]
    if not all(isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(truth) for index in indices):
        raise _wrong(f"gallery = {gallery!r}: indices into the {len(truth)} test images")
    if len(set(indices)) != 4:
        raise _wrong(f"gallery = {gallery!r}: four different test images")
    ranked, middle = np.sort(truth), len(truth) // 2
    wanted = [(ranked[0], ranked[0], "the lowest IoU"), (ranked[middle - 1], ranked[middle], "a middle IoU"),
              (ranked[middle - 1], ranked[middle], "a middle IoU"), (ranked[-1], ranked[-1], "the highest IoU")]
    for position, (index, (low, high, what)) in enumerate(zip(indices, wanted)):
        if not low - IOU_TOLERANCE <= truth[index] <= high + IOU_TOLERANCE:
            raise _wrong(f"gallery[{position}] = {index}: the grader measures IoU {truth[index]:.4f} for your "
                          f"handed-in model there, not {what} ({low:.4f} to {high:.4f})")
    return None


def _number(answers, name):
    value = answers.get(name)
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _wrong(f"{name} is not defined as a number in your notebook")
    return float(value)


# Every autograded test cell of the notebooks, by grade_id, in notebook order.
QUESTIONS = {
    "test_load_data_shapes": FunctionQuestion(),
    "test_load_data_values": FunctionQuestion(),
    "test_create_generator_batches": FunctionQuestion(),
    "test_create_generator_sync": FunctionQuestion(),
    "test_u_net_shapes": FunctionQuestion(network="untrained"),
    "test_u_net_layers": ModelQuestion((), _judge_layers),
    "test_compile": COMPILE,
    "test_scheduler": FunctionQuestion(),
    "test_fit": FIT,
    "test_trained_accuracy": ModelQuestion(("test_accuracy",), _judge_accuracy),
    "test_compute_iou": FunctionQuestion(),
    "test_trained_mean_iou": ModelQuestion(("test_ious", "mean_test_iou"), _judge_mean_iou),
    "test_trained_gallery": ModelQuestion(("gallery",), _judge_gallery),
    "test_keep_largest_components": FunctionQuestion(),
    "test_choose_on_validation": FunctionQuestion(),
}
