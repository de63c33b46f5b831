"""Values as plain JSON data, the only form in which anything crosses into or out of a process
that runs student code.

Used inside the sandbox (the kernel's report, ``call_functions.py``): the standard library and
NumPy only. The grader decodes what comes out with ``grading.judging.verdicts.decode``, which accepts
nothing else; ``decode`` here reads what the grader sends in (its arguments, trusted).
"""
import base64
import math
from pathlib import Path, PurePath

import numpy


def encode(value):
    """``value`` as JSON-able data: numbers, strings, booleans, None, paths, numeric arrays (and
    anything NumPy turns into one, a tensor say), and lists, tuples, sets and dicts of them;
    anything else as ``{"__unsupported__": its type}``."""
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(float(value))}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, PurePath):
        return {"__path__": str(value)}
    if not isinstance(value, (numpy.ndarray, numpy.generic)) and hasattr(value, "__array__"):
        try:
            value = numpy.asarray(value)
        except Exception:  # noqa: BLE001: not an array after all
            return {"__unsupported__": type(value).__name__}
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


def decode(value):
    """What ``encode`` made of the grader's own values, back as Python values."""
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "__array__" in value:
        array = numpy.frombuffer(base64.b64decode(value["data"]), dtype=value["__array__"]).reshape(value["shape"])
        return array.copy()[()] if not value["shape"] else array.copy()
    (kind, content), = value.items()
    if kind == "__path__":
        return Path(content)
    if kind == "__float__":
        return float(content)
    if kind == "__tuple__":
        return tuple(decode(item) for item in content)
    if kind == "__set__":
        return {decode(item) for item in content}
    return {decode(key): decode(item) for key, item in content}
