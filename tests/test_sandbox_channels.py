"""No channel between two students' sandboxes: what one plants, the next (or one running beside it)
cannot find. Each channel is tried as a student's helpers would, through the process that calls the
student's functions for the grader (grading/student_calls.py), in both orders."""
import os

import pytest

from grading.student_calls import Remote, student_process
from tests.conftest import require_tool

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


@pytest.fixture
def students(tmp_path):
    """Two hand-ins with the channel-probing helpers."""
    folders = []
    for student in ("ann", "bob"):
        (tmp_path / student / "helpers").mkdir(parents=True)
        (tmp_path / student / "helpers" / "__init__.py").write_text(HELPERS)
        folders.append(tmp_path / student)
    return folders


def calls(hand_in):
    return student_process(hand_in, dict(os.environ), timeout=60)


@pytest.mark.parametrize("order", ["ann then bob", "bob then ann"])
def test_what_one_student_plants_the_next_cannot_find(order, students):
    require_tool("bwrap", "bubblewrap", "the channels are those between two sandboxes")
    planter, finder = students if order == "ann then bob" else students[::-1]
    name = f"lungkit-{os.getpid()}-{planter.name}"
    with calls(planter) as first:
        planted = Remote(first, "plant", "plant")(name)
        with calls(finder) as beside:  # running at the same time, as with --jobs 2
            while_running = Remote(beside, "find", "find")(name)
    with calls(finder) as after:  # graded next, as with --jobs 1
        afterwards = Remote(after, "find", "find")(name)
    print(order, "planted:", planted, "found beside:", while_running, "found after:", afterwards)
    assert str(planted["keyring"]).startswith("refused"), "the kernel keyring is closed to student code"
    assert type(planted["sysv shm"]) is int and type(planted["sysv queue"]) is int, "planted in its own namespace"
    assert planted["abstract socket"] == "listening", "planted in its own network namespace"
    for found in (while_running, afterwards):
        assert not found["/dev/shm"], found
        assert all(str(found[channel]).startswith("refused") for channel in
                   ("keyring", "sysv shm", "sysv queue", "abstract socket")), found
