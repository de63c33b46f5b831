"""The warm parent of a hand-in's question processes (grading/judging/warm.py, sandboxed/warm_parent.py): each
question's process is forked by it, and must be as fresh as a sandbox of its own. Each test mounts
what a student would try from one question's process against the next one's, or against the parent."""
import os
import subprocess
import sys
import textwrap

import pytest

from grading.judging.evidence import function_values
from grading.judging.sandbox import SCRIPTS
from grading.judging.verdicts import Failure
from grading.judging.warm import WarmParent
from tests.conftest import require_tool

HELPERS = '''
import ctypes, os, signal, subprocess, sys, time

PLACES = [os.path.join(os.getcwd(), "left.txt"), os.path.join(os.environ["HOME"], "left.txt"), "/tmp/left.txt",
          "/dev/shm/left.txt", os.path.join(os.getcwd(), "helpers", "left.py")]

def add(a, b):
    return a + b

def parent_pid():
    return os.getppid()

def leave():
    """What one question's process leaves for the next: files everywhere it may write, an unwritable
    folder, its own helpers changed, and a process that outlives it."""
    written = []
    for place in PLACES:
        try:
            with open(place, "w") as file:
                file.write("answers = 'from an earlier question'")
            written.append(place)
        except PermissionError:  # /dev/shm is not the sandbox user's when grading runs as root
            pass
    os.mkdir("locked")
    open("locked/inside.txt", "w").close()
    os.chmod("locked", 0o500)
    with open(os.path.join("helpers", "__init__.py"), "a") as file:
        file.write("\\nCHANGED = True\\n")
    stays = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
    return [os.getppid(), stays.pid, len(written)]

def look(pids):
    """What the next question's process finds of it."""
    alive = [pid for pid in pids[1:2] if os.path.exists(f"/proc/{pid}")]
    others = sorted(int(pid) for pid in os.listdir("/proc") if pid.isdigit()
                    and int(pid) not in (1, os.getpid(), os.getppid()))
    return {"parent": os.getppid() == pids[0], "files": [place for place in PLACES if os.path.exists(place)],
            "locked": os.path.exists("locked"), "changed": "CHANGED" in globals(), "alive": alive, "others": others}

def peek():
    """Read or trace the parent: its memory, its environment, a ptrace attach."""
    found = {}
    for name in ("mem", "environ"):
        try:
            with open(f"/proc/{os.getppid()}/{name}", "rb") as file:
                found[name] = len(file.read(64))
        except OSError as error:
            found[name] = type(error).__name__
    libc = ctypes.CDLL(None, use_errno=True)
    found["ptrace"] = libc.ptrace(16, os.getppid(), None, None)  # PTRACE_ATTACH
    return found

def kill_parent():
    os.kill(os.getppid(), signal.SIGKILL)
    time.sleep(1)
    return "still here"
'''


@pytest.fixture
def warm_hand_in(tmp_path):
    """A hand-in with the helpers above, and its warm parent (bubblewrap needed)."""
    require_tool("bwrap", "bubblewrap", "the warm parent runs in the grading sandbox")
    hand_in = tmp_path / "hand_in"
    (hand_in / "helpers").mkdir(parents=True)
    (hand_in / "helpers" / "__init__.py").write_text(HELPERS)
    warm = WarmParent(hand_in, dict(os.environ))
    yield hand_in, warm
    warm.close()


def ask(hand_in, warm, probe, names):
    return function_values(textwrap.dedent(probe), names, hand_in, dict(os.environ), 120, warm=warm)


def test_each_question_process_starts_as_fresh_as_a_sandbox_of_its_own(warm_hand_in):
    hand_in, warm = warm_hand_in
    pids = ask(hand_in, warm, "pids = leave()", ["pids"])["pids"]
    assert pids[0] != 1, "forked by the warm parent, not started by bubblewrap (PID 1)"
    assert pids[2] >= 4, "the first process wrote its files: in its folder, helpers/, its home and /tmp"
    seen = ask(hand_in, warm, f"seen = look({[int(pid) for pid in pids]})", ["seen"])["seen"]
    assert seen["parent"], "both processes are children of the same warm parent"
    assert seen == {"parent": True, "files": [], "locked": False, "changed": False, "alive": [], "others": []}


def test_a_question_process_can_neither_read_nor_trace_its_parent(warm_hand_in):
    hand_in, warm = warm_hand_in
    found = ask(hand_in, warm, "found = peek()", ["found"])["found"]
    assert found == {"mem": "PermissionError", "environ": "PermissionError", "ptrace": -1}


def test_killing_the_parent_fails_that_question_only(warm_hand_in):
    hand_in, warm = warm_hand_in
    with pytest.raises(Failure, match="calling your helpers functions failed"):
        ask(hand_in, warm, "result = kill_parent()", ["result"])
    assert ask(hand_in, warm, "total = add(2, 3)", ["total"]) == {"total": 5}


def test_the_warm_parent_refuses_to_start_outside_a_sandbox(tmp_path):
    """It kills every other process of its user before each child: outside a sandbox's PID namespace it
    must not even start."""
    import socket

    mine, theirs = socket.socketpair()
    with mine, theirs:
        done = subprocess.run([sys.executable, "-I", str(SCRIPTS / "warm_parent.py"), str(theirs.fileno())],
                              cwd=tmp_path, pass_fds=[theirs.fileno()], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "runs only in a grading sandbox of its own" in done.stderr


def test_a_parent_that_cannot_start_leaves_the_questions_to_start_cold(warm_hand_in, monkeypatch, caplog):
    """As when a hand-in is too large for the sandbox's home: each question then fails or passes as a
    sandbox of its own would have it, and the grading log says why."""
    hand_in, warm = warm_hand_in

    def cannot_start():
        raise OSError("the grader's warm parent of the question processes did not start (a stand-in)")

    monkeypatch.setattr(warm, "_start_parent", cannot_start)
    with caplog.at_level("WARNING", logger="grading.judging.warm"):
        assert ask(hand_in, warm, "total = add(2, 3)", ["total"]) == {"total": 5}
        assert ask(hand_in, warm, "parent = parent_pid()", ["parent"]) == {"parent": 1}, "bubblewrap's, not a parent's"
    assert "the question processes start cold" in caplog.text
