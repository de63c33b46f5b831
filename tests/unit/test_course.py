"""The course's nbgrader API (grading/course.py) works from the kit's Python without its venv on PATH,
leaves the grader's environment as it found it, and carries the instructor's settings."""
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from traitlets import TraitError

from grading.__main__ import main
from grading.autograding.preprocessors import GradingExecute
from grading.course import KIT, course_api, write_config
from grading.judging.sandbox import Limits


def test_a_gradebook_is_created_without_the_venv_on_path_and_records_alembics_head(tmp_path):
    """As an instructor runs ``.venv/bin/python -m grading`` without activating the venv: nbgrader would run the
    ``alembic`` command to stamp a new gradebook and fail; the kit stamps it with the same revision."""
    write_config(tmp_path)
    probe = "import sys; from grading.course import gradebook\nwith gradebook(sys.argv[1]): pass"
    bare = {**os.environ, "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], cwd=KIT, env=bare, capture_output=True,
                          text=True)
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


def hub_settings(folder, monkeypatch, text):
    """Jupyter's settings folder of the instructor (or the hub) holding ``text`` as nbgrader_config.py."""
    folder.mkdir()
    (folder / "nbgrader_config.py").write_text(text)
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(folder))


def test_the_sandboxs_limits_come_from_nbgraders_settings(tmp_path, monkeypatch):
    """An instructor's ``c.GradingExecute.limits`` in the Jupyter settings (the hub's, or ~/.jupyter's) reaches
    every grading run, the CLI's through ``course_api`` as the formgrader's; the rest keep their defaults."""
    hub_settings(tmp_path / "jupyter", monkeypatch, 'c.GradingExecute.limits = {"memory_bytes": 8 * 2**30}\n')
    (tmp_path / "course").mkdir()
    write_config(tmp_path / "course")
    limits = GradingExecute(config=course_api(tmp_path / "course").config).sandbox_limits
    assert limits == Limits(memory_bytes=8 * 2**30)


def test_a_limit_of_no_such_name_stops_autograde_naming_the_limits(tmp_path, monkeypatch, capfd):
    hub_settings(tmp_path / "jupyter", monkeypatch, 'c.GradingExecute.limits = {"memory": 8 * 2**30}\n')
    (tmp_path / "course").mkdir()
    write_config(tmp_path / "course")
    assert main(["--course", str(tmp_path / "course"), "autograde"]) == 1
    assert ("autograde: c.GradingExecute.limits in nbgrader's settings: no limit named memory; the limits are "
            "memory_bytes, processes, file_bytes") in capfd.readouterr().err
    with pytest.raises(TraitError, match="no limit named memory"):
        GradingExecute(limits={"memory": 8 * 2**30})
