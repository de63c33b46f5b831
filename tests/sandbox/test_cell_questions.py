"""1b.7 (compile) and 1b.9 (fit), judged by what the student's answer cell does to the grader's small
model (grading/judging/cell_questions.py, grading/judging/sandboxed/run_cell.py, grading/judging/replay.py).

The variants run the fixed caller's settings in this process on the kit's own cells, rewritten as a
student might; stand-ins go through the real process (without bubblewrap here; sandboxed in the
graded class of tests/e2e/test_attacks.py)."""
import importlib.util
import re

import nbformat
import numpy as np
import pytest

from grading.judging import cell_questions, questions, replay
from grading.course import KIT
from grading.judging.evidence import cell_effect
from grading.judging.sandbox import SCRIPTS
from grading.autograding.preprocessors import kernel_environment
from grading.judging.verdicts import Failure

SOLUTION_COMPILE = ('model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="binary_crossentropy", '
                    'metrics=["accuracy", keras.metrics.BinaryIoU(target_class_ids=[1], name="iou")])')
SOLUTION_FIT = "    batches,\n    steps_per_epoch=math.ceil(len(train_images) / BATCH_SIZE),\n"
COMPILE_STAND_INS = ("class Adam:\n    learning_rate = 1e-3\n\nclass Compiled:\n    optimizer = Adam()\n"
                     "    loss = 'binary_crossentropy'\n\nmodel = Compiled()")
FIT_STAND_INS = ("history = type('History', (), {'history': {'loss': [0.5] * EPOCHS, 'val_loss': [0.5] * EPOCHS,"
                 " 'accuracy': [0.9] * EPOCHS, 'learning_rate': [scheduler(e) for e in range(EPOCHS)]}})()")


@pytest.fixture(scope="module")
def cells():
    notebook = nbformat.read(KIT / "notebooks" / "04_training.ipynb", as_version=4)
    return {cell.metadata.get("nbgrader", {}).get("grade_id"): cell.source for cell in notebook.cells}


@pytest.fixture(scope="module")
def run_cell():
    spec = importlib.util.spec_from_file_location("run_cell", SCRIPTS / "run_cell.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def verdict(run_cell, test, source, seed=0):
    """None when the cell ``source`` passes ``test`` on the inputs of ``seed``, else the failure's message."""
    question = questions.QUESTIONS[test]
    inputs = question.draw(np.random.default_rng(seed))
    try:
        question.judge(inputs, run_cell.SETTINGS[question.setting](source, inputs))
    except Failure as failure:
        return str(failure)
    return None


def test_the_replay_is_within_a_quarter_of_the_tolerance_of_keras(run_cell, cells):
    """Keras' float32 training and the grader's NumPy replay agree far closer than the verdicts allow."""
    worst_weights = worst_loss = 0.0
    for seed in range(5):
        rng = np.random.default_rng(seed)
        inputs = cell_questions.draw_compile(rng)
        effect = run_cell.compile_setting(cells["compile_model"], inputs)
        start, batch = replay.parameters(inputs["weights"]), (inputs["images"], inputs["masks"])
        wanted = replay.adam(start, [batch] * cell_questions.COMPILE_STEPS, [1e-3] * cell_questions.COMPILE_STEPS)
        worst_weights = max(worst_weights, np.abs(replay.parameters(effect["weights"]) - wanted[-1]).max())
        worst_loss = max(worst_loss, abs(effect["logs"]["loss"] / replay.cross_entropy(start, *batch) - 1))
        inputs = cell_questions.draw_fit(rng)
        effect = run_cell.fit_setting(cells["fit_model"], inputs)
        (images, masks), order, steps = inputs["train"], inputs["order"], effect["iterations"] // cell_questions.EPOCHS
        trail = replay.adam(replay.parameters(inputs["weights"]),
                            [(images[order[k]], masks[order[k]]) for k in range(effect["iterations"])],
                            np.repeat(inputs["rates"], steps))
        worst_weights = max(worst_weights, np.abs(replay.parameters(effect["weights"]) - trail[-1]).max())
    print(f"replay against Keras: weights {worst_weights:.2e} apart at most, loss {worst_loss:.2e} (relative)")
    assert worst_weights < cell_questions.WEIGHT_TOLERANCE / 4
    assert worst_loss < cell_questions.LOSS_TOLERANCE / 4


@pytest.mark.parametrize("change", [
    None,
    ('model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(), metrics=["accuracy"])'),
    ('model.compile(optimizer=keras.optimizers.Adam(0.001), loss=keras.losses.binary_crossentropy, '
     'metrics=[keras.metrics.BinaryAccuracy(name="accuracy")])'),
    "%time " + SOLUTION_COMPILE,
], ids=["solution", "names and classes", "function and metric object", "line magic"])
def test_a_right_compile_passes_however_it_is_written(run_cell, cells, change):
    source = cells["compile_model"] if change is None else cells["compile_model"].replace(SOLUTION_COMPILE, change)
    assert verdict(run_cell, "test_compile", source) is None


@pytest.mark.parametrize("old, new, message", [
    ("keras.optimizers.Adam(learning_rate=1e-3)", "keras.optimizers.SGD(1e-3)", "Adam at a learning rate of 1e-3"),
    ("1e-3", "1e-2", "Adam at a learning rate of 1e-3"),
    ("keras.optimizers.Adam(", "keras.optimizers.AdamW(", "Adam at a learning rate of 1e-3"),
    ('"binary_crossentropy"', '"mse"', "loss='binary_crossentropy'"),
    ('"accuracy", ', "", "metrics=['accuracy', ...]"),
])
def test_a_wrong_compile_fails_naming_what_is_wrong(run_cell, cells, old, new, message):
    assert message in verdict(run_cell, "test_compile", cells["compile_model"].replace(old, new))


@pytest.mark.parametrize("change", [
    None, "%%time\n", ("math.ceil(len(train_images) / BATCH_SIZE)", "len(train_images) // BATCH_SIZE"),
], ids=["solution", "cell magic", "steps rounded down"])
def test_a_right_fit_passes_however_it_is_written(run_cell, cells, change):
    source = cells["fit_model"]
    if isinstance(change, str):
        source = change + source
    elif change:
        source = source.replace(*change)
    assert verdict(run_cell, "test_fit", source) is None


@pytest.mark.parametrize("old, new, message", [
    ("callbacks=[keras.callbacks.LearningRateScheduler(scheduler)],", "", "LearningRateScheduler(scheduler)"),
    ("validation_data=(val_images, val_masks),", "", "validation_data=(val_images, val_masks)"),
    ("validation_data=(val_images, val_masks),", "validation_data=(train_images[:6], train_masks[:6]),",
     "validation_data=(val_images, val_masks)"),
    ("epochs=EPOCHS,", "epochs=EPOCHS + 1,", "4 epochs trained, expected EPOCHS = 3"),
    (SOLUTION_FIT, "    train_images, train_masks, batch_size=BATCH_SIZE,\n",
     "on the batches of create_generator(train_images, train_masks)"),
])
def test_a_wrong_fit_fails_naming_what_is_wrong(run_cell, cells, old, new, message):
    assert message in verdict(run_cell, "test_fit", cells["fit_model"].replace(old, new))


@pytest.mark.parametrize("test, stand_ins, message", [
    ("test_compile", COMPILE_STAND_INS, "You must call `compile()` before using the model"),
    ("test_fit", FIT_STAND_INS, "the grader's model was not trained"),
])
def test_stand_ins_leave_the_graders_model_untouched_and_earn_nothing(tmp_path, test, stand_ins, message):
    """The blank release's cell with stand-ins instead of Keras' objects, run by the real process."""
    hand_in = tmp_path / "lung_segmentation"
    hand_in.mkdir()
    (hand_in / "helpers").mkdir()
    (hand_in / "helpers" / "__init__.py").write_text("")
    question = questions.QUESTIONS[test]
    inputs = cell_questions.drawn_inputs(question)
    with pytest.raises(Failure, match=re.escape(message)):
        question.judge(inputs, cell_effect(question, stand_ins, inputs, hand_in, kernel_environment(), 120,
                                           sandbox=False))
