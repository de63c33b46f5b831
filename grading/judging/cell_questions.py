"""1b.7 (compile) and 1b.9 (fit): the student's answer cell run again on the grader's small model.

An answer cell is not a function the grader can call, so ``sandboxed/run_cell.py`` runs the cell's
code, in a sandboxed process of its own, on a model, data and schedule drawn here at grading time
(``draw``), and reports what the cell did to that model: its training logs and weights, as plain
data. The verdict (``judge``) compares that with ``replay``, the same training done here in
NumPy: Adam at 1e-3 on binary cross-entropy for compile; the grader's batches, schedule and
validation data for fit. The model is the grader's: a stand-in the cell defines (a class named
Adam, a dict for a history) leaves it untouched, and earns nothing. The process gets inputs only,
never an expected value.
"""
import secrets
from dataclasses import dataclass
from typing import Callable, ClassVar

import numpy as np

from . import replay
from .verdicts import Failure

IMAGE_SIZE, TRAIN_COUNT, VAL_COUNT = 16, 10, 6
BATCH_SIZE, EPOCHS = 4, 3
COMPILE_STEPS = 3  # training steps on one batch after the student's compile
LEARNING_RATE = 1e-3  # 1b.7's
# How far Keras' float32 training may land from the NumPy replay: at most 1e-6 in the weights and 1e-6
# of the loss over 20 draws (tests/sandbox/test_cell_questions.py keeps it so). AdamW for Adam lands 1.1e-5 off.
WEIGHT_TOLERANCE = 4e-6
LOSS_TOLERANCE = 1e-4  # relative


@dataclass(frozen=True)
class CellQuestion:
    """A test judged by running the answer ``cell`` again in the ``setting`` of ``run_cell.py``."""

    cell: str  # grade_id of the answer cell
    setting: str  # "compile" or "fit"
    draw: Callable  # (rng) -> the inputs: plain data
    judge: Callable  # (inputs, effect) -> None; Failure when the effect is not the replay's
    kind: ClassVar[str] = "cell"
    needs_model: ClassVar[bool] = False


def _wrong(message):
    return Failure(message, "AssertionError")


def _split(rng, count):
    """``count`` random one-channel images and masks that follow them (about half the pixels set)."""
    images = rng.normal(size=(count, IMAGE_SIZE, IMAGE_SIZE, 1)).astype(np.float32)
    masks = (images + 0.7 * rng.normal(size=images.shape) > 0).astype(np.float32)
    return images, masks


def _start(rng, inputs):
    """The notebook's set-up names and the model's first weights: far enough from the masks that
    every gradient is large (an Adam step divides by the gradient's size)."""
    weights = [rng.uniform(-1.0, -0.5, (1, 1, 1, 1)).astype(np.float32), rng.uniform(-1.5, -1.0, (1,)).astype(np.float32)]
    return {"seed": int(rng.integers(2**31)), "batch_size": BATCH_SIZE, "epochs": EPOCHS, "weights": weights, **inputs}


def draw_compile(rng):
    images, masks = _split(rng, BATCH_SIZE)
    return _start(rng, {"images": images, "masks": masks, "steps": COMPILE_STEPS})


def draw_fit(rng):
    order = np.array([rng.permutation(TRAIN_COUNT)[:BATCH_SIZE] for _ in range(64)])
    rates = (rng.uniform(2e-3, 2e-2) * rng.uniform(0.3, 0.7) ** np.arange(EPOCHS)).astype(np.float32)
    return _start(rng, {"train": _split(rng, TRAIN_COUNT), "val": _split(rng, VAL_COUNT), "order": order, "rates": rates})


def _parameters(effect):
    """``(w, b)`` of the grader's model as the cell left it; Failure when the effect has no such weights."""
    weights = effect.get("weights") if isinstance(effect, dict) else None
    shapes = [np.shape(weight) for weight in weights] if isinstance(weights, list) else None
    if shapes != [(1, 1, 1, 1), (1,)]:
        raise _wrong("your cell did not leave the grader's model in place: work on the model the cell is given")
    return replay.parameters(weights)


def _number(logs, name):
    value = logs.get(name) if isinstance(logs, dict) else None
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _moves(before, after):
    return f"(w {after[0] - before[0]:+.3e}, b {after[1] - before[1]:+.3e})"


def judge_compile(inputs, effect):
    """The grader's model, compiled by the cell, trained COMPILE_STEPS steps on one batch: its loss,
    weights and accuracy must be those of Adam at 1e-3 on binary cross-entropy."""
    start, batch = replay.parameters(inputs["weights"]), (inputs["images"], inputs["masks"])
    logs = effect.get("logs") if isinstance(effect, dict) else None
    loss, expected = _number(logs, "loss"), replay.cross_entropy(start, *batch)
    if loss is None or not np.isclose(loss, expected, rtol=LOSS_TOLERANCE):
        raise _wrong(f"on the grader's batch your compiled loss is {loss}, binary cross-entropy is {expected:.5f}: "
                     "compile with loss='binary_crossentropy'")
    after, wanted = _parameters(effect), replay.adam(start, [batch] * COMPILE_STEPS, [LEARNING_RATE] * COMPILE_STEPS)[-1]
    if not np.allclose(after, wanted, rtol=0, atol=WEIGHT_TOLERANCE):
        raise _wrong(f"{COMPILE_STEPS} training steps moved the grader's model by {_moves(start, after)}; Adam at a "
                     f"learning rate of 1e-3 moves it by {_moves(start, wanted)}: compile with "
                     "keras.optimizers.Adam(learning_rate=1e-3)")
    accuracy = _number(logs, "accuracy")
    if accuracy is None or not np.isclose(accuracy, replay.accuracy(start, *batch), atol=1e-6):
        raise _wrong("no pixel accuracy among the training logs: compile with metrics=['accuracy', ...]")


def judge_fit(inputs, effect):
    """The grader's compiled model after the cell's fit: EPOCHS epochs of the grader's batches at the
    grader's schedule, validated on the grader's validation data, as the replay trains it."""
    history = effect.get("history") if isinstance(effect, dict) else None
    if not isinstance(history, dict) or not isinstance(history.get("loss"), list):
        raise _wrong("the grader's model was not trained: call model.fit on the model the cell is given")
    epochs, rates = inputs["epochs"], inputs["rates"]
    if len(history["loss"]) != epochs:
        raise _wrong(f"{len(history['loss'])} epochs trained, expected EPOCHS = {epochs}")
    logged = history.get("learning_rate")
    if not isinstance(logged, list) or len(logged) != epochs or not np.allclose(logged, rates, rtol=1e-6):
        raise _wrong(f"the learning rates of the run were {logged}, the grader's scheduler gives "
                     f"{[float(rate) for rate in rates]}: use the LearningRateScheduler(scheduler) callback")
    iterations = effect.get("iterations")
    if type(iterations) is not int or iterations < epochs or iterations % epochs:
        raise _wrong(f"{iterations} training steps in {epochs} epochs: give fit steps_per_epoch")
    steps = iterations // epochs
    (images, masks), order = inputs["train"], inputs["order"]
    batches = [(images[order[k % len(order)]], masks[order[k % len(order)]]) for k in range(iterations)]
    start = replay.parameters(inputs["weights"])
    trail = replay.adam(start, batches, np.repeat(rates, steps))
    after = _parameters(effect)
    if not np.allclose(after, trail[-1], rtol=0, atol=WEIGHT_TOLERANCE):
        raise _wrong(f"your fit moved the grader's model by {_moves(start, after)}; {steps} steps per epoch on the "
                     f"batches of create_generator(train_images, train_masks) move it by {_moves(start, trail[-1])}")
    validated = [replay.cross_entropy(trail[(epoch + 1) * steps - 1], *inputs["val"]) for epoch in range(epochs)]
    if not isinstance(history.get("val_loss"), list) or not np.allclose(history["val_loss"], validated,
                                                                          rtol=LOSS_TOLERANCE):
        raise _wrong("val_loss is not the loss on the validation data: pass validation_data=(val_images, val_masks)")


COMPILE = CellQuestion("compile_model", "compile", draw_compile, judge_compile)  # test_compile's
FIT = CellQuestion("fit_model", "fit", draw_fit, judge_fit)  # test_fit's


def drawn_inputs(question):
    """The inputs of ``question``, drawn now from a seed nobody knows in advance."""
    return question.draw(np.random.default_rng(secrets.randbits(64)))
