"""Autograde's own parts (grading/autograding/autograde.py) that need no hand-in; tests/e2e/test_grading.py
grades the class with it."""
import os
import signal

import pytest

from grading.autograding.autograde import ctrl_c_held


@pytest.fixture(autouse=True)
def ctrl_c_raises():
    """Ctrl-C as in an instructor's terminal (a pytest-xdist worker ignores it)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_a_ctrl_c_during_a_merge_waits_for_the_merge_then_stops():
    """nbgrader's steps catch KeyboardInterrupt: Ctrl-C pressed while one runs is held until it ends."""
    done = []
    with pytest.raises(KeyboardInterrupt):
        with ctrl_c_held():
            os.kill(os.getpid(), signal.SIGINT)
            done.append("merged")
    assert done == ["merged"] and signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_without_a_ctrl_c_nothing_is_raised():
    with ctrl_c_held():
        pass
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
