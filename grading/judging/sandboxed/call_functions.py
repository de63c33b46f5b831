"""Runs inside the sandbox, in the scratch copy of one hand-in: the kit's fixed caller of the
student's ``helpers`` functions, for one question.

    python -I call_functions.py < REQUESTS > ANSWERS

It reads requests, one JSON line each, and answers each with one JSON line, in order:

- ``{"call": NAME or HANDLE, "args": [...], "kwargs": {...}}``: call the ``helpers`` function NAME,
  or what an earlier answer left here as HANDLE (a model, say), with the grader's arguments;
- ``{"next": HANDLE}``: the next item of what HANDLE holds (a generator's batch).

The answer is ``{"value": ...}`` (plain data, ``plain_data.encode``), ``{"handle": N, "type": ...}``
for a result that is not plain data (it stays here, to be called or iterated by a later request),
or ``{"error": "Name: message"}``. Nothing but these requests reaches this process: no test code,
no expected value, no other question's inputs. What the student's code prints goes to standard
error.
"""
import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plain_data import decode, encode  # noqa: E402


def main():
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # the student's prints go to stderr
    sys.path.insert(0, os.getcwd())
    handles = []
    for line in sys.stdin:
        answers.write(json.dumps(answer(json.loads(line), handles)) + "\n")
        answers.flush()


def answer(request, handles):
    """The answer to one request; ``handles`` keeps the results that are not plain data."""
    try:
        if "next" in request:
            result = next(handles[request["next"]])
        else:
            target = request["call"]
            function = handles[target] if isinstance(target, int) else getattr(__import__("helpers"), target)
            result = function(*decode(request["args"]), **decode(request["kwargs"]))
        value = encode(result)
        if isinstance(value, dict) and "__unsupported__" in value:
            handles.append(result)
            return {"handle": len(handles) - 1, "type": type(result).__name__}
        return {"value": value}
    except BaseException as error:  # noqa: BLE001: whatever the student's code raised is its answer
        traceback.print_exc()
        return {"error": f"{type(error).__name__}: {error}"[:2000]}


if __name__ == "__main__":
    main()
