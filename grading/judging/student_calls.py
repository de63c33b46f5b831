"""The student's ``helpers`` functions, called from the grader, run in a sandboxed process of their own.

The grader runs a function question's probe itself; the probe's ``load_data``, ``U_Net``... are
``Remote`` stand-ins that send each call (the function's name and the arguments, as plain data) to
``sandboxed/call_functions.py``, the kit's fixed caller, and decode its answer as plain data
(``verdicts.decode``) within a size limit and the question's time. A result that is not plain data
(a generator, a model) stays in that process; the probe gets a ``Remote`` for it, to call or
iterate. So the student's process receives the arguments of its own question's calls and nothing
else: no test code, no expected value, no other question's inputs.
"""
import contextlib
import json
import os
import selectors
import subprocess
import tempfile
import time
from pathlib import Path

from .sandbox import Limits, last_line, start_script
from .sandboxed.plain_data import encode
from .verdicts import Failure, decode

MAX_ANSWER_BYTES = 128 * 2**20  # one answer: load_data's arrays in float64 come to about 60 MB


class StudentProcess:
    """One sandboxed ``call_functions.py``: requests in, answers out, all before ``deadline``."""

    def __init__(self, process, deadline, errors):
        self._process, self._deadline, self._errors = process, deadline, errors
        self._received = bytearray()
        for stream in (process.stdin, process.stdout):
            os.set_blocking(stream.fileno(), False)

    def request(self, message, what):
        """Send ``message``; the decoded value it answers, a Remote for a result left there, or a Failure."""
        answer = self._exchange(json.dumps(message).encode() + b"\n")
        try:
            answer = json.loads(answer)
        except ValueError:
            raise Failure(f"{what}: the answer was not plain data", "GradingError") from None
        if not isinstance(answer, dict):
            raise Failure(f"{what}: the answer was not plain data", "GradingError")
        if "error" in answer:
            ename, _, text = str(answer["error"]).partition(": ")
            raise Failure(text or f"your helpers raised {ename[:80]} (not implemented yet?)", ename[:80])
        if "handle" in answer and type(answer["handle"]) is int:
            return Remote(self, answer["handle"], f"{what}, a {str(answer.get('type'))[:80]}")
        return decode(answer.get("value"), what)

    def _exchange(self, data):
        """Write ``data``, then read one answer line, both within the deadline and the size limit."""
        stdin, stdout = self._process.stdin.fileno(), self._process.stdout.fileno()
        pending = memoryview(data)
        with selectors.DefaultSelector() as selector:
            selector.register(stdin, selectors.EVENT_WRITE)
            selector.register(stdout, selectors.EVENT_READ)
            while b"\n" not in self._received:
                left = self._deadline - time.monotonic()
                if left <= 0:
                    raise Failure("calling your helpers functions ran out of the time this question has",
                                  "TimeoutError")
                for key, _ in selector.select(left):
                    if key.fd == stdin:
                        try:
                            pending = pending[os.write(stdin, pending[:2**16]):]
                        except BrokenPipeError:
                            pending = pending[:0]
                        if not pending:
                            selector.unregister(stdin)
                        continue
                    chunk = os.read(stdout, 2**20)
                    if not chunk:
                        raise self._stopped()
                    self._received += chunk
                    if len(self._received) > MAX_ANSWER_BYTES:
                        raise Failure(f"your helpers returned more than {MAX_ANSWER_BYTES // 2**20} MiB for one call",
                                      "GradingError")
        line, _, rest = bytes(self._received).partition(b"\n")
        self._received = bytearray(rest)
        return line

    def _stopped(self):
        """The Failure of a process that ended before it answered."""
        status = self._process.wait()
        self._errors.seek(0)
        why = last_line(self._errors.read().decode(errors="replace"))
        return Failure(f"calling your helpers functions failed (it stopped with status {status}: {why})",
                       "GradingError")


class Remote:
    """A student's function, or what one returned, in the student's process: called or iterated there."""

    def __init__(self, process, target, what):
        self._process, self._target, self._what = process, target, what

    def __call__(self, *args, **kwargs):
        return self._process.request({"call": self._target, "args": encode(list(args)), "kwargs": encode(kwargs)},
                                     self._what)

    def __iter__(self):
        return self

    def __next__(self):
        return self._process.request({"next": self._target}, self._what)

    def __getattr__(self, name):
        raise Failure(f"{self._what} is not plain data ({name} cannot be read from it)", "GradingError")


@contextlib.contextmanager
def student_process(submission, environment, timeout, sandbox=True, script="call_functions.py", warm=None,
                    limits=Limits()):
    """A fresh ``script`` (the fixed caller of functions, or ``run_cell.py``) on ``submission``, for
    ``timeout`` seconds, within ``limits``, forked by ``warm`` if given; a StudentProcess."""
    with tempfile.TemporaryDirectory(prefix="lungkit-calls-") as scratch, open(Path(scratch) / "err", "w+b") as errors:
        process = start_script(script, environment, scratch, submission=submission, sandbox=sandbox, warm=warm,
                               limits=limits, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors)
        try:
            yield StudentProcess(process, time.monotonic() + timeout, errors)
        finally:
            for stream in (process.stdin, process.stdout):
                with contextlib.suppress(OSError):
                    stream.close()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
