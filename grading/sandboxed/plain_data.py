"""Values as plain JSON data, the only form in which anything leaves a process that runs student code.

Used inside the sandbox (the kernel's report, ``call_functions.py``): the standard library and
NumPy only. The grader decodes it with ``grading.verdicts.decode``, which accepts nothing else.
"""
import base64
import math

import numpy


def encode(value):
    """``value`` as JSON-able data: numbers, strings, booleans, None, numeric arrays, and lists,
    tuples, sets and dicts of them; anything else as ``{"__unsupported__": its type}``."""
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(float(value))}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (numpy.ndarray, numpy.generic)) and value.dtype.kind in "biuf":
        array = numpy.asarray(value)
        data = base64.b64encode(array.tobytes()).decode()
        return {"__array__": array.dtype.str, "shape": list(array.shape), "data": data}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(item) for item in value]}
    if isinstance(value, (set, frozenset)):
        return {"__set__": [encode(item) for item in value]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {"__dict__": [[encode(key), encode(item)] for key, item in value.items()]}
    return {"__unsupported__": type(value).__name__}
