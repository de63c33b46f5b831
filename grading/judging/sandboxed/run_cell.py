"""Runs inside the sandbox, in the scratch copy of one hand-in: the kit's fixed caller of one of the
student's answer cells (1b.7's compile, 1b.9's fit), run again on the grader's model and data.

    python -I run_cell.py < REQUEST > ANSWER

The request is one JSON line, ``{"setting": "compile" or "fit", "source": the cell, "inputs": ...}``
(``plain_data``), the answer one JSON line, ``{"value": ...}`` or ``{"error": "Name: message"}``.
The grader's model is one 1x1 convolution with a sigmoid (``grading/judging/replay.py``), with the weights
it sends. The cell runs with the names the notebook's set-up gives it, the grader's in place of
the model, the data and the functions it works on:

- compile: ``U_Net(...)`` returns the grader's model; the answer is what training it a few steps
  on the grader's batch, with what the cell compiled it with, logged and left in its weights;
- fit: ``model`` is the grader's, compiled as the notebook compiles it; ``create_generator``
  yields the grader's batches in the grader's order, ``scheduler`` is a schedule the grader drew
  (not 1b.8's answer), and the data are the grader's; the answer is the model's training history,
  its steps and its weights.

Nothing but the request reaches this process: no test code, no expected value. What the cell
prints goes to standard error.
"""
import json
import math
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plain_data import decode, encode  # noqa: E402


def main():
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # the student's prints go to stderr
    sys.path.insert(0, os.getcwd())
    request = json.loads(sys.stdin.readline())
    try:
        setting = SETTINGS[request["setting"]]
        answer = {"value": encode(setting(request["source"], decode(request["inputs"])))}
    except BaseException as error:  # noqa: BLE001: whatever the student's cell raised is its answer
        traceback.print_exc()
        answer = {"error": f"{type(error).__name__}: {error}"[:2000]}
    answers.write(json.dumps(answer) + "\n")
    answers.flush()


def grader_model(inputs):
    import keras

    model = keras.Sequential([keras.Input((None, None, 1)), keras.layers.Conv2D(1, 1, activation="sigmoid")])
    model.set_weights(inputs["weights"])
    return model


def notebook_names(inputs, **grader_names):
    """What the notebook's set-up cells define, with the grader's values; then ``grader_names``."""
    import keras
    import numpy as np

    import helpers

    return {"__name__": "__main__", "get_ipython": Magics, "keras": keras, "np": np, "math": math, "time": time,
            "helpers": helpers, "SEED": inputs["seed"], "BATCH_SIZE": inputs["batch_size"], "EPOCHS": inputs["epochs"],
            "VERBOSE": 0, "FAST_MODE": True, **grader_names}


def run(source, names):
    """Run the cell ``source`` as a notebook would, its ``%`` magics turned into Python by IPython."""
    from IPython.core.inputtransformer2 import TransformerManager

    Magics.names = names
    exec(compile(TransformerManager().transform_cell(source), "<your cell>", "exec"), names)


class Magics:
    """``get_ipython()`` for a cell run outside a kernel: ``%time``, ``%%time`` and ``%%capture`` run their code."""

    names = {}

    def run_line_magic(self, magic, line, *args, **kwargs):
        return self._run(magic, line)

    def run_cell_magic(self, magic, line, cell, *args, **kwargs):
        return self._run(magic, cell)

    def _run(self, magic, code):
        if magic not in ("time", "capture"):
            raise NotImplementedError(f"%{magic}: the grader runs your cell without IPython, which only "
                                      "%time, %%time and %%capture need not")
        exec(compile(code, "<your cell>", "exec"), self.names)


def compile_setting(source, inputs):
    model = grader_model(inputs)
    run(source, notebook_names(inputs, model=model, U_Net=lambda *args, **kwargs: model, UNET={}))
    logs = [model.train_on_batch(inputs["images"], inputs["masks"], return_dict=True) for _ in range(inputs["steps"])]
    return {"logs": {name: float(value) for name, value in logs[0].items()}, "weights": model.get_weights()}


def fit_setting(source, inputs):
    import keras

    model = grader_model(inputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
    rates, order = [float(rate) for rate in inputs["rates"]], inputs["order"]

    def scheduler(epoch, learning_rate=None):
        return rates[min(epoch, len(rates) - 1)]

    def create_generator(images, masks, *args, **kwargs):
        step = 0
        while True:
            chosen = order[step % len(order)]
            step += 1
            yield images[chosen], masks[chosen]

    (train_images, train_masks), (val_images, val_masks) = inputs["train"], inputs["val"]
    run(source, notebook_names(inputs, model=model, scheduler=scheduler, create_generator=create_generator,
                               train_images=train_images, train_masks=train_masks, val_images=val_images,
                               val_masks=val_masks))
    history = model.history.history if isinstance(getattr(model, "history", None), keras.callbacks.History) else None
    return {"history": history and {name: [float(value) for value in values] for name, values in history.items()},
            "iterations": int(model.optimizer.iterations), "weights": model.get_weights()}


SETTINGS = {"compile": compile_setting, "fit": fit_setting}

if __name__ == "__main__":
    main()
