"""The grading sandbox on its own: a kernel started in it, probed from inside."""
import asyncio
import csv
import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from grading.__main__ import main
from grading.course import KIT, Course, step_dir
from grading.autograding.preprocessors import GradingExecute
from grading.judging.evidence import function_values
from grading.judging.sandbox import (INSTALL_HINT, UID_LOCKS, SandboxedKernelManager, SandboxError, bwrap_path,
                                     python_roots, sandbox_uid)
from tests import attacks
from tests.conftest import require_tool

PROBE = """
import json, os, resource, socket
seen = {{"uid": os.getuid(), "pid": os.getpid(), "cwd": os.getcwd(), "files": sorted(os.listdir(".")),
        "visible": [p for p in {paths!r} if os.path.exists(p)], "env": sorted(os.environ),
        "processes": resource.getrlimit(resource.RLIMIT_NPROC)[0], "niceness": os.nice(0),
        "file_bytes": resource.getrlimit(resource.RLIMIT_FSIZE)[0],
        "home": sorted(os.listdir({home!r})) if os.path.isdir({home!r}) else []}}
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2)
    seen["connected"] = True
except OSError:
    seen["connected"] = False
writes = {{}}
for path in ("/submission/x", "/tmp/x", "x", {ipc!r} + "/x", {data!r} + "/x"):
    try:
        open(path, "w").write("x")
        writes[path] = True
    except OSError:
        writes[path] = False
seen["writes"] = writes
print(json.dumps(seen))
"""


# Limits an instructor set (c.GradingExecute.limits), other than the defaults.
LIMITS = GradingExecute(limits={"processes": 300, "file_bytes": 100 * 2**20, "niceness": 7}).sandbox_limits


def run_in_sandbox(autograded, code, env):
    """Start a sandboxed kernel for the submission matching ``autograded`` within LIMITS, run ``code``, return
    its stdout."""
    async def session():
        manager = SandboxedKernelManager(kernel_name="python3")
        course, _, student = Course.holding(autograded)
        manager.submission = course.step("submitted", student)
        manager.limits = LIMITS
        await manager.start_kernel(cwd=str(autograded), env=env)
        client = manager.client()
        client.start_channels()
        printed = []
        try:
            await client.wait_for_ready(timeout=60)
            manager.lock_ipc_folder()
            code_with_ipc = code.replace("IPC_DIR", str(manager._ipc_dir))
            await client.execute_interactive(code_with_ipc, timeout=60,
                                             output_hook=lambda m: printed.append(m["content"].get("text", "")))
        finally:
            client.stop_channels()
            await manager.shutdown_kernel(now=True)
        return "".join(printed), manager._scratch

    return asyncio.run(session())


@pytest.fixture
def listener():
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    yield server
    server.close()


def test_a_sandboxed_kernel_sees_only_its_submission(tmp_path, listener, synthetic_dataset):
    require_tool("bwrap", "bubblewrap", "grading kernels run in a bubblewrap sandbox")
    course = tmp_path / "course"
    submission = course / "submitted" / "alice" / "lung_segmentation"
    (submission / "helpers").mkdir(parents=True)
    (submission / "helpers" / "__init__.py").write_text("")
    autograded = course / "autograded" / "alice" / "lung_segmentation"
    autograded.mkdir(parents=True)
    (course / "source").mkdir()
    (course / "gradebook.db").write_text("")
    hidden = [str(course), str(course / "source"), str(course / "gradebook.db"), str(autograded)]
    home = Path.home()
    code = PROBE.format(paths=hidden, port=listener.getsockname()[1], ipc="IPC_DIR", data=str(synthetic_dataset),
                        home=str(home))
    env = {**os.environ, "LUNGKIT_DATA": str(synthetic_dataset), "KAGGLE_API_TOKEN": "secret", "PYTHONPATH": "/x"}
    printed, scratch = run_in_sandbox(autograded, code, env)
    seen = json.loads(printed.strip().splitlines()[-1])

    assert seen["cwd"] == "/home/student/lung_segmentation" and seen["files"] == ["helpers"]
    assert seen["visible"] == []
    # Of the grader's home, only the way to the Python environment, if it lies there.
    assert set(seen["home"]) <= {root.relative_to(home).parts[0] for root in python_roots() if home in root.parents}
    assert "KAGGLE_API_TOKEN" not in seen["env"] and "PYTHONPATH" not in seen["env"]
    assert seen["pid"] < 10, "its own PID namespace"
    assert seen["niceness"] == os.nice(0) + LIMITS.niceness, "below the grader's priority"
    assert seen["file_bytes"] == LIMITS.file_bytes
    assert seen["connected"] is False
    with pytest.raises(TimeoutError):
        listener.accept()
    assert seen["writes"] == {"/submission/x": False, "/tmp/x": True, "x": True, f"{scratch}/ipc/x": os.getuid() != 0,
                              f"{synthetic_dataset}/x": False}
    if os.getuid() == 0:
        assert seen["uid"] == sandbox_uid() != 0 and seen["processes"] == LIMITS.processes
    assert not (submission / "x").exists() and not scratch.exists()


def test_a_questions_process_gets_the_limits_the_instructor_set(tmp_path):
    require_tool("bwrap", "bubblewrap", "the question processes run in a bubblewrap sandbox")
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text(
        "import os, resource\ndef limits():\n    return [resource.getrlimit(resource.RLIMIT_FSIZE)[0], os.nice(0)]\n")
    got = function_values("seen = limits()", ["seen"], tmp_path, dict(os.environ), 60, limits=LIMITS)
    assert got["seen"] == [LIMITS.file_bytes, os.nice(0) + LIMITS.niceness]


def test_two_grading_processes_at_once_never_share_a_sandbox_user():
    """Two graders on one machine (two job slots, two ``grade`` runs, a worker beside them), each holding
    its sandbox user while it lives: different users, so one student's fork bomb never spends another's
    process limit."""
    if os.getuid() != 0:
        pytest.skip("a grader that is not root gives each sandbox a user namespace of its own: no user to share")
    claim = "import sys, time; from grading.judging.sandbox import sandbox_uid; print(sandbox_uid(), flush=True); time.sleep(120)"
    graders = [subprocess.Popen([sys.executable, "-c", claim], cwd=KIT, stdout=subprocess.PIPE, text=True)
               for _ in range(2)]
    try:
        uids = [int(grader.stdout.readline()) for grader in graders]
        assert uids[0] != uids[1] and sandbox_uid() not in uids, uids
        for uid in uids:
            with open(UID_LOCKS / str(uid), "rb") as lock, pytest.raises(BlockingIOError):
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        for grader in graders:
            grader.kill()
            grader.wait()


def test_nothing_in_the_submission_runs_before_the_kernel(tmp_path, synthetic_dataset):
    """An ipykernel_launcher.py, IPython start-up files and configuration in the submission never run,
    even if collect let them through."""
    require_tool("bwrap", "bubblewrap", "grading kernels run in a bubblewrap sandbox")
    submission = tmp_path / "course" / "submitted" / "alice" / "lung_segmentation"
    attacks.add_files(submission, attacks.SHADOW_FILES)
    autograded = tmp_path / "course" / "autograded" / "alice" / "lung_segmentation"
    autograded.mkdir(parents=True)
    code = "import builtins, os; print(getattr(builtins, 'SHADOW_RAN', None), sorted(os.listdir('.')))"
    printed, _ = run_in_sandbox(autograded, code, {**os.environ, "LUNGKIT_DATA": str(synthetic_dataset)})
    # The launcher is there, but the kernel starts with -I; the configuration is not even copied.
    assert printed == "None ['ipykernel_launcher.py']\n"


def test_without_bubblewrap_grading_says_how_to_install_it(released_course, tmp_path, monkeypatch, capfd):
    course = shutil.copytree(released_course, tmp_path / "course")
    shutil.copytree(step_dir(course, "release"), tmp_path / "hand_ins" / "alice")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SandboxError, match="apt-get install bubblewrap") as error:
        bwrap_path()
    assert str(error.value) == INSTALL_HINT and "--no-sandbox" in INSTALL_HINT
    assert main(["--course", str(course), "grade", str(tmp_path / "hand_ins")]) == 1
    assert f"error: refusing to grade without a sandbox: {INSTALL_HINT}" in capfd.readouterr().err
    assert not (course / "submitted").exists(), "refused before anything is collected"


@pytest.mark.grades_hand_in
def test_no_sandbox_grades_and_says_so_in_the_summary_and_the_grades(released_course, real_dataset, tmp_path, capfd):
    course = tmp_path / "course"
    shutil.copytree(released_course, course)
    shutil.copytree(step_dir(course, "release"), tmp_path / "hand_ins" / "alice")
    main(["--course", str(course), "grade", str(tmp_path / "hand_ins"), "--no-sandbox"])
    console = capfd.readouterr().err
    assert "graded with --no-sandbox" in console and "alice" in console
    for name in ("grades.csv", "students.csv"):
        with (course / name).open() as stream:
            statuses = {row["status"] for row in csv.DictReader(stream)}
        assert statuses and all("graded with --no-sandbox" in status for status in statuses), (name, statuses)
