"""A course folder's nbgrader settings (grading/settings.py): the kit's preprocessors in nbgrader's steps,
the students' own helpers kept, nbgrader's collect through the kit's intake, a hub's course id kept."""
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute, GetGrades
from traitlets.config import Config

from grading.autograding.preprocessors import ClearHiddenTestsInFeedback, GradingExecute
from grading.course import COURSE_ID
from grading.course_folder import Course
from grading.output.inert import InertNotebook
from grading.settings import configure


def configured(course):
    c = Config()
    configure(c, course / "nbgrader_config.py")
    return c


def test_autograde_runs_the_sandboxed_grader_and_writes_inert_notebooks(tmp_path):
    c = configured(tmp_path)
    steps = c.Autograde.autograde_preprocessors
    nbgraders = Autograde.autograde_preprocessors.default()
    assert steps == [GradingExecute if step is Execute else step for step in nbgraders] + [InertNotebook], \
        "nbgrader's own steps stay, in their order"
    feedback = c.GenerateFeedback.preprocessors
    assert feedback[feedback.index(GetGrades) + 1] is ClearHiddenTestsInFeedback
    assert c.ExchangeFactory.collect == "grading.intake.exchange.KitCollect"
    assert c.CourseDirectory.root == str(tmp_path.resolve()) and c.CourseDirectory.course_id == COURSE_ID


def test_the_students_helpers_are_never_overwritten_by_the_instructors(tmp_path):
    helpers = Course(tmp_path).step("source") / "helpers"
    helpers.mkdir(parents=True)
    (helpers / "model.py").write_text("")
    (helpers.parent / "01_data.ipynb").write_text("{}")
    assert configured(tmp_path).Autograde.exclude_overwriting == {"lung_segmentation": ["helpers/model.py"]}


def test_a_hubs_course_id_is_kept(tmp_path, monkeypatch):
    (tmp_path / "jupyter").mkdir()
    (tmp_path / "jupyter" / "nbgrader_config.py").write_text('c.CourseDirectory.course_id = "bio101"\n')
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "jupyter"))
    assert "course_id" not in configured(tmp_path / "course").CourseDirectory
