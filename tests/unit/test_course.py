"""The course's nbgrader API (grading/course.py) works from the kit's Python without its venv on PATH,
and leaves the grader's environment as it found it."""
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from grading.course import KIT, course_api, write_config


def test_a_gradebook_is_created_without_the_venv_on_path_and_records_alembics_head(tmp_path):
    """As an instructor runs ``.venv/bin/python -m grading`` without activating the venv: nbgrader would run the
    ``alembic`` command to stamp a new gradebook and fail; the kit stamps it with the same revision."""
    write_config(tmp_path)
    probe = "import sys; from grading.course import gradebook\nwith gradebook(sys.argv[1]): pass"
    bare = {**os.environ, "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], cwd=KIT, env=bare, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "gradebook.db") as db:
        [(stamped,)] = db.execute("SELECT version_num FROM alembic_version").fetchall()
    nbgraders = "from nbgrader.api import get_alembic_version; print(get_alembic_version())"  # the command, on PATH
    venv = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin:/bin"])}
    head = subprocess.run([sys.executable, "-c", nbgraders], env=venv, capture_output=True, text=True, check=True)
    assert stamped == head.stdout.strip()


def test_the_api_leaves_the_graders_environment_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # the venv's bin/ not on it, as above
    write_config(tmp_path)
    before = dict(os.environ)
    course_api(tmp_path, timeout=5, submission_timeout=60, sandbox=False)
    assert dict(os.environ) == before
