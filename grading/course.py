"""The nbgrader course folder's settings, and the API that works on it (its paths: ``course_folder.Course``).

The settings are written to ``nbgrader_config.py`` in the course folder, so that plain ``nbgrader``
commands and the formgrader run there use them too; ``course_api`` loads that same file.
"""
import functools
import os
import stat
import sys
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.apps import NbGraderAPI
from nbgrader.converters import Autograde, GenerateFeedback
from nbgrader.preprocessors import Execute, GetGrades
from jupyter_core.paths import jupyter_config_path
from traitlets.config import Config, PyFileConfigLoader

from .course_folder import ASSIGNMENT, CONFIG_FILE, Course
from .errors import GradingError  # noqa: F401 (the steps import it from here)
from .inert import InertNotebook, markdown_to_html
from .preprocessors import ClearHiddenTestsInFeedback, GradingExecute

KIT = Path(__file__).resolve().parent.parent
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
from grading.course import configure  # noqa: E402

configure(c, __file__)  # noqa: F821 (nbgrader defines c)
'''


def configure(c, config_file):
    """Set the nbgrader options of the course folder that holds ``config_file``."""
    course = Path(config_file).resolve().parent
    c.CourseDirectory.root = str(course)
    # A hub's course id and exchange (its Exchange.root) win: the kit sets neither over them.
    if "course_id" not in hub_config().CourseDirectory:
        c.CourseDirectory.course_id = COURSE_ID
    # nbgrader's collect, and the formgrader's Collect button, go through the kit's intake.
    c.ExchangeFactory.collect = "grading.exchange.KitCollect"
    c.Execute.timeout = DEFAULT_TIMEOUT
    c.Execute.interrupt_on_timeout = True
    # Kernels that import the submission's helpers only, in fast grading mode; what they write is
    # bounded and inert before the formgrader or a feedback page shows it (inert.py).
    c.Autograde.autograde_preprocessors = _preprocessors(
        Autograde.autograde_preprocessors, {Execute: [GradingExecute]}
    ) + [InertNotebook]
    c.HTMLExporter.filters = {"markdown2html": markdown_to_html}
    # Students hand in their own helpers: nbgrader must not replace them with the instructor's.
    source = Course(course).step("source")
    files = [p.relative_to(source).as_posix() for p in source.rglob("*") if p.is_file() and p.suffix != ".ipynb"]
    c.Autograde.exclude_overwriting = {ASSIGNMENT: sorted(files)}
    # What the kit adds after nbgrader's steps, so that the formgrader's buttons do it too.
    c.GenerateAssignment.post_convert_hook = functools.partial(_after_generate, course)
    c.GenerateFeedback.post_convert_hook = functools.partial(_after_feedback, course)
    # nbgrader shows hidden tests in feedback (its issue 917): remove them.
    c.GenerateFeedback.preprocessors = _preprocessors(
        GenerateFeedback.preprocessors, {GetGrades: [GetGrades, ClearHiddenTestsInFeedback]}
    )


def _after_generate(course, **_):
    """nbgrader's post-convert hook of generate_assignment: the kit's part of the release."""
    from .release import finish_release  # release.py imports this module

    finish_release(course)


def _after_feedback(course, notebooks, **_):
    """nbgrader's post-convert hook of generate_feedback, per student: the kit's part of feedback. The
    student is read from the notebooks' path, as nbgrader passes ``*`` when it converts every student."""
    from .feedback import finish_feedback  # feedback.py imports this module

    if notebooks:
        finish_feedback(course, Path(notebooks[0]).parents[1].name)


def _preprocessors(trait, replace):
    """The default of a converter's preprocessor list, each class replaced by what ``replace`` maps it to."""
    return [new for old in trait.default() for new in replace.get(old, [old])]


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


def course_api(course, timeout=None, sandbox=True, private_data=None, replace=None):
    """An ``NbGraderAPI`` on the course folder's settings; ``timeout`` overrides the per-cell limit.

    ``sandbox=False`` runs the grading kernels without bubblewrap (trusted hand-ins only);
    ``private_data``: a folder of slices the class never saw, the trained models are graded on too;
    ``replace``: ``{preprocessor: [preprocessors]}``, a change to autograde's (``unit.py``'s).
    """
    # nbgrader's gradebook runs the `alembic` command: find it beside this Python, venv or not.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    config_file = Course.of(course).config_file
    if not config_file.is_file():
        raise GradingError(f"{config_file} not found: run `python -m grading release` first")
    config = hub_config()  # as nbgrader's own commands load it: the hub's settings, the course folder's over them
    config.merge(PyFileConfigLoader(config_file.name, path=str(config_file.parent)).load_config())
    config.NbGraderAPI.log_level = "WARN"  # the steps log their own summary
    if timeout is not None:
        config.Execute.timeout = int(timeout)
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
