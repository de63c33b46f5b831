"""Where things live in a course folder: every path of it, through nbgrader's own ``CourseDirectory``.

It imports nothing of the grader, so that every module can use it.
"""
from pathlib import Path

from nbgrader.coursedir import CourseDirectory

ASSIGNMENT = "lung_segmentation"
CONFIG_FILE = "nbgrader_config.py"  # nbgrader's settings of the course folder
LOG_FILE = "grading.log"  # every message of the instructor's commands that the console does not show


class Course:
    """A course folder of the kit's assignment: each of its paths, the students of a step, and which
    course and student a step folder belongs to. Accepted wherever a course folder's path is (``os.fspath``)."""

    def __init__(self, root):
        self.root = Path(root).resolve()
        self._directory = CourseDirectory(root=str(self.root))

    @classmethod
    def of(cls, course):
        """``course`` as a Course (a Course, or a course folder's path)."""
        return course if isinstance(course, Course) else cls(course)

    @classmethod
    def holding(cls, folder):
        """``(course, step, student)`` of a step folder ``COURSE/<step>/<student>/lung_segmentation``, as
        nbgrader hands its preprocessors the folder they work in."""
        folder = Path(folder).resolve()
        if folder.name != ASSIGNMENT:
            raise ValueError(f"{folder} is not a folder of the assignment {ASSIGNMENT} in a course")
        return cls(folder.parents[2]), folder.parents[1].name, folder.parent.name

    def __fspath__(self):
        return str(self.root)

    def __repr__(self):
        return f"Course({str(self.root)!r})"

    def step(self, step, student="."):
        """``<course>/<step>/<student>/lung_segmentation``, nbgrader's layout (student "." for source/release)."""
        return Path(self._directory.format_path(step, student, ASSIGNMENT)).resolve()

    def students(self, step):
        """The students with a folder of the assignment in ``step`` (``submitted``, ``autograded``, ...)."""
        return sorted(path.parent.name for path in (self.root / step).glob(f"*/{ASSIGNMENT}") if path.is_dir())

    @property
    def config_file(self):
        return self.root / CONFIG_FILE

    @property
    def archive(self):
        """The release's zip, handed out to the students."""
        return self.root / f"{ASSIGNMENT}.zip"

    @property
    def ledger_file(self):
        return self.root / "hand_ins.json"

    @property
    def grades_file(self):
        return self.root / "grades.csv"

    @property
    def log_file(self):
        return self.root / LOG_FILE

    @property
    def gradebook_file(self):
        return self.root / "gradebook.db"
