"""Runs inside the grading sandbox of one hand-in: a warm parent of that hand-in's one-question processes.

    python -I warm_parent.py CONTROL_FD

Started by the launcher like any sandboxed script (limits, the sandbox user, the keyring closed, a
scratch copy of the hand-in in the private home), it imports NumPy and Keras (TensorFlow) once, runs
no student code itself, and then, for each request on the control socket (``{"script": NAME}`` with
the child's standard input, output and error as passed descriptors), forks a child that runs the
kit's script NAME (``call_functions.py``, ``run_cell.py``, ``export_model.py``) as ``python -I NAME``
would, but without starting TensorFlow again: a question's process starts in a fraction of a second
instead of several.

Each child is as fresh as a process of its own: it starts from this parent, which no student code
has touched; before each child, every process the last one left is killed and the private home,
``/tmp`` and ``/dev/shm`` are wiped and the hand-in put back as the launcher copied it. This parent is not
dumpable, so a child cannot trace it or read its memory. It answers each request with
``{"exit": STATUS}`` once the child has ended.
"""
import ctypes
import importlib
import json
import os
import runpy
import shutil
import signal
import socket
import stat
import sys
import time
import traceback

PR_SET_DUMPABLE = 4
SCRIPTS = ("call_functions.py", "run_cell.py", "export_model.py")  # those that run student code
SCRATCH = ("/tmp", "/dev/shm")  # besides the private home: what a child may write


def in_own_sandbox():
    """True in a sandbox's PID namespace, where bubblewrap is PID 1: killing every other process of
    this user can only reach the sandbox's own."""
    try:
        with open("/proc/1/cmdline", "rb") as cmdline:
            return os.path.basename(cmdline.read().split(b"\0")[0]) == b"bwrap"
    except OSError:
        return False


def snapshot(folder):
    """``[(relative path, kind, mode, bytes or link target)]`` of everything under ``folder`` (the
    launcher's copy of the hand-in, start-up files already left out)."""
    entries = []
    for root, folders, files in os.walk(folder):
        for name in folders + files:
            path = os.path.join(root, name)
            relative, info = os.path.relpath(path, folder), os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                entries.append((relative, "link", 0, os.readlink(path)))
            elif stat.S_ISDIR(info.st_mode):
                entries.append((relative, "folder", stat.S_IMODE(info.st_mode), None))
            elif stat.S_ISREG(info.st_mode):
                with open(path, "rb") as file:
                    entries.append((relative, "file", stat.S_IMODE(info.st_mode), file.read()))
    return entries


def restore(folder, entries):
    """Put ``folder`` back as ``snapshot`` found it."""
    os.makedirs(folder, exist_ok=True)
    for relative, kind, mode, content in entries:
        path = os.path.join(folder, relative)
        if kind == "link":
            os.symlink(content, path)
        elif kind == "folder":
            os.mkdir(path, mode | stat.S_IRWXU)
        else:
            with open(path, "wb") as file:
                file.write(content)
            os.chmod(path, mode)


def empty(folder):
    """Remove everything in ``folder`` (what a child wrote), whatever modes it set."""
    for root, folders, _ in os.walk(folder):
        for name in folders:
            try:
                os.chmod(os.path.join(root, name), stat.S_IRWXU)
            except OSError:
                pass
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


def kill_the_rest():
    """Kill every process of this user in the sandbox but this one (what a child left running), and
    reap those that were ours; the sandbox's init reaps the others."""
    for _ in range(200):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            return
        try:
            while os.waitpid(-1, os.WNOHANG) != (0, 0):
                pass
        except ChildProcessError:
            pass
        time.sleep(0.01)
    sys.exit("warm_parent.py: what a child left running could not be killed")


def run_child(script, fds, control):
    """In the forked child: become ``python -I script`` on the passed standard streams; never returns."""
    status = 0
    try:
        control.close()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), script)
        sys.argv = [path]
        runpy.run_path(path, run_name="__main__")
    except SystemExit as done:
        status = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:  # noqa: BLE001: as Python reports an uncaught exception
        traceback.print_exc()
        status = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(status)


def main(argv):
    control = socket.socket(fileno=int(argv[1]))
    if not in_own_sandbox():
        sys.exit("warm_parent.py runs only in a grading sandbox of its own")
    if ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        sys.exit("warm_parent.py: could not make itself non-dumpable")
    workdir, home = os.getcwd(), os.environ["HOME"]
    handed_in = snapshot(workdir)
    for module in ("numpy", "keras"):  # Keras starts TensorFlow: once, for every child
        importlib.import_module(module)

    control.sendall(b'{"ready": true}\n')
    while True:
        message, fds, _, _ = socket.recv_fds(control, 4096, 3)
        if not message:
            return
        script = json.loads(message)["script"]
        if script not in SCRIPTS or len(fds) != 3:
            sys.exit(f"warm_parent.py: refused request {message[:200]!r}")
        kill_the_rest()
        for folder in (home, *SCRATCH):
            empty(folder)
        restore(workdir, handed_in)
        os.chdir(workdir)
        child = os.fork()
        if child == 0:
            run_child(script, fds, control)
        for fd in fds:
            os.close(fd)
        _, status = os.waitpid(child, 0)
        control.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")

if __name__ == "__main__":
    main(sys.argv)
