"""What importing the kit's helpers does: TensorFlow only when a model is needed, oneDNN on by default."""
import os
import platform
import subprocess
import sys

import pytest

KIT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(code, **environment):
    """Run ``code`` in a fresh Python with the kit on its path; its stdout."""
    env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    done = subprocess.run([sys.executable, "-c", code], cwd=KIT, env={**env, **environment}, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_functions_that_need_no_model_do_not_start_tensorflow():
    code = ("import sys, helpers\nfrom helpers import load_data, compute_IoU, scheduler, find_dataset, FAST_MODE\n"
            "print('tensorflow' in sys.modules)\nfrom helpers import U_Net\nprint('tensorflow' in sys.modules)")
    assert run(code).split() == ["False", "True"]


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="oneDNN is set on x86 CPUs only")
def test_onednn_is_on_unless_the_user_says_otherwise():
    show = ("import os, helpers\nfrom tensorflow.python.util import _pywrap_util_port\n"
            "print(os.environ['TF_ENABLE_ONEDNN_OPTS'], _pywrap_util_port.IsMklEnabled())")
    assert run(show) == "1 True"
    assert run(show, TF_ENABLE_ONEDNN_OPTS="0") == "0 False"
