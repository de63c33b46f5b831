"""What a segmentation model is made of, as plain data: the facts question 1b.6's rules are about."""
import keras
import numpy as np


def describe_architecture(model, input_shape=(1, 128, 128, 1)):
    """Run ``model`` once on zeros and describe what its layers did, as plain data.

    Returns a dict:

    - ``layers``: the class name of every layer called, in call order (container layers such as
      a block made of other layers are looked into, not listed);
    - ``pooling``: the resolution (height) of each MaxPooling2D input, i.e. each contracting level;
    - ``upsampling``: the resolution of each UpSampling2D output, i.e. each expanding level;
    - ``skips``: the upsampled resolutions that are concatenated with a contracting map of the
      same resolution (a map that is later pooled): the skip connections;
    - ``untracked``: how many layer inputs came from something that is not a layer (``tf.concat``,
      ``x + y``, a NumPy call): the rules only allow layers;
    - ``dropout``: the rate of each Dropout layer;
    - ``output``: the last layer's class, activation and number of channels.
    """
    zeros = np.zeros(input_shape, "float32")
    model(zeros, training=False)  # builds the model: a first call may trace its layers more than once
    calls = []
    original = keras.layers.Layer.__call__

    def recording_call(layer, *args, **kwargs):
        outputs = original(layer, *args, **kwargs)
        if layer is not model and not layer._flatten_layers(include_self=False):
            calls.append((layer, keras.tree.flatten((args, kwargs)), keras.tree.flatten(outputs)))
        return outputs

    keras.layers.Layer.__call__ = recording_call
    try:
        model(zeros, training=False)
    finally:
        keras.layers.Layer.__call__ = original

    def tensors(values):
        return [value for value in values if hasattr(value, "shape") and len(value.shape) == 4]

    producer = {id(out): index for index, (_, _, outputs) in enumerate(calls) for out in tensors(outputs)}
    model_input = {id(tensor) for tensor in tensors(calls[0][1])} if calls else set()
    untracked = sum(id(t) not in producer and id(t) not in model_input for _, args, _ in calls for t in tensors(args))
    inputs = [[producer.get(id(tensor)) for tensor in tensors(args)] for _, args, _ in calls]
    height = [int(tensors(outputs)[0].shape[1]) if tensors(outputs) else None for _, _, outputs in calls]
    kinds = [type(layer).__name__ for layer, _, _ in calls]

    def ancestors(index):
        seen, stack = set(), [index]
        while stack:
            for parent in inputs[stack.pop()]:
                if parent is not None and parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return seen

    pooled = {parent for index, kind in enumerate(kinds) if kind == "MaxPooling2D" for parent in inputs[index]}
    contracting = pooled | {a for index in pooled if index is not None for a in ancestors(index)}
    skips = []
    for index, kind in enumerate(kinds):
        if kind != "Concatenate":
            continue
        sources = [parent for parent in inputs[index] if parent is not None]
        upsampled = [p for p in sources if "UpSampling2D" in {kinds[a] for a in ancestors(p) | {p}}]
        skipped = [p for p in sources if p in contracting and height[p] == height[index]]
        if upsampled and skipped:
            skips.append(height[index])
    last = calls[-1][0] if calls else None
    activation = getattr(getattr(last, "activation", None), "__name__", None)
    return {
        "layers": kinds,
        "pooling": [height[parent] for index, kind in enumerate(kinds) if kind == "MaxPooling2D"
                    for parent in inputs[index] if parent is not None],
        "upsampling": [height[index] for index, kind in enumerate(kinds) if kind == "UpSampling2D"],
        "skips": skips,
        "untracked": untracked,
        "dropout": [float(layer.rate) for layer, _, _ in calls if isinstance(layer, keras.layers.Dropout)],
        "output": {"layer": type(last).__name__, "activation": activation,
                   "channels": int(tensors(calls[-1][2])[0].shape[-1]) if calls else None},
    }
