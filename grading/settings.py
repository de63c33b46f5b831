"""nbgrader's settings of a course folder (``configure``, which the folder's ``nbgrader_config.py`` calls):
the kit's preprocessors in nbgrader's steps, and the kit's part of the release and of feedback hooked in
after nbgrader's, so that the formgrader's buttons do what the kit's commands do."""
import functools
from pathlib import Path

from nbgrader.converters import Autograde, GenerateFeedback
from nbgrader.preprocessors import Execute, GetGrades

from .course import COURSE_ID, DEFAULT_TIMEOUT, hub_config
from .course_folder import ASSIGNMENT, Course
from .output.feedback import finish_feedback
from .output.inert import InertNotebook, markdown_to_html
from .autograding.preprocessors import ClearHiddenTestsInFeedback, GradingExecute
from .output.release import finish_release


def configure(c, config_file):
    """Set the nbgrader options of the course folder that holds ``config_file``."""
    course = Path(config_file).resolve().parent
    c.CourseDirectory.root = str(course)
    # A hub's course id and exchange (its Exchange.root) win: the kit sets neither over them.
    if "course_id" not in hub_config().CourseDirectory:
        c.CourseDirectory.course_id = COURSE_ID
    # nbgrader's collect, and the formgrader's Collect button, go through the kit's intake.
    c.ExchangeFactory.collect = "grading.intake.exchange.KitCollect"
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
    finish_release(course)


def _after_feedback(course, notebooks, **_):
    """nbgrader's post-convert hook of generate_feedback, per student: the kit's part of feedback. The
    student is read from the notebooks' path, as nbgrader passes ``*`` when it converts every student."""
    if notebooks:
        finish_feedback(course, Course.holding(Path(notebooks[0]).parent)[2])


def _preprocessors(trait, replace):
    """The default of a converter's preprocessor list, each class replaced by what ``replace`` maps it to."""
    return [new for old in trait.default() for new in replace.get(old, [old])]
