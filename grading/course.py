"""The nbgrader course folder's settings file, and the API that works on it (its paths: ``course_folder.Course``).

The settings (``settings.configure``) are written to ``nbgrader_config.py`` in the course folder, so
that plain ``nbgrader`` commands and the formgrader run there use them too; ``course_api`` loads that
same file.
"""
import stat
from pathlib import Path

import nbgrader.api
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from nbgrader.api import Gradebook
from nbgrader.dbutil import ALEMBIC_DIR
from nbgrader.apps import NbGraderAPI
from jupyter_core.paths import jupyter_config_path
from traitlets.config import Config, PyFileConfigLoader

from . import KIT
from .course_folder import CONFIG_FILE, Course
from .errors import GradingError  # noqa: F401 (the steps import it from here)
from .judging.sandbox import Limits

COURSE_ID = "lung_segmentation_course"  # nbgrader's course_id, in the exchange's paths
DEFAULT_COURSE = KIT / "grading" / "course"
# Generous for a CPU: the slowest cell of the kit trains the fast U-Net.
DEFAULT_TIMEOUT = 300
# A whole submission (five notebooks and the trusted evidence) takes 1 to 3 minutes on 2 cores; past
# this, its remaining cells fail.
DEFAULT_SUBMISSION_TIMEOUT = 900

CONFIG_TEMPLATE = f'''"""nbgrader settings of this course folder, written by `python -m grading release`."""
import sys

sys.path.insert(0, {str(KIT)!r})
from grading.settings import configure  # noqa: E402

configure(c, __file__)  # noqa: F821 (nbgrader defines c)
'''


def alembic_head():
    """The gradebook schema's newest revision, which nbgrader records in a new gradebook. nbgrader finds it
    by running the ``alembic`` command, which is not on ``PATH`` where the kit's Python runs without its
    venv activated (``.venv/bin/python -m grading``); alembic's own API reads the same scripts."""
    config = AlembicConfig()
    config.set_main_option("script_location", ALEMBIC_DIR)
    return ScriptDirectory.from_config(config).get_current_head()


nbgrader.api.get_alembic_version = alembic_head  # what nbgrader's Gradebook calls as it creates a gradebook


def hub_config():
    """nbgrader's settings in the Jupyter configuration folders (a hub's ``/etc/jupyter``, the
    instructor's ``~/.jupyter``, ``JUPYTER_CONFIG_PATH``), the course folder's left out."""
    config = Config()
    for folder in reversed(jupyter_config_path()):  # the first folder wins
        if (Path(folder) / CONFIG_FILE).is_file():
            config.merge(PyFileConfigLoader(CONFIG_FILE, path=folder).load_config())
    return config


def write_config(course):
    """Write the course folder's ``nbgrader_config.py``, and close the folder to students: it holds the
    solutions, the gradebook and every student's hand-in. It becomes 0700, or 2770 where it is a
    set-group-id folder (the instructors' group shares it)."""
    shared = Path(course).stat().st_mode & stat.S_ISGID
    Path(course).chmod(0o2770 if shared else 0o700)
    Course.of(course).config_file.write_text(CONFIG_TEMPLATE)


def course_api(course, timeout=None, sandbox=True, private_data=None, submission_timeout=None, replace=None):
    """An ``NbGraderAPI`` on the course folder's settings; ``timeout`` overrides the per-cell limit,
    ``submission_timeout`` the limit of a whole submission.

    ``sandbox=False`` runs the grading kernels without bubblewrap (trusted hand-ins only);
    ``private_data``: a folder of slices the class never saw, the trained models are graded on too;
    ``replace``: ``{preprocessor: [preprocessors]}``, a change to autograde's (``unit.py``'s).
    """
    config_file = Course.of(course).config_file
    if not config_file.is_file():
        raise GradingError(f"{config_file} not found: run `python -m grading release` first")
    if config_file.read_text() != CONFIG_TEMPLATE:
        raise GradingError(f"{config_file} was written by another version or copy of the kit (or changed by hand): "
                           "run `python -m grading release` to write it again")
    config = hub_config()  # as nbgrader's own commands load it: the hub's settings, the course folder's over them
    config.merge(PyFileConfigLoader(config_file.name, path=str(config_file.parent)).load_config())
    config.NbGraderAPI.log_level = "WARN"  # the steps log their own summary
    try:
        Limits.of(config.GradingExecute.get("limits", {}))
    except ValueError as error:
        raise GradingError(f"c.GradingExecute.limits in nbgrader's settings: {error}") from None
    if timeout is not None:
        config.Execute.timeout = int(timeout)
    if submission_timeout is not None:
        config.GradingExecute.submission_timeout = int(submission_timeout)
    config.GradingExecute.sandbox = sandbox
    if private_data:
        config.GradingExecute.private_data = str(Path(private_data).resolve())
    if replace:
        config.Autograde.autograde_preprocessors = [
            new for old in config.Autograde.autograde_preprocessors for new in replace.get(old, [old])]
    return NbGraderAPI(config=config)


def gradebook(course):
    """nbgrader's gradebook of the course folder, for a ``with`` block."""
    coursedir = course_api(course).coursedir
    return Gradebook(coursedir.db_url, coursedir.course_id)


def succeeded(result, what):
    """Raise GradingError with nbgrader's log when the API call ``what`` failed."""
    if not result["success"]:
        raise GradingError(f"nbgrader {what} failed; its log:\n{result['log']}")


def step_dir(course, step, student="."):
    """``Course.step`` of the course folder ``course``."""
    return Course.of(course).step(step, student)
