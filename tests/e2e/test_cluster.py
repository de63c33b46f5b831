"""Grading on a Dask cluster (grading/autograding/cluster.py) as an instructor runs it on one machine: a stock
``dask scheduler`` on 127.0.0.1, ``python -m grading worker`` processes, ``grade --cluster``. A worker
killed mid-class has its hand-ins graded by another, each once; an unreachable scheduler fails in
seconds, naming its address; a worker without what grading needs refuses, naming the fix."""
import csv
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from grading.course import KIT, step_dir

pytestmark = pytest.mark.cluster
STUDENTS = ("solution", "blank", "wrong")


def grading(*args, env=None, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "grading", *args], cwd=KIT, env=env or os.environ,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.fixture
def scheduler(tmp_path):
    """A stock Dask scheduler on 127.0.0.1, with the kit on its path (it unpacks the jobs' tasks) and one
    retry for a lost worker, as grading/README.md starts it: its address."""
    require = shutil.which("dask", path=os.path.dirname(sys.executable))
    assert require, "the dask command comes with the kit's requirements (distributed)"
    address_file = tmp_path / "scheduler.json"
    process = subprocess.Popen([require, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                "--scheduler-file", str(address_file)],
                               env={**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",
                                    "PYTHONPATH": str(KIT)},
                               stdout=subprocess.DEVNULL, stderr=(tmp_path / "scheduler.log").open("w"))
    try:
        for _ in range(120):
            if address_file.is_file() and address_file.read_text().strip():
                break
            assert process.poll() is None, (tmp_path / "scheduler.log").read_text()
            time.sleep(0.5)
        yield json.loads(address_file.read_text())["address"]
    finally:
        process.terminate()
        process.wait(timeout=30)


def rows(grades_csv, students):
    """The rows of ``students`` in a grades CSV."""
    with open(grades_csv) as stream:
        return [row for row in csv.DictReader(stream) if row["student"] in students]


def test_a_worker_killed_mid_class_has_its_hand_ins_graded_by_another(scheduler, graded_class, released_course,
                                                                      tmp_path):
    """Three hand-ins of the graded class (the solution, the blank release, wrong answers) through two
    workers, one killed mid-class: grades.csv holds the same rows as the class graded on one machine."""
    from tests.conftest import require_tool

    require_tool("bwrap", "bubblewrap", "the workers grade in the sandbox")
    course, hand_ins = tmp_path / "course", tmp_path / "hand_ins"
    shutil.copytree(released_course, course)
    hand_ins.mkdir()
    for name in STUDENTS:
        source = graded_class.hand_ins / name
        shutil.copytree(source, hand_ins / name) if source.is_dir() else shutil.copy(f"{source}.zip", hand_ins)
    workers = [grading("worker", scheduler) for _ in range(2)]
    try:
        graded = grading("--course", str(course), "grade", str(hand_ins), "--cluster", scheduler)
        time.sleep(25)  # both workers are grading a hand-in by now
        workers[0].send_signal(signal.SIGKILL)
        out, err = graded.communicate(timeout=900)
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
    console = (out + err).splitlines()
    assert graded.returncode == 0, err[-3000:]
    for student in STUDENTS:
        assert len([line for line in console if re.match(rf"{student}: [\d.]+ of [\d.]+ points in ", line)]) == 1, console
    assert rows(course / "grades.csv", STUDENTS) == rows(graded_class.course / "grades.csv", STUDENTS)


def test_an_unreachable_scheduler_fails_in_seconds_naming_it(released_course, real_dataset, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(released_course, course)
    shutil.copytree(step_dir(course, "release"), tmp_path / "hand_ins" / "ann")
    with socket.socket() as probe:  # a port on 127.0.0.1 that nothing listens on any more
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    start = time.monotonic()
    graded = grading("--course", str(course), "grade", str(tmp_path / "hand_ins"), "--cluster", address)
    out, err = graded.communicate(timeout=300)
    assert graded.returncode == 1 and f"no Dask scheduler answers at {address}" in err, err[-2000:]
    assert time.monotonic() - start < 90, "seconds, not minutes (most of it: Python and nbgrader starting)"


def test_a_worker_without_the_dataset_or_the_sandbox_refuses_naming_the_fix(tmp_path):
    no_data = grading("worker", "tcp://127.0.0.1:9", env={**os.environ, "LUNGKIT_DATA": str(tmp_path / "nowhere")})
    out, err = no_data.communicate(timeout=120)
    assert no_data.returncode == 1 and "not a grading worker: refusing to grade without the dataset" in err, err
    no_bwrap = grading("worker", "tcp://127.0.0.1:9",
                       env={**os.environ, "PATH": os.path.dirname(sys.executable)})
    out, err = no_bwrap.communicate(timeout=120)
    assert no_bwrap.returncode == 1 and "apt-get install bubblewrap" in err, err


def test_a_scheduler_without_workers_says_how_to_start_them(scheduler, released_course, real_dataset, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(released_course, course)
    shutil.copytree(step_dir(course, "release"), tmp_path / "hand_ins" / "ann")
    graded = grading("--course", str(course), "grade", str(tmp_path / "hand_ins"), "--cluster", scheduler,
                     "--wait-for-workers", "2")
    out, err = graded.communicate(timeout=300)
    assert graded.returncode == 1, err[-2000:]
    assert (f"has no worker after 2 s: start them with `python -m grading worker {scheduler}`, or wait longer with "
            "--wait-for-workers SECONDS") in err


def test_grade_waits_30_s_for_a_first_worker_unless_told_otherwise():
    shown = " ".join(grading("grade", "--help").communicate(timeout=120)[0].split())
    assert ("--wait-for-workers SECONDS with --cluster: how long to wait for the scheduler's first worker "
            "(default: 30)") in shown, shown


def test_ctrl_c_keeps_what_was_graded_and_names_the_rest(released_course, real_dataset, tmp_path):
    """Ctrl-C once the first hand-in's line is shown: each hand-in whose line is shown stays graded (one being
    merged as Ctrl-C comes is finished first: nbgrader would swallow it), the others are named as not graded."""
    course = tmp_path / "course"
    shutil.copytree(released_course, course)
    for student in ("ann", "bob", "carl"):
        shutil.copytree(step_dir(course, "release"), tmp_path / "hand_ins" / student)
    # Ctrl-C raises in grade as in an instructor's terminal (a pytest-xdist worker, its parent, ignores it).
    graded = grading("--course", str(course), "grade", str(tmp_path / "hand_ins"), "--no-sandbox",
                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    console = []
    for line in graded.stderr:
        console.append(line)
        if re.search(r" of [\d.]+ points in ", line):
            graded.send_signal(signal.SIGINT)
            break
    console += graded.stderr.readlines()
    graded.wait(timeout=120)
    assert graded.returncode == 130 and not any("Traceback" in line for line in console), console
    shown = sorted(line.split(":")[0] for line in console if re.search(r" of [\d.]+ points in ", line))
    kept = f"interrupted: {len(shown)} hand-in(s) graded and kept; {3 - len(shown)} not graded"
    assert len(shown) < 3 and any(kept in line for line in console), console
    assert sorted(p.name for p in (course / "autograded").iterdir()) == shown
