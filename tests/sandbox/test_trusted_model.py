"""The trusted judgement of a handed-in U-Net: export it to frozen graphs, evaluate the graphs with no
student code, and judge the architecture facts by question 1b.6's rules.

Small models (8 filters) are exported in this process, the kit's hand-in by ``export_model.py`` in
a subprocess; one evaluator subprocess takes them all, a second one the kit's alone.
"""
import io
import json
import os
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from grading.course import KIT
from grading.judging.architecture_rules import architecture_problems
from grading.judging.sandbox import SCRIPTS
from grading.judging.sandboxed.export_model import GRAPHS, frozen_graph
from helpers import U_Net, save_training

SANDBOXED = SCRIPTS
# Keras warns that a subclassed model without a build() method is built by its first call.
pytestmark = pytest.mark.filterwarnings("ignore:`build\\(\\)` was called on layer")


def conv(filters, size=3, activation="relu"):
    return layers.Conv2D(filters, size, activation=activation, padding="same")


def functional_unet(activations=("relu",) * 7, interpolation="nearest"):
    """The assignment's U-Net with 8 filters, written with the functional API: its 7 hidden convolutions
    have ``activations``, its UpSampling2D ``interpolation``."""
    activation = iter(activations)
    inputs = keras.Input((128, 128, 1))
    top = conv(8, activation=next(activation))(inputs)
    middle = conv(16, activation=next(activation))(layers.MaxPool2D()(top))
    x = conv(32, activation=next(activation))(layers.MaxPool2D()(middle))
    for skip, filters in ((middle, 16), (top, 8)):
        x = conv(filters, 2, next(activation))(layers.UpSampling2D(interpolation=interpolation)(x))
        x = conv(filters, activation=next(activation))(layers.concatenate([x, skip]))
    return keras.Model(inputs, layers.Conv2D(1, 1, activation="sigmoid")(layers.Dropout(0.5)(x)))


def py_function(maps):
    out = tf.py_function(lambda values: values, [maps], tf.float32)
    out.set_shape(maps.shape)
    return out


def numpy_function(maps):
    out = tf.numpy_function(lambda values: values, [maps], tf.float32)
    out.set_shape(maps.shape)
    return out


CONCATENATIONS = {
    "layers.concatenate": lambda model, maps: layers.concatenate(maps),
    "layers.Concatenate": lambda model, maps: model.concatenate(maps),
    "keras.ops.concatenate": lambda model, maps: keras.ops.concatenate(maps, axis=-1),
    "tf.concat": lambda model, maps: tf.concat(maps, axis=-1),
}
EXTRAS = {
    "BatchNormalization": layers.BatchNormalization,
    "Dense": lambda: layers.Dense(32),
    "Lambda": lambda: layers.Lambda(lambda maps: maps * 2.0),
    "tf.py_function": lambda: py_function,
    "tf.numpy_function": lambda: numpy_function,
}


class SmallUNet(keras.Model):
    """A subclassed U-Net with 8 filters and 2 levels, with one thing changed from the kit's."""

    def __init__(self, concatenation="layers.concatenate", up_kernel=2, extra=None, skips=True,
                 activation="sigmoid", dropout_always=False, bottom_kernel=3, **kwargs):
        super().__init__(**kwargs)
        self.join, self.skips, self.dropout_always = CONCATENATIONS[concatenation], skips, dropout_always
        self.down = [conv(8), conv(16)]
        self.bottom = conv(32, bottom_kernel)
        self.pool, self.upsample = layers.MaxPool2D(2), layers.UpSampling2D(2)
        self.upconv = [conv(16, up_kernel), conv(8, up_kernel)]
        self.up = [conv(16), conv(8)]
        self.concatenate = layers.Concatenate()
        self.extra = EXTRAS[extra]() if extra else None
        self.dropout = layers.Dropout(0.5)
        self.classify = layers.Conv2D(1, 1, activation=activation)

    def call(self, x, training=False):
        skips = []
        for down in self.down:
            skips.append(down(x))
            x = self.pool(skips[-1])
        x = self.bottom(x)
        if self.extra is not None:
            x = self.extra(x)
        for upconv, up, skip in zip(self.upconv, self.up, reversed(skips)):
            x = upconv(self.upsample(x))
            x = up(self.join(self, [x, skip]) if self.skips else x)
        return self.classify(self.dropout(x, training=True if self.dropout_always else training))


VALID = {
    "functional API": functional_unet,
    "bilinear upsampling, other activations": lambda: functional_unet(
        ("relu6", "leaky_relu", "elu", "selu", "tanh", "softplus", "relu"), "bilinear"),
    "tf.concat in call": lambda: SmallUNet(concatenation="tf.concat"),
    "keras.ops.concatenate": lambda: SmallUNet(concatenation="keras.ops.concatenate"),
    "layers.Concatenate": lambda: SmallUNet(concatenation="layers.Concatenate"),
    "3x3 up-convolutions": lambda: SmallUNet(up_kernel=3),
    "depth 3": lambda: U_Net(base_filters=8, depth=3),
    "2 convolutions per level": lambda: U_Net(base_filters=8, convs_per_level=2),
}
# Each model that breaks a rule, and words the evaluator's refusal or the rules' reason says.
BROKEN = {
    "BatchNormalization": (lambda: SmallUNet(extra="BatchNormalization"), "BatchNormalization?"),
    "Dense": (lambda: SmallUNet(extra="Dense"), "MatMul"),
    "Lambda": (lambda: SmallUNet(extra="Lambda"), "Mul on the feature maps"),
    "tf.py_function": (lambda: SmallUNet(extra="tf.py_function"), "EagerPyFunc"),
    "tf.numpy_function": (lambda: SmallUNet(extra="tf.numpy_function"), "PyFunc"),
    "no skip connections": (lambda: SmallUNet(skips=False), "not concatenated with the contracting path"),
    "one pooling level": (lambda: U_Net(base_filters=8, depth=1), "1 max-pooling level"),
    "linear output": (lambda: SmallUNet(activation=None), "not a sigmoid"),
    "no dropout": (lambda: U_Net(base_filters=8, dropout=0.0), "no Dropout"),
    "dropout at inference": (lambda: SmallUNet(dropout_always=True), "Dropout is active at inference"),
    # A lookup table's first step: a kernel large enough to recognise a slice.
    "a 9x9 convolution": (lambda: SmallUNet(bottom_kernel=9), "9x9 kernels"),
}


def export_graphs(model, folder):
    """Write ``model``'s two frozen graphs into ``folder``, as the evaluator reads them; return ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, training in GRAPHS.items():
        (folder / name).write_bytes(frozen_graph(model, training).SerializeToString())
    return folder


def hand_made(folder, build):
    """Write a GraphDef built by ``build(images)`` in a fresh graph as ``folder/inference.pb``."""
    with tf.Graph().as_default() as graph:
        images = tf.compat.v1.placeholder(tf.float32, [None, 128, 128, 1], name="images")
        tf.identity(build(images), name="probabilities")
    folder.mkdir()
    (folder / "inference.pb").write_bytes(graph.as_graph_def().SerializeToString())


def read_file(images):
    tf.io.read_file("/etc/hostname")
    return images


def with_function(images):
    return tf.function(lambda maps: maps * 2.0)(images)


HAND_MADE = {"ReadFile": (read_file, "ReadFile"), "function library": (with_function, "defines functions")}
REASONS = {name: words for name, (_, words) in {**BROKEN, **HAND_MADE}.items()} | {"oversize": "256 MiB"}


def run(script, *args):
    return subprocess.run([sys.executable, "-I", str(SANDBOXED / script), *map(str, args)],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    """Export every model here, evaluate them all in one subprocess: ({case: (out_dir, expected)}, stderr)."""
    tmp = tmp_path_factory.mktemp("trusted")
    images = np.random.default_rng(0).random((10, 128, 128, 1), np.float32)  # a full batch and a padded one
    cases = {}
    for name, build in {**VALID, **{name: build for name, (build, _) in BROKEN.items()}}.items():
        keras.utils.set_random_seed(0)
        model = build()
        model(images[:1])
        expected = model.predict(images, verbose=0) if name in VALID else None
        cases[name] = export_graphs(model, tmp / "in" / name), expected
    for name, (build, _) in HAND_MADE.items():
        hand_made(tmp / "in" / name, build)
        cases[name] = tmp / "in" / name, None
    oversize = tmp / "in" / "oversize"
    shutil.copytree(cases["functional API"][0], oversize)
    os.truncate(oversize / "inference.pb", 256 * 2**20 + 1)
    cases["oversize"] = oversize, None
    pairs = []
    for name, (in_dir, _) in cases.items():
        np.save(in_dir / "images.npy", images)
        pairs += [in_dir, tmp / "out" / name]
    result = run("evaluate_model.py", *pairs)
    assert result.returncode == 2, result.stderr
    return {name: (tmp / "out" / name, expected) for name, (_, expected) in cases.items()}, result.stderr


def outcome(out_dir):
    """The evaluator's refusal, else the rules' problems, as one text."""
    error = out_dir / "error.txt"
    if error.exists():
        return error.read_text()
    return "\n".join(architecture_problems(json.loads((out_dir / "architecture.json").read_text())))


def test_kit_hand_in_is_exported_evaluated_and_passes(tmp_path):
    keras.utils.set_random_seed(0)
    model = U_Net(base_filters=8)
    model(np.zeros((1, 128, 128, 1), np.float32))
    hand_in = tmp_path / "hand_in"
    shutil.copytree(KIT / "helpers", hand_in / "helpers")
    save_training(model, {"loss": [1.0]}, {"base_filters": 8}, folder=hand_in / "artifacts")
    exported = subprocess.run([sys.executable, "-I", str(SANDBOXED / "export_model.py")], cwd=hand_in,
                              capture_output=True, timeout=600)
    assert exported.returncode == 0, exported.stderr
    with np.load(io.BytesIO(exported.stdout), allow_pickle=False) as graphs:
        assert sorted(graphs.files) == [f"{model}_{name}" for model in ("trained", "untrained") for name in GRAPHS]
        (tmp_path / "graphs").mkdir()
        for name in GRAPHS:
            (tmp_path / "graphs" / name).write_bytes(graphs[f"trained_{name}"].tobytes())
    images = np.random.default_rng(1).random((3, 128, 128, 1), np.float32)
    np.save(tmp_path / "graphs" / "images.npy", images)
    evaluated = run("evaluate_model.py", tmp_path / "graphs", tmp_path / "out")
    assert evaluated.returncode == 0, evaluated.stderr
    facts = json.loads((tmp_path / "out" / "architecture.json").read_text())
    assert architecture_problems(facts) == []
    assert facts["pooling"] == [128, 64] and facts["upsampling"] == [64, 128] and facts["dropout"] == [0.5]
    assert facts["output"] == {"op": "Sigmoid", "height": 128, "width": 128, "channels": 1}
    probabilities = np.load(tmp_path / "out" / "probabilities.npy")
    np.testing.assert_allclose(probabilities, model.predict(images, verbose=0), atol=1e-5)


@pytest.mark.parametrize("name", VALID)
def test_valid_unet_passes_and_its_probabilities_are_the_models(judged, name):
    out_dir, expected = judged[0][name]
    assert outcome(out_dir) == ""
    np.testing.assert_allclose(np.load(out_dir / "probabilities.npy"), expected, atol=1e-5)


@pytest.mark.parametrize("name", REASONS)
def test_broken_model_is_caught_with_its_reason(judged, name):
    results, stderr = judged
    out_dir = results[name][0]
    assert REASONS[name] in outcome(out_dir)
    if (out_dir / "error.txt").exists():  # refused by the evaluator: one line, on stderr too
        refusal = (out_dir / "error.txt").read_text()
        assert refusal.count("\n") == 1 and f"refused: {refusal}" in stderr
