"""Runs inside the sandbox, in the scratch copy of one hand-in: call the student's functions on the
grader's inputs, and print what they returned as plain data.

    python -I call_functions.py INPUTS < REQUEST_JSON > RESULT_JSON

The request is ``{"probes": {grade_id: {"code": ..., "names": [...]}}}``: each probe is the code
above a test cell's ``# Checks`` line, and ``names`` what its checks read. Each probe runs in a
namespace of its own, holding everything ``helpers`` exports, then the grader's inputs from
``INPUTS/given.npz`` (the reference training, validation and test arrays) and ``DATA``, the
dataset folder. Nothing of the notebooks runs here. The result is ``{grade_id: {"values": {...}}}``
or ``{grade_id: {"error": "Name: message"}}``, written to the original standard output; what the
student's code prints goes to standard error.
"""
import json
import os
import sys
import traceback
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plain_data import encode  # noqa: E402


def main():
    request = json.load(sys.stdin)
    result = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # the student's prints go to stderr
    sys.path.insert(0, os.getcwd())
    import numpy

    given_file = Path(sys.argv[1]) / "given.npz"
    given = dict(numpy.load(given_file, allow_pickle=False)) if given_file.is_file() else {}
    answers = {}
    for grade_id, probe in request["probes"].items():
        answers[grade_id] = run_probe(probe, {"np": numpy, "DATA": Path(os.environ["LUNGKIT_DATA"]), **given})
    json.dump(answers, result)
    result.close()


def run_probe(probe, given):
    """``{"values": ...}`` of one probe, or ``{"error": ...}`` naming what it raised."""
    namespace = {}
    try:
        exec("from helpers import *", namespace)
        namespace.update(given)
        exec(compile(probe["code"], "<test>", "exec"), namespace)
        return {"values": {name: encode(namespace[name]) for name in probe["names"] if name in namespace}}
    except BaseException as error:  # noqa: BLE001: whatever the student's code raised is its answer
        traceback.print_exc()
        return {"error": f"{type(error).__name__}: {error}"[:2000]}


if __name__ == "__main__":
    main()
