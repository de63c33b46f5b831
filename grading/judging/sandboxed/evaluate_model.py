"""Judge an exported U-Net (``export_model.py``) without running any of the student's Python.

    python -I evaluate_model.py IN_DIR OUT_DIR [IN_DIR OUT_DIR ...]

For each pair, reads ``IN_DIR/inference.pb`` and ``IN_DIR/training.pb`` (frozen GraphDefs:
untrusted data) and ``IN_DIR/images.npy`` (float32, ``(N, 128, 128, 1)``), and writes to OUT_DIR:

- ``probabilities.npy``: the inference graph's output on the images, float32 ``(N, 128, 128, C)``
  (``C`` is 1 for a valid model), computed in batches of 8;
- ``architecture.json``: the facts question 1b.6 is judged on (``grading/judging/architecture_rules.py``).

A graph is refused, with a one-line reason in ``OUT_DIR/error.txt`` and on stderr and exit status
2, when it is not made only of what the assignment's layers (Conv2D, MaxPool2D, UpSampling2D,
Dropout, concatenation) compute: every operation must be in ``ALLOWED_OPS``, and every operation
on the feature maps (anything computed from the input image) must take part in one of those layers.
The graph is analysed and run with a fixed input shape, ``(8, 128, 128, 1)``, so that every shape
is static and the shapes checked are the shapes that run.

Standard library, NumPy and TensorFlow only: this file is mounted alone into a sandbox.
"""
import json
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402

MAX_GRAPH_BYTES = 256 * 2**20
GRAPHS = ("inference.pb", "training.pb")
INPUT, OUTPUT = "images", "probabilities"
BATCH = 8
INPUT_SHAPE = (BATCH, 128, 128, 1)
PREFIX = "graph"

# A Conv2D layer's activation: Keras makes each of these one operation.
ACTIVATIONS = {"Relu", "Relu6", "LeakyRelu", "Elu", "Selu", "Tanh", "Softplus", "Sigmoid"}
# Dropout (training mode): a stateless uniform mask from a seed, x * 1/(1-rate) where it is kept.
RANDOM_OPS = {"StatelessRandomGetKeyCounter", "StatelessRandomUniformV2"}
ALLOWED_OPS = {
    "Placeholder", "Const", "Identity", "NoOp",  # the input, the frozen weights, pass-through
    "Conv2D", "BiasAdd", "AddV2", *ACTIVATIONS,  # Conv2D (a one-channel one adds its bias by AddV2)
    "MaxPool",  # MaxPool2D
    "ExpandDims", "Tile", "Reshape", "ResizeBilinear",  # UpSampling2D: nearest repeats, or bilinear
    "ConcatV2",  # concatenation, and shape plumbing
    "Shape", "StridedSlice", "Pack", "Cast", "Squeeze", "Mul",  # shape plumbing, bias reshapes
    *RANDOM_OPS, "FloorMod", "Sub", "GreaterEqual", "SelectV2",  # Dropout
}
HINTS = {
    "MatMul": "a Dense layer?", "BatchMatMulV2": "a Dense layer?", "Rsqrt": "BatchNormalization?",
    "FusedBatchNormV3": "BatchNormalization?", "Mean": "a normalization layer?",
    "PyFunc": "tf.numpy_function?", "EagerPyFunc": "tf.py_function?",
    "Conv2DBackpropInput": "Conv2DTranspose? use UpSampling2D then Conv2D",
    "PartitionedCall": "a nested tf.function?", "StatefulPartitionedCall": "a nested tf.function?",
    "Mul": "a Lambda layer or arithmetic in call?", "AddV2": "a residual connection or arithmetic in call?",
}


class Refused(Exception):
    """The graph is refused; the message says why, in one line."""


def shown(name):
    """A name from the graph, safe to print on one line."""
    name = name[len(PREFIX) + 1:] if name.startswith(PREFIX + "/") else name
    return ascii(name[:100])


def hint(op_type):
    return f": {HINTS[op_type]}" if op_type in HINTS else ""


def read_graph(path):
    """The GraphDef in ``path``, checked node by node; Refused when it cannot be one of ours."""
    if not path.is_file():
        raise Refused(f"{path.name} is missing")
    if path.stat().st_size > MAX_GRAPH_BYTES:
        raise Refused(f"{path.name} is larger than {MAX_GRAPH_BYTES // 2**20} MiB")
    graph_def = tf.compat.v1.GraphDef()
    try:
        graph_def.ParseFromString(path.read_bytes())
    except Exception as error:  # protobuf's DecodeError, or a message nested too deep
        raise Refused(f"{path.name} is not a TensorFlow GraphDef ({type(error).__name__})") from None
    if graph_def.library.ByteSize():
        raise Refused(f"{path.name} defines functions (a function library): a nested tf.function?")
    refused = {}  # op: the first node of it
    for node in graph_def.node:
        if node.op not in ALLOWED_OPS:
            refused.setdefault(node.op, node.name)
        for key, value in node.attr.items():
            if value.WhichOneof("value") == "func" or value.list.func:
                raise Refused(f"node {shown(node.name)} names a function in its attribute {shown(key)}")
        node.device = ""
    if refused:
        raise Refused("operations that the assignment's layers do not make: " + ", ".join(
            f"{shown(op)} (node {shown(name)}{hint(op)})" for op, name in sorted(refused.items())[:5]))
    return graph_def


def pruned(graph_def):
    """The nodes the output needs (through data and control inputs), with the input checked."""
    nodes = {node.name: node for node in graph_def.node}
    if len(nodes) != len(graph_def.node):
        raise Refused("two nodes of the graph have the same name")
    if OUTPUT not in nodes:
        raise Refused(f"the graph has no output node {OUTPUT!r}")
    needed, stack = set(), [OUTPUT]
    while stack:
        name = stack.pop()
        if name in nodes and name not in needed:
            needed.add(name)
            stack.extend(source.lstrip("^").split(":")[0] for source in nodes[name].input)
    placeholders = [name for name in needed if nodes[name].op == "Placeholder"]
    if placeholders != [INPUT]:
        raise Refused(f"the graph's inputs are {sorted(map(shown, placeholders))}, not only {INPUT!r}")
    attr = nodes[INPUT].attr
    shape = tf.TensorShape(attr["shape"].shape)
    if attr["dtype"].type != tf.float32.as_datatype_enum or not shape.is_compatible_with(INPUT_SHAPE):
        raise Refused(f"the input {INPUT!r} is not float32 images of shape (N, 128, 128, 1)")
    result = tf.compat.v1.GraphDef()
    result.versions.CopyFrom(graph_def.versions)
    result.node.extend(node for node in graph_def.node if node.name in needed)
    return result


def imported(graph_def):
    """``(graph, images, output)``: the graph imported with its input fixed to ``INPUT_SHAPE``."""
    graph = tf.Graph()
    with graph.as_default():
        images = tf.compat.v1.placeholder(tf.float32, INPUT_SHAPE, name="fixed_images")
        try:
            tf.graph_util.import_graph_def(graph_def, input_map={f"{INPUT}:0": images}, name=PREFIX)
        except (ValueError, TypeError, tf.errors.OpError) as error:
            raise Refused(f"the graph cannot be imported: {first_line(error)}") from None
    return graph, images, graph.get_operation_by_name(f"{PREFIX}/{OUTPUT}").outputs[0]


def first_line(error):
    return ascii(str(error).strip().split("\n")[0][:200])


class Network:
    """The operations of an imported graph that compute on the feature maps, each in its layer.

    An operation is on the feature maps (``ops``) when it takes one as input (``Shape`` only reads
    a map's size, not its values). Each must belong to a Conv2D (convolution, bias, activation), a
    MaxPool2D, an UpSampling2D (a repeat along the height then one along the width, or
    ResizeBilinear), a concatenation along the channels or a Dropout; Identity passes a map on.
    Refused otherwise. ``kind`` maps each to its part, ``dropout`` each Dropout's end to its rate.
    """

    def __init__(self, graph, images):
        self.ops, self.data = [images.op], {images.op}
        for op in graph.get_operations():  # import_graph_def adds them in topological order
            if op.type != "Shape" and any(tensor.op in self.data for tensor in op.inputs):
                self.ops.append(op)
                self.data.add(op)
        self.kind, self.dropout = {images.op: "input"}, {}
        self._find_upsampling()
        for op in self.ops:
            if op not in self.kind:
                self.kind[op] = self._kind(op)
                shape = op.outputs[0].shape
                if not (shape.is_fully_defined() and shape.rank == 4 and shape[0] == BATCH):
                    raise Refused(f"{op.type} (node {shown(op.name)}) makes a map of shape {shape}")

    def maps(self, op):
        """``op``'s inputs that are feature maps."""
        return [tensor for tensor in op.inputs if tensor.op in self.data]

    def weights(self, op):
        """``op``'s other inputs: constants, sizes."""
        return [tensor for tensor in op.inputs if tensor.op not in self.data]

    def consumers(self, op):
        """The operations on the feature maps that take ``op``'s outputs."""
        return [consumer for out in op.outputs for consumer in out.consumers() if consumer in self.data]

    def source(self, tensor):
        """The operation that computed the feature map ``tensor``, looking through Identity and Dropout."""
        while True:
            if tensor.op.type == "Identity":
                tensor = self.maps(tensor.op)[0]
            elif tensor.op in self.dropout:  # where(noise >= rate, x * scale, 0): on to x
                tensor = self.maps(self.maps(tensor.op)[0].op)[0]
            else:
                return tensor.op

    def parents(self, op):
        """The operations that computed ``op``'s input maps."""
        return [self.source(tensor) for tensor in self.maps(op)]

    def _kind(self, op):
        """What ``op`` does in its layer; Refused when it is part of no allowed layer."""
        maps, weights = self.maps(op), self.weights(op)
        channels = op.outputs[0].shape[-1] if op.outputs[0].shape.rank else None
        nhwc = op.type in ("Conv2D", "BiasAdd", "MaxPool") and op.get_attr("data_format") == b"NHWC"
        if op.type == "Identity":
            return "identity"
        if op.type == "Conv2D" and nhwc and len(maps) == 1 and op.inputs[1].op not in self.data:
            return "convolution"
        if (op.type == "AddV2" or nhwc) and len(maps) == 1 and self.source(maps[0]).type == "Conv2D" \
                and dims(weights[0]) in ([channels], [1, 1, 1, channels]):
            return "bias"
        if op.type in ACTIVATIONS and self.kind[self.source(maps[0])] in ("convolution", "bias"):
            return "activation"
        if op.type == "MaxPool" and nhwc:
            return "pooling"
        if op.type == "ResizeBilinear" and len(maps) == 1 and op.inputs[1].op not in self.data and all(
                after > before for after, before in zip(op.outputs[0].shape[1:3], maps[0].shape[1:3])):
            return "upsampling"
        if op.type == "ConcatV2" and len(weights) == 1 and op.inputs[-1].op not in self.data \
                and scalar(weights[0]) in (3, -1):
            return "concatenation"
        if op.type == "SelectV2" and self._dropout_rate(op) is not None:
            self.dropout[op] = self._dropout_rate(op)
            return "dropout"
        if op.type == "Mul" and [consumer.type for consumer in self.consumers(op)] == ["SelectV2"] \
                and self._dropout_rate(self.consumers(op)[0]) is not None:
            return "dropout"
        raise Refused(f"{op.type} on the feature maps (node {shown(op.name)}) is not part of an allowed "
                      f"layer{hint(op.type)}")

    def _dropout_rate(self, select):
        """The rate of the Dropout that ``select`` ends, ``where(noise >= rate, x * scale, 0)``, else None.

        ``noise`` must come from a random uniform operation and ``scale`` be ``1 / (1 - rate)``.
        """
        condition, kept, dropped = select.inputs
        if condition.op in self.data or condition.op.type != "GreaterEqual" or kept.op.type != "Mul" \
                or len(self.maps(kept.op)) != 1 or select.outputs[0].shape != self.maps(kept.op)[0].shape:
            return None
        rate, zero, scale = scalar(condition.op.inputs[1]), scalar(dropped), scalar(self.weights(kept.op)[0])
        noise = ancestors(condition.op, lambda op: [tensor.op for tensor in op.inputs])
        if None in (rate, scale) or zero != 0 or not 0 < rate < 1 or not np.isclose(scale, 1 / (1 - rate)) \
                or not any(op.type == "StatelessRandomUniformV2" for op in noise):
            return None
        return round(rate, 6)

    def _find_upsampling(self):
        """Mark Keras' nearest UpSampling2D: a repeat along the height, then one along the width."""
        repeats = {op: self._repeat(op) for op in self.ops if op.type == "Reshape"}
        for op, (axis, factor, expand) in repeats.items():
            if axis == 2:
                before = expand.inputs[0].op
                if repeats.get(before, (None,))[:2] != (1, factor) or self.consumers(before) != [expand]:
                    raise Refused(f"node {shown(op.name)} repeats the width only: not an UpSampling2D")
                self.kind.update({before: "repeat", op: "upsampling"})
        for op, (_, _, expand) in repeats.items():
            if op not in self.kind:
                raise Refused(f"node {shown(op.name)} repeats the height only: not an UpSampling2D")
            self.kind.update({expand: "repeat", op.inputs[0].op: "repeat"})

    def _repeat(self, reshape):
        """``(axis, factor, expand)`` when ``reshape`` ends a repeat of a map along axis 1 or 2.

        A repeat of ``x`` by ``factor`` is Reshape(Tile(ExpandDims(x))): ExpandDims adds an axis of
        size 1 after ``axis``, Tile repeats that axis ``factor`` times, Reshape merges the two: their
        shapes alone fix what the three compute. Refused when ``reshape`` is anything else.
        """
        tile = reshape.inputs[0].op
        expand = tile.inputs[0].op if tile.type == "Tile" else tile
        chain = (expand, tile, reshape)
        if [op.type for op in chain] == ["ExpandDims", "Tile", "Reshape"] and expand.inputs[0].op in self.data \
                and all(op.inputs[1].op not in self.data for op in chain) \
                and self.consumers(expand) == [tile] and self.consumers(tile) == [reshape]:
            x, expanded, tiled, out = (dims(tensor) or [] for tensor in (
                expand.inputs[0], expand.outputs[0], tile.outputs[0], reshape.outputs[0]))
            for axis in (1, 2):
                factor = out[axis] // x[axis] if len(x) == len(out) == 4 and x[axis] else 0
                if (factor and expanded == x[:axis + 1] + [1] + x[axis + 1:]
                        and tiled == x[:axis + 1] + [factor] + x[axis + 1:]
                        and out == x[:axis] + [x[axis] * factor] + x[axis + 1:]):
                    return axis, factor, expand
        raise Refused(f"Reshape on the feature maps (node {shown(reshape.name)}) is not part of an UpSampling2D")


def dims(tensor):
    """The static shape of ``tensor`` as a list, or None when it is not fully known."""
    return tensor.shape.as_list() if tensor.shape.is_fully_defined() else None


def scalar(tensor):
    """The value of ``tensor`` when it is a constant real scalar, else None."""
    value = tf.get_static_value(tensor)
    if value is None or np.ndim(value) or np.asarray(value).dtype.kind not in "iuf":
        return None
    return value.item()


def ancestors(op, parents):
    """Every operation ``op`` comes from, following ``parents``."""
    seen, stack = set(), [op]
    while stack:
        for parent in parents(stack.pop()):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def describe(network, output):
    """The architecture facts of ``network``, whose output is the tensor ``output``, as plain data."""
    def height(op):
        return op.outputs[0].shape[1]

    def of_kind(kind):
        return [op for op in network.ops if network.kind[op] == kind]

    above = {op: ancestors(op, network.parents) for op in network.ops}
    pooled = {parent for op in of_kind("pooling") for parent in network.parents(op)}
    contracting = pooled.union(*(above[op] for op in pooled))
    upsampled = {op for op in network.ops if {op, *above[op]} & set(of_kind("upsampling"))}
    concatenations = []
    for op in of_kind("concatenation"):
        inputs = network.parents(op)
        skip = any(a is not b and a in upsampled and b in contracting and height(b) == height(op)
                   for a in inputs for b in inputs)
        concatenations.append({"heights": [height(parent) for parent in inputs], "skip": skip})
    return {
        "ops": sorted({op.type for op in output.graph.get_operations()}),
        "convolutions": [op.inputs[1].shape.as_list() for op in of_kind("convolution")],
        "pooling": [height(parent) for op in of_kind("pooling") for parent in network.parents(op)],
        "upsampling": [height(op) for op in of_kind("upsampling")],
        "concatenations": concatenations,
        "dropout": [network.dropout[op] for op in of_kind("dropout") if op in network.dropout],
        "output": {"op": network.source(output).type, "height": output.shape[1], "width": output.shape[2],
                   "channels": output.shape[3]},
    }


def predict(graph, images_in, output, images):
    """The output of ``graph`` on ``images``, in batches of ``BATCH`` (the last one padded with zeros)."""
    batches = [np.zeros((0, *output.shape[1:]), np.float32)]
    with tf.compat.v1.Session(graph=graph) as session:
        for start in range(0, len(images), BATCH):
            batch = images[start:start + BATCH]
            padded = np.concatenate([batch, np.zeros((BATCH - len(batch), *batch.shape[1:]), np.float32)])
            try:
                batches.append(session.run(output, {images_in: padded})[:len(batch)])
            except tf.errors.OpError as error:
                raise Refused(f"the graph fails to run: {first_line(error)}") from None
    return np.concatenate(batches)


def evaluate(in_dir, out_dir):
    """Check both graphs in ``in_dir``, run the inference one on its images, write the results to ``out_dir``."""
    in_dir, out_dir = Path(in_dir), Path(out_dir)
    images = np.load(in_dir / "images.npy", allow_pickle=False)
    if images.dtype != np.float32 or images.shape[1:] != INPUT_SHAPE[1:]:
        raise ValueError(f"{in_dir / 'images.npy'} holds {images.dtype} {images.shape}, not float32 (N, 128, 128, 1)")
    found = {}
    for name in GRAPHS:
        graph, images_in, output = imported(pruned(read_graph(in_dir / name)))
        network = Network(graph, images_in)
        if output.op not in network.data or output.dtype != tf.float32 or output.shape[1:3] != INPUT_SHAPE[1:3]:
            raise Refused(f"{name}: the output {OUTPUT!r} is not float32 128x128 maps computed from the images")
        found[name] = graph, images_in, output, describe(network, output)
    graph, images_in, output, facts = found["inference.pb"]
    training = found["training.pb"][3]
    same = ("convolutions", "pooling", "upsampling", "concatenations", "output")
    facts.update(dropout=training["dropout"], dropout_at_inference=facts["dropout"],
                 training_matches_inference=all(facts[key] == training[key] for key in same))
    probabilities = predict(graph, images_in, output, images)
    out_dir.mkdir(parents=True, exist_ok=True)
    np.save(out_dir / "probabilities.npy", probabilities)
    (out_dir / "architecture.json").write_text(json.dumps(facts, indent=2))
    return facts


def main(argv=None):
    """``evaluate_model.py IN_DIR OUT_DIR [IN_DIR OUT_DIR ...]``; exit status 2 when a graph is refused."""
    args = sys.argv[1:] if argv is None else argv
    if not args or len(args) % 2:
        sys.exit("usage: evaluate_model.py IN_DIR OUT_DIR [IN_DIR OUT_DIR ...]")
    status = 0
    for in_dir, out_dir in zip(args[::2], args[1::2]):
        try:
            evaluate(in_dir, out_dir)
        except Refused as refusal:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
            (Path(out_dir) / "error.txt").write_text(f"{refusal}\n")
            print(f"refused: {refusal}", file=sys.stderr)
            status = 2
    return status


if __name__ == "__main__":
    sys.exit(main())
