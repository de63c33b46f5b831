"""No channel between two students' sandboxes: what one plants, the next (or one running beside it)
cannot find (tests/channels.py), in both orders, as the user running the tests and as a normal user.

As root (as CI runs), each sandbox drops to an unprivileged user id without a user namespace; run by
a normal user, the sandbox is bubblewrap's user namespace instead. Both must hold."""
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grading.course import KIT
from tests.channels import ORDERS, problems, try_channels
from tests.conftest import require_tool

NORMAL_USER = "lungkit-grader"


@pytest.mark.parametrize("order", ORDERS)
def test_what_one_student_plants_the_next_cannot_find(order, tmp_path):
    require_tool("bwrap", "bubblewrap", "the channels are those between two sandboxes")
    tried = try_channels(tmp_path, order)
    print(order, tried)
    assert problems(tried) == [], tried


def test_nor_when_a_normal_user_grades():
    """The test above, run by a user of its own (made here, as root) with a Python of its own: the
    system's, in a virtual environment holding the grader's versions of NumPy and jupyter_client."""
    if os.getuid() != 0:
        pytest.skip("this run is a normal user's already: the test above is that case")
    require_tool("bwrap", "bubblewrap", "the channels are those between two sandboxes")
    require_tool("setpriv", "util-linux", "it runs the grader's side as a normal user")
    python = Path("/usr/bin/python3")
    if subprocess.run([python, "-c", "import ensurepip, venv"], capture_output=True).returncode:
        pytest.fail("a normal user needs a Python outside root's home: apt-get install python3-venv (see .ci/run)")
    if subprocess.run(["id", NORMAL_USER], capture_output=True).returncode:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", NORMAL_USER],
                       check=True)
    user = pwd.getpwnam(NORMAL_USER)
    folder = Path(tempfile.mkdtemp(prefix="lungkit-normal-user-"))
    try:
        os.chown(folder, user.pw_uid, user.pw_gid)
        pins = folder / "constraints.txt"
        pins.write_text(subprocess.run([sys.executable, "-m", "pip", "freeze"], capture_output=True, text=True,
                                       check=True).stdout)
        as_user = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", "--",
                   "env", "-i", f"HOME={folder}", "PATH=/usr/bin:/bin", "TMPDIR=/tmp"]
        venv = folder / "venv"
        for command in ([python, "-m", "venv", venv],
                        [venv / "bin" / "pip", "install", "--quiet", "-c", pins, "numpy", "jupyter_client"]):
            subprocess.run([*as_user, *map(str, command)], check=True, cwd=folder, timeout=600)
        done = subprocess.run([*as_user, str(venv / "bin" / "python"), "-m", "tests.channels", str(folder / "hand_ins")],
                              cwd=KIT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for order, tried in json.loads(done.stdout).items():
        print(f"as {NORMAL_USER}, {order}:", tried)
        assert problems(tried) == [], (order, tried)
