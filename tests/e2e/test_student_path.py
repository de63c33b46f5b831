"""The student path end to end, as a student and an instructor would walk it.

Release; set up a fresh venv with the two commands of the student README, on Python 3.13; start
its Jupyter Lab (no nbgrader instructor tools there); self-check the blank release (every
question not attempted, non-zero exit); put the solution in and self-check again
(every question passes); build the hand-in zip; then the instructor collects and autogrades it
and it scores what the solution scores. The fast-trained weights stand in for a full run of
notebook 4, marked as full in their training record (training a recipe would take minutes).
"""
import csv
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile

import pytest

from grading.course import step_dir
from grading.course_folder import ASSIGNMENT
from grading.judging.questions import autograded_points
from tests.conftest import require_python

pytestmark = pytest.mark.fresh_venv

# A set-up step of the README's table: "| 1. what | `Linux and macOS command` | `Windows command` |".
SETUP_STEP = re.compile(r"^\| \d\. [^|]+\| `([^`]+)` \|", re.MULTILINE)
STUDENT = "s1234567"
STUDENT_PYTHON = "3.13"


def statuses(output, questions):
    """The self-check's status of each question, from its one line per question."""
    found = {}
    for line in output.splitlines():
        words = line.split()
        for grade_id in set(words) & set(questions):
            found[grade_id] = line.split(" pt  ", 1)[1].split(":")[0]
    return found


def run(command, folder, timings, step, env=None):
    start = time.perf_counter()
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, shell=isinstance(command, str),
                            env=env)
    timings[step] = time.perf_counter() - start
    print(f"== {step} ({timings[step]:.0f} s, exit {result.returncode})\n{result.stdout}{result.stderr[-3000:]}")
    return result


def student_jupyter(folder, tmp_path):
    """Start the student's Jupyter Lab (README: ``.venv/bin/jupyter lab``) on 127.0.0.1; return the lab
    extensions it enables and its log."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base, token, log = f"http://127.0.0.1:{port}", secrets.token_hex(16), tmp_path / "jupyter.log"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter_config")}  # not the grader's own
    server = subprocess.Popen([str(folder / ".venv" / "bin" / "jupyter"), "lab", "--no-browser", "--allow-root",
                               "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
                               f"--IdentityProvider.token={token}"],
                              cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"))
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{base}/lab/api/extensions?token={token}", timeout=2) as response:
                    found = json.load(response)
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                time.sleep(0.5)
        else:
            raise AssertionError(f"the student's Jupyter Lab did not start in a minute:\n{log.read_text()}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    extensions = found[0] if found and isinstance(found[0], list) else found  # [extensions, metadata] or a list
    return [extension["name"] for extension in extensions if extension.get("enabled")], log.read_text()


def test_student_path(released_course, fast_weights, tmp_path):
    timings = {}
    released = step_dir(released_course, "release")
    folder = shutil.copytree(released, tmp_path / ASSIGNMENT)
    questions = autograded_points(released.glob("*.ipynb"))

    steps = SETUP_STEP.findall((folder / "README.md").read_text())
    assert len(steps) == 2, f"the README's set-up is two commands, found {steps}"
    # The newest Python the README allows is the student's `python3`.
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python3").symlink_to(require_python(STUDENT_PYTHON, "the student path is walked on it"))
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    for number, command in enumerate(steps, 1):
        assert run(command, folder, timings, f"set-up {number}: {command}", env).returncode == 0
    version = subprocess.run([folder / ".venv" / "bin" / "python", "--version"], capture_output=True, text=True)
    assert version.stdout.startswith(f"Python {STUDENT_PYTHON}."), version.stdout
    size = subprocess.run(["du", "-sm", folder / ".venv"], capture_output=True, text=True).stdout.split()[0]
    print(f"student venv: {size} MB")
    python = str(folder / ".venv" / "bin" / "python")
    extensions, log = student_jupyter(folder, tmp_path)
    assert extensions and not [name for name in extensions if "nbgrader" in name], extensions
    assert "nbgrader" not in log, "no instructor tools, no 'No nbgrader_config.py file found'"

    blank = run([python, "check.py"], folder, timings, "self-check, blank release")
    assert blank.returncode != 0
    assert statuses(blank.stdout, questions) == {q: "not attempted" for q in questions}

    source = step_dir(released_course, "source")
    for notebook in source.glob("*.ipynb"):
        shutil.copy2(notebook, folder)
    shutil.rmtree(folder / "helpers")
    shutil.copytree(source / "helpers", folder / "helpers")
    shutil.copytree(fast_weights, folder / "artifacts", ignore=shutil.ignore_patterns("*.png", "metrics.json"))
    refused = run([python, "handin.py", STUDENT], folder, timings, "hand-in of the fast-mode model")
    assert refused.returncode != 0 and "fast-mode run" in refused.stderr
    record = json.loads((folder / "artifacts" / "training.json").read_text())
    (folder / "artifacts" / "training.json").write_text(json.dumps({**record, "fast_mode": False}))

    before = sorted(p.relative_to(folder) for p in folder.rglob("*") if ".venv" not in p.parts)
    solution = run([python, "check.py"], folder, timings, "self-check, solution")
    assert solution.returncode == 0
    assert statuses(solution.stdout, questions) == {q: "passed" for q in questions}
    assert sorted(p.relative_to(folder) for p in folder.rglob("*") if ".venv" not in p.parts) == before

    handed = run([python, "handin.py", STUDENT], folder, timings, "hand-in")
    assert handed.returncode == 0
    archive = folder / f"{STUDENT}.zip"
    with zipfile.ZipFile(archive) as zipped:
        tops = {name.split("/")[0] for name in zipped.namelist()}
    assert tops == {p.name for p in folder.glob("*.ipynb")} | {"helpers", "artifacts"}
    print(f"hand-in zip: {archive.stat().st_size / 1e6:.1f} MB")

    hand_ins = tmp_path / "hand_ins"
    hand_ins.mkdir()
    shutil.copy2(archive, hand_ins)
    course = shutil.copytree(released_course, tmp_path / "course")
    grades = tmp_path / "grades.csv"
    for step in (["collect", str(hand_ins)], ["autograde", "--student", STUDENT], ["export", "--out", str(grades)]):
        command = [sys.executable, "-m", "grading", "--course", str(course), *step]
        assert run(command, os.getcwd(), timings, f"instructor: {step[0]}").returncode == 0
    with grades.open() as stream:
        rows = [row for row in csv.DictReader(stream) if row["student"] == STUDENT]
    scores = {row["question"]: float(row["score"]) for row in rows if row["question"] in questions}
    assert scores == autograded_points(source.glob("*.ipynb"))
    print("student path:", {step: round(seconds) for step, seconds in timings.items()},
          f"{sum(timings.values()) / 60:.1f} min in all")
