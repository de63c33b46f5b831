"""A warm parent per hand-in: its one-question processes start without starting TensorFlow again.

Each question's process used to be a fresh sandbox that imported TensorFlow, 3 to 4 s of CPU each,
six times a hand-in. ``WarmParent`` starts one sandbox per hand-in running
``sandboxed/warm_parent.py``, which imports it once and forks a child per question, made as fresh as
a sandbox of its own (see that script). A ``WarmChild`` stands where a ``subprocess.Popen`` stood:
the same standard streams, ``wait``, ``kill`` and ``communicate``; killing one ends its parent's
whole sandbox, and the next question starts a new parent.
"""
import json
import logging
import os
import selectors
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from .sandbox import Limits, last_line, start_script

log = logging.getLogger(__name__)
READY_SECONDS = 120  # for the parent to import TensorFlow


class WarmParent:
    """The warm parent of the sandboxed hand-in ``submission``, started on first use; one child at a time."""

    def __init__(self, submission, environment, limits=Limits()):
        self._submission, self._environment, self._limits = submission, environment, limits
        self._lock = threading.Lock()
        self._process = self._control = self._scratch = None
        self._failed = False  # the parent could not start once: the questions start cold, as without it

    def start(self, script, stdin=None, stdout=None, stderr=None):
        """A WarmChild running ``script`` on these streams (``subprocess.PIPE`` or an open file); None
        when the parent cannot start (a hand-in too large for the sandbox's home, say): the caller then
        starts the script as a sandbox of its own, which fails or not as it would have."""
        self._lock.acquire()
        try:
            if self._process is None or self._process.poll() is not None:
                if self._failed:
                    self._lock.release()
                    return None
                self._start_parent()
            return WarmChild(self, script, stdin, stdout, stderr)
        except OSError as error:
            log.warning("%s: the question processes start cold (%s)", self._submission, error)
            self._failed = True
            self._lock.release()
            return None
        except BaseException:
            self._lock.release()
            raise

    def _start_parent(self):
        self.close()
        self._scratch = tempfile.TemporaryDirectory(prefix="lungkit-warm-")
        self._control, theirs = socket.socketpair()
        with theirs, open(Path(self._scratch.name) / "log", "wb") as log:
            self._process = start_script("warm_parent.py", self._environment, self._scratch.name,
                                         args=[theirs.fileno()], submission=self._submission, limits=self._limits,
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=[theirs.fileno()])
        if self.read_line(time.monotonic() + READY_SECONDS) != {"ready": True}:
            why = last_line((Path(self._scratch.name) / "log").read_text(errors="replace"))
            self.close()
            raise OSError(f"the grader's warm parent of the question processes did not start ({why})")

    def read_line(self, deadline=None):
        """The next JSON line from the parent, None past ``deadline`` (if any) or when it is gone."""
        received = b""
        with selectors.DefaultSelector() as selector:
            selector.register(self._control, selectors.EVENT_READ)
            while not received.endswith(b"\n"):
                left = None if deadline is None else deadline - time.monotonic()
                if (left is not None and left <= 0) or not selector.select(left):
                    return None
                chunk = self._control.recv(4096)
                if not chunk:
                    return None
                received += chunk
        try:
            return json.loads(received)
        except ValueError:
            return None

    def close(self):
        """End the parent's sandbox, if it runs (no child of it may be running)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._control.close()
            self._scratch.cleanup()
            self._process = None


class WarmChild:
    """One question's process, forked by a WarmParent; used as a ``subprocess.Popen`` is."""

    def __init__(self, parent, script, stdin, stdout, stderr):
        self._parent, self.args, self.returncode = parent, script, None
        self.stdin = self.stdout = self.stderr = None
        theirs = []
        for name, stream, mode in (("stdin", stdin, "wb"), ("stdout", stdout, "rb"), ("stderr", stderr, "rb")):
            if stream == subprocess.PIPE:
                read, write = os.pipe()
                mine, child = (write, read) if name == "stdin" else (read, write)
                setattr(self, name, open(mine, mode, buffering=0))
                theirs.append(child)
            else:
                theirs.append(os.dup(stream.fileno()) if stream is not None else os.open(os.devnull, os.O_RDWR))
        try:
            socket.send_fds(parent._control, [json.dumps({"script": script}).encode()], theirs)
        finally:
            for fd in theirs:
                os.close(fd)

    def wait(self, timeout=None):
        """The child's exit status; subprocess.TimeoutExpired past ``timeout`` seconds."""
        if self.returncode is None:
            deadline = None if timeout is None else time.monotonic() + timeout
            answer = self._parent.read_line(deadline)
            if answer is None and deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(self.args, timeout)
            self.returncode = answer.get("exit", -9) if isinstance(answer, dict) else -9
            if answer is None:
                self._parent.close()
            self._parent._lock.release()
        return self.returncode

    def kill(self):
        """End the child, and with it its parent's sandbox."""
        if self.returncode is None:
            self._parent.close()
            self.returncode = -9
            self._parent._lock.release()

    def communicate(self, input=None, timeout=None):
        """Write ``input``, close the child's standard input, and wait; as Popen's, with files for the output."""
        if self.stdin is not None:
            try:
                self.stdin.write(input or b"")
            except BrokenPipeError:
                pass
            self.stdin.close()
        self.wait(timeout)
        return None, None
