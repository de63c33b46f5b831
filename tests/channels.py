"""Two students' sandboxes and the channels between them outside the file system, tried as a
student's helpers would, through the grader's process that calls them (grading/judging/student_calls.py).

tests/sandbox/test_sandbox_channels.py runs it as the user running the tests (root, in CI), and as a normal
user: ``python -m tests.channels FOLDER`` (from the kit's root) prints what it found, as JSON. It
imports only the grader's side of the sandbox (NumPy and jupyter_client), never pytest.
"""
import json
import os
import sys
from pathlib import Path

from grading.judging.student_calls import Remote, student_process

ORDERS = ("ann then bob", "bob then ann")
# A student's helpers: plant(name) leaves ``name`` in every channel two processes could share outside
# the file system, find(name) looks for it in each; both return {channel: what happened}.
HELPERS = r'''
import ctypes, ctypes.util, errno, os, socket

libc = ctypes.CDLL(None, use_errno=True)
NUMBERS = {"x86_64": (248, 249, 250), "aarch64": (217, 218, 219)}  # add_key, request_key, keyctl
ADD_KEY, REQUEST_KEY, KEYCTL = NUMBERS[os.uname().machine]
USER_KEYRING, SEARCH, IPC_CREAT = -4, 10, 0o1000
_kept = []  # what must stay open while the other student looks


def _result(value):
    return value if value >= 0 else f"refused: {errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno())}"


def _key(name):
    return int.from_bytes(name.encode()[:4].ljust(4, b"\0"), "little") & 0x7fffffff


def plant(name):
    done = {"keyring": _result(libc.syscall(ADD_KEY, b"user", name.encode(), b"secret", 6, USER_KEYRING)),
            "sysv shm": _result(libc.shmget(_key(name), 4096, IPC_CREAT | 0o666)),
            "sysv queue": _result(libc.msgget(_key(name), IPC_CREAT | 0o666))}
    try:
        with open(f"/dev/shm/{name}", "w") as file:
            file.write("secret")
        done["/dev/shm"] = "written"
    except OSError as error:
        done["/dev/shm"] = f"refused: {error}"
    server = socket.socket(socket.AF_UNIX)
    server.bind(f"\0{name}")
    server.listen()
    _kept.append(server)
    done["abstract socket"] = "listening"
    return done


def find(name):
    found = {"keyring": _result(libc.syscall(KEYCTL, SEARCH, USER_KEYRING, b"user", name.encode(), 0)),
             "sysv shm": _result(libc.shmget(_key(name), 4096, 0)),
             "sysv queue": _result(libc.msgget(_key(name), 0)),
             "/dev/shm": os.path.exists(f"/dev/shm/{name}")}
    client = socket.socket(socket.AF_UNIX)
    try:
        client.connect(f"\0{name}")
        found["abstract socket"] = "connected"
    except OSError as error:
        found["abstract socket"] = f"refused: {error}"
    return found
'''


def hand_ins(folder):
    """Two hand-ins in ``folder`` whose helpers plant and find."""
    made = []
    for student in ("ann", "bob"):
        (Path(folder) / student / "helpers").mkdir(parents=True)
        (Path(folder) / student / "helpers" / "__init__.py").write_text(HELPERS)
        made.append(Path(folder) / student)
    return made


def try_channels(folder, order):
    """What one student planted and what the other found, beside it and after it, in ``order``."""
    ann, bob = hand_ins(Path(folder) / order.replace(" ", "_"))
    planter, finder = (ann, bob) if order == "ann then bob" else (bob, ann)
    name = f"lungkit-{os.getpid()}-{planter.name}"
    with student_process(planter, dict(os.environ), timeout=60) as first:
        planted = Remote(first, "plant", "plant")(name)
        with student_process(finder, dict(os.environ), timeout=60) as beside:  # at the same time, as with --jobs 2
            while_running = Remote(beside, "find", "find")(name)
    with student_process(finder, dict(os.environ), timeout=60) as after:  # graded next, as with --jobs 1
        afterwards = Remote(after, "find", "find")(name)
    return {"planted": planted, "found beside": while_running, "found after": afterwards}


def problems(tried):
    """What ``try_channels`` found that it must not have: one line each."""
    planted, found = tried["planted"], [tried["found beside"], tried["found after"]]
    wrong = [] if str(planted["keyring"]).startswith("refused") else ["a key was planted in the kernel keyring"]
    if type(planted["sysv shm"]) is not int or type(planted["sysv queue"]) is not int:
        wrong.append("System V IPC could not be used in the student's own namespace")
    if planted["abstract socket"] != "listening":
        wrong.append("no abstract socket in the student's own network namespace")
    for seen in found:
        wrong += ["/dev/shm"] if seen["/dev/shm"] else []
        wrong += [channel for channel in ("keyring", "sysv shm", "sysv queue", "abstract socket")
                  if not str(seen[channel]).startswith("refused")]
    return wrong


if __name__ == "__main__":
    print(json.dumps({order: try_channels(sys.argv[1], order) for order in ORDERS}))
