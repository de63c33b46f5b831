"""Export a student's trained U-Net as two frozen TensorFlow graphs, for ``evaluate_model.py``.

This runs where the student's code runs (in the sandbox), so what it writes is untrusted data:
the evaluator checks and judges the graphs without running any of the student's Python.

    python -I export_model.py > GRAPHS_NPZ    (in the hand-in's folder)

exports two models of the hand-in's own ``helpers``: a fresh ``U_Net(base_filters=8)`` (question
1b.6's rules are judged on it) and the trained model that ``helpers.load_training("artifacts")``
rebuilds (it is evaluated). Each becomes two graphs: ``inference`` (``training=False``: the graph
that is evaluated) and ``training`` (``training=True``: the same network with its Dropout active,
which is how the evaluator sees Dropout, a no-op at inference). Both are GraphDefs with the
weights frozen into constants, input ``images`` (float32, ``[None, 128, 128, 1]``), output
``probabilities``. They are printed as one ``.npz`` of byte arrays, ``untrained_inference.pb``,
``untrained_training.pb``, ``trained_inference.pb``, ``trained_training.pb``, or, for a model that
could not be exported, ``untrained_error`` or ``trained_error``; what the student's code prints goes
to standard error.
"""
import os
import sys
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

INPUT, OUTPUT = "images", "probabilities"
IMAGE_SHAPE = (128, 128, 1)
GRAPHS = {"inference.pb": False, "training.pb": True}  # file name: the `training` argument


def frozen_graph(model, training):
    """``model(images, training=training)`` traced into a GraphDef with its variables as constants.

    The call runs in a ``keras.StatelessScope``: the Dropout layers' seed generators then read
    their state without updating it, so the training graph has no variable assignment and can be
    frozen (its dropout masks use a fixed seed).
    """
    def call(images):
        with keras.StatelessScope():
            return tf.identity(model(images, training=training), name=OUTPUT)

    spec = tf.TensorSpec([None, *IMAGE_SHAPE], tf.float32, name=INPUT)
    concrete = tf.function(call).get_concrete_function(spec)
    return convert_variables_to_constants_v2(concrete).graph.as_graph_def()


def graphs_of(model, name):
    """``{f"{name}_inference.pb": bytes, f"{name}_training.pb": bytes}`` as uint8 arrays."""
    return {f"{name}_{file}": np.frombuffer(frozen_graph(model, training).SerializeToString(), np.uint8)
            for file, training in GRAPHS.items()}


def main():
    result = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # the student's prints go to stderr
    sys.path.insert(0, os.getcwd())
    found = {}
    for name, build in (("untrained", untrained), ("trained", trained)):
        try:
            found.update(graphs_of(build(), name))
        except BaseException as error:  # noqa: BLE001: whatever the student's code raised is the reason
            found[f"{name}_error"] = np.array(f"{type(error).__name__}: {error}"[:2000])
    np.savez(result, **found)
    result.close()


def untrained():
    """A fresh ``U_Net(base_filters=8)`` of the hand-in's helpers, built."""
    import helpers  # the student's own, from the hand-in

    model = helpers.U_Net(base_filters=8)
    model(np.zeros((1, *IMAGE_SHAPE), np.float32))
    return model


def trained():
    """The hand-in's trained model, as its own ``load_training`` rebuilds it from ``artifacts/``."""
    import helpers

    return helpers.load_training(Path("artifacts").resolve())[0]


if __name__ == "__main__":
    main()
