"""Notebook 3's view of a U-Net: each layer call in order, with its output shape and the skip connections."""
import keras
import numpy as np


def layer_table(model, input_shape=(128, 128, 1)):
    """The lines of a table of ``model`` run once on zeros: every layer call in the order it happens, its
    output shape and the steps its inputs came from. A concatenation fed by a step further back than the
    one before it is a skip connection; so is any layer that takes two earlier maps.

    Keras' ``summary()`` cannot show this for a subclassed model: it lists layers as created, without
    shapes, and a layer used twice (one pooling for every level) only once. Operations that are not
    layers (``keras.ops.concatenate``, ``tf.concat``) do not appear.
    """
    image = np.zeros((1, *input_shape), "float32")
    model(image)  # built first: building runs the layers once more, unrecorded
    steps, made_by = [], {}
    layer_call = keras.layers.Layer.__call__

    def recorded(layer, *args, **kwargs):
        output = layer_call(layer, *args, **kwargs)
        if layer is not model:
            sources = [made_by.get(id(value), 0) for value in keras.tree.flatten(args) if hasattr(value, "shape")]
            steps.append((layer, sources, output))  # holding the output keeps its id unique
            made_by[id(output)] = len(steps)
        return output

    keras.layers.Layer.__call__ = recorded
    try:
        model(image)
    finally:
        keras.layers.Layer.__call__ = layer_call
    lines = [f"{'step':>4s}  {'layer (type)':40s} {'output':>14s}  input from"]
    for number, (layer, sources, output) in enumerate(steps, 1):
        shape = "x".join(str(size) for size in output.shape[1:])
        origin = ", ".join(f"step {source}" if source else "the image" for source in sources)
        skip = "   <- skip connection" if len(sources) > 1 and min(sources) < number - 1 else ""
        lines.append(f"{number:4d}  {f'{layer.name} ({type(layer).__name__})':40s} {shape:>14s}  {origin}{skip}")
    return lines
