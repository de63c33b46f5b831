"""Verdicts decided outside the student's kernel.

A test cell has two parts, split at its ``# Checks`` line. The probe, above it, calls the
student's code, in a sandboxed process (which one: ``questions.py``). The checks, below it, are
the asserts and expected values: the autograder never sends them to a process that runs student
code. The probe's process reports the names the checks read, as plain data (``REPORT`` in the
kernel, ``sandboxed/call_functions.py`` for a function question), which is decoded here
(``decode``: numbers, strings, booleans, None, numeric arrays, and lists, tuples, sets and dicts
of them, within ``MAX_REPORT_CHARS``; never pickle), and the checks run in this process
(``run_checks``), which imports no student code. In a student's own notebook the whole cell
runs as one, as any cell does.
"""
import ast
import base64
import builtins
import math
import re
from pathlib import Path

import numpy as np

from .kit_helpers import dataset_or_none

CHECKS_MARKER = "# Checks"
REPORT_MIME = "application/vnd.lungkit.report+json"
MAX_REPORT_CHARS = 64 * 2**20
MAX_DEPTH = 32
ARRAY_DTYPE = re.compile(r"[<>|][biuf][1248]")
PLAIN_DATA = "numbers, strings, booleans, None, numeric arrays, and lists, tuples, sets and dicts of them"

ENCODER = (Path(__file__).parent / "sandboxed" / "plain_data.py").read_text()
# Runs in the student's kernel: every value the checks need, encoded as plain data (plain_data.py).
REPORT = '''
def _lungkit_report(names, nonce):
    from IPython.display import display

    plain_data = {}
    exec(%(encoder)r, plain_data)
    values = {name: plain_data["encode"](globals()[name]) for name in names if name in globals()}
    display({%(mime)r: {"nonce": nonce, "values": values}}, raw=True)

_lungkit_report(%(names)r, %(nonce)r)
del _lungkit_report
'''


class Failure(Exception):
    """A test failed: ``ename`` and a message that says why, in words a student can act on."""

    def __init__(self, message, ename="ReportError"):
        super().__init__(message)
        self.ename = ename


def split_test(source):
    """``(probe, checks)``: the test cell ``source`` split at its ``# Checks`` line (ValueError without one)."""
    lines = source.splitlines(keepends=True)
    marker = next((i for i, line in enumerate(lines) if line.strip().startswith(CHECKS_MARKER)), None)
    if marker is None:
        raise ValueError(f"no '{CHECKS_MARKER}' line: the autograder cannot tell the probe from the checks")
    return "".join(lines[:marker]), "".join(lines[marker:])


def visible(source):
    """The test cell ``source`` as released: without its hidden-test regions."""
    kept, hidden = [], False
    for line in source.splitlines(keepends=True):
        if "BEGIN HIDDEN TESTS" in line or "END HIDDEN TESTS" in line:
            hidden = "BEGIN" in line
        elif not hidden:
            kept.append(line)
    return "".join(kept)


def requested_names(checks):
    """The names the checks read but neither bind nor get from this side: asked of the kernel."""
    loaded, bound = set(), set()
    for node in ast.walk(ast.parse(checks)):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
    return sorted(loaded - bound - set(trusted_namespace()) - set(dir(builtins)))


def report_code(names, nonce):
    """The code that makes the kernel display the values of ``names``, tagged with ``nonce``."""
    return REPORT % {"encoder": ENCODER, "mime": REPORT_MIME, "names": list(names), "nonce": nonce}


def decode_report(outputs, nonce):
    """The values in the one report among the kernel's ``outputs``; Failure when there is not exactly one."""
    reports = [o.get("data", {}).get(REPORT_MIME) for o in outputs if o.get("output_type") == "display_data"]
    reports = [r for r in reports if isinstance(r, dict) and r.get("nonce") == nonce]
    errors = [f"{o.get('ename')}: {o.get('evalue')}" for o in outputs if o.get("output_type") == "error"]
    if len(reports) != 1:
        why = errors[0] if errors else f"{len(reports)} reports instead of one"
        raise Failure(f"the notebook did not report the values to check ({why})")
    values = reports[0].get("values")
    if not isinstance(values, dict) or len(repr(values)) > MAX_REPORT_CHARS:
        raise Failure(f"the reported values are not a mapping of names, or exceed {MAX_REPORT_CHARS:,} characters")
    return {name: decode(value, name) for name, value in values.items()}


def decode(value, name, depth=0):
    """One reported value as Python data; Failure naming ``name`` for anything that is not plain data.

    ``value`` is parsed JSON, as nbformat holds it (dicts as its ``NotebookNode`` subclass).
    """
    if depth > MAX_DEPTH:
        raise Failure(f"{name} is nested more than {MAX_DEPTH} levels deep")
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, list):
        return [decode(item, name, depth + 1) for item in value]
    if isinstance(value, dict) and len(value) == 1:
        (kind, content), = value.items()
        if kind == "__tuple__" and isinstance(content, list):
            return tuple(decode(item, name, depth + 1) for item in content)
        if kind == "__set__" and isinstance(content, list):
            return _hashable(name, lambda: {decode(item, name, depth + 1) for item in content})
        if kind == "__dict__" and isinstance(content, list) and all(isinstance(p, list) and len(p) == 2 for p in content):
            return _hashable(name, lambda: {decode(k, name, depth + 1): decode(v, name, depth + 1) for k, v in content})
        if kind == "__float__" and content in ("nan", "inf", "-inf"):
            return float(content)
        if kind == "__unsupported__":
            raise Failure(f"{name} holds a {str(content)[:80]}, which is not plain data ({PLAIN_DATA})")
    if isinstance(value, dict) and set(value) == {"__array__", "shape", "data"}:
        return _array(value, name)
    raise Failure(f"{name} is not plain data ({PLAIN_DATA})")


def _hashable(name, build):
    try:
        return build()
    except TypeError as error:
        raise Failure(f"{name}: {error}") from None


def _array(value, name):
    dtype, shape, data = value["__array__"], value["shape"], value["data"]
    if type(dtype) is not str or not ARRAY_DTYPE.fullmatch(dtype) or type(data) is not str:
        raise Failure(f"{name}: an array of an unsupported type")
    if not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape) or len(shape) > MAX_DEPTH:
        raise Failure(f"{name}: an array with a malformed shape")
    try:
        raw = base64.b64decode(data, validate=True)
    except ValueError:
        raise Failure(f"{name}: an array whose data is not base64") from None
    if math.prod(shape) * int(dtype[2]) != len(raw):
        raise Failure(f"{name}: an array whose data does not fit its shape {tuple(shape)}")
    array = np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(shape).copy()
    return array[()] if not shape else array


def trusted_namespace():
    """What checks may use besides the reported values: NumPy, math, and the dataset folder."""
    return {"np": np, "math": math, "DATA": dataset_or_none()}


def run_checks(checks, values, where="checks"):
    """Run ``checks`` on ``values`` here; Failure with the first failed check's message."""
    namespace = {**trusted_namespace(), **values}
    try:
        exec(compile(checks, f"<{where}>", "exec"), namespace)
    except Exception as error:  # noqa: BLE001: any failing check, whatever it raised, fails the test
        raise Failure(str(error) or "a check failed", type(error).__name__) from None
