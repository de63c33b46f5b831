"""The function questions' calls: the probe runs in the grader, and each call of a student's function
goes to a process of that question's own as plain data (grading/judging/student_calls.py). Without bubblewrap
(``sandbox=False``) the same caller runs, so the protocol and the limits are tested anywhere; the
sandboxed run is in tests/sandbox/test_sandbox.py."""
import os
import textwrap

import pytest

from grading.judging.evidence import function_values
from grading.judging.verdicts import Failure

HELPERS = '''
import inspect, os, sys, time
import numpy as np

def add(a, b):
    return a + b

def batches(images, batch_size=2):
    while True:
        yield images[:batch_size], images[:batch_size] > 0.5

class Model:
    def __call__(self, x):
        return np.full(np.shape(x), 0.5, "float32")

def U_Net(base_filters=8):
    return Model()

def boom():
    raise ValueError("not like this")

def hang():
    time.sleep(60)

def die():
    os._exit(3)

def flood():
    return np.zeros(13 * 2**20, "float64")  # 104 MiB, 139 MiB as base64

def harvest(*args, **kwargs):
    """What a student who read the grader looks for: every frame, every module, the command line."""
    seen = [repr(args), repr(kwargs), open("/proc/self/cmdline", "rb").read().decode(errors="replace")]
    frame = sys._getframe()
    while frame is not None:
        seen += [repr(frame.f_locals), repr(frame.f_globals.get("__file__"))]
        try:
            seen.append(inspect.getsource(frame))
        except (OSError, TypeError):
            pass
        frame = frame.f_back
    seen += [repr(vars(module)) for module in list(sys.modules.values()) if module is not None][:400]
    return "\\n".join(seen)
'''
SECRET = "hidden_input_the_student_must_not_see = 'Q7-SECRET-INPUT'"


@pytest.fixture
def hand_in(tmp_path):
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text(HELPERS)
    return tmp_path


def values(hand_in, probe, names, timeout=60):
    return function_values(textwrap.dedent(probe), names, hand_in, dict(os.environ), timeout, sandbox=False)


def test_calls_return_plain_data_and_objects_stay_in_the_students_process(hand_in):
    got = values(hand_in, """
        total = add(np.arange(3), 1)
        images, masks = next(batches(np.linspace(0, 1, 8).reshape(8, 1)))
        output = U_Net(base_filters=16)(np.zeros((2, 4, 4, 1), "float32"))
    """, ["total", "images", "masks", "output"])
    assert got["total"].tolist() == [1, 2, 3]
    assert got["images"].shape == (2, 1) and got["masks"].dtype == bool
    assert got["output"].shape == (2, 4, 4, 1) and float(got["output"].max()) == 0.5


def test_what_the_students_code_raises_is_its_answer(hand_in):
    with pytest.raises(Failure, match="not like this") as raised:
        values(hand_in, "boom()", [])
    assert raised.value.ename == "ValueError"
    with pytest.raises(Failure, match="is not plain data") as raised:
        values(hand_in, "shape = U_Net().shape", ["shape"])


def test_a_crash_a_hang_and_a_flood_fail_the_question_only(hand_in):
    with pytest.raises(Failure, match="stopped with status 3"):
        values(hand_in, "die()", [])
    with pytest.raises(Failure, match="ran out of the time"):
        values(hand_in, "hang()", [], timeout=5)
    with pytest.raises(Failure, match="more than 128 MiB"):
        values(hand_in, "flood()", [])


def test_the_students_process_sees_the_arguments_and_no_test_code(hand_in):
    """What the process that runs student code can find is what its function was given: the probe,
    its hidden lines and the checks stay in the grader."""
    probe = f"""
        {SECRET}
        expected_answer_kept_by_the_grader = "EXPECTED-ANSWER"
        seen = harvest(np.arange(3), scale=2.5)
    """
    seen = values(hand_in, probe, ["seen"])["seen"]
    assert "array([0, 1, 2])" in seen and "2.5" in seen, "the arguments, as given"
    assert "hidden_input_the_student" not in seen and "Q7-SECRET" not in seen and "EXPECTED-ANSWER" not in seen
