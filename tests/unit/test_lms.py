"""Hand-ins straight from an LMS: Canvas' *Download Submissions* zip and Moodle's *Download all
submissions* folders, collected as they come and exported against a Canvas roster. No kernels:
the mapping from the LMS's names to students is what is tested."""
import csv
import shutil
import zipfile

import pytest

from grading import ledger
from grading.output import rosters
from grading.intake.collect import collect
from grading.course import step_dir
from grading.course_folder import ASSIGNMENT
from grading.output.grades import export
from grading.output.rosters import CANVAS_STUDENT

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


@pytest.fixture
def course(released_course, tmp_path):
    return shutil.copytree(released_course, tmp_path / "course")


def zipped_release(course, archive):
    """A student's hand-in zip: the release folder, as handin.py's zip would hold it."""
    shutil.make_archive(archive.with_suffix(""), "zip", step_dir(course, "release").parent, ASSIGNMENT)
    return archive


def rows(path):
    with path.open() as stream:
        return list(csv.DictReader(stream))


def test_a_canvas_download_is_collected_newest_upload_per_student_with_late_kept(course, tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    zipped_release(course, uploads / "doejane_12345_678901_s1234567.zip")  # first try
    zipped_release(course, uploads / "doejane_LATE_12345_678950_s1234567.zip")  # again, after the deadline
    zipped_release(course, uploads / "smithbob_23456_678903_lung_segmentation.zip")
    download = tmp_path / "submissions.zip"  # what Canvas' Download Submissions gives
    with zipfile.ZipFile(download, "w") as archive:
        for path in sorted(uploads.iterdir()):
            archive.write(path, path.name)

    assert collect(download, course) == ["12345", "23456"]
    repairs = ledger.load(course)["12345"]["repairs"]
    assert "an older upload, not graded: doejane_12345_678901_s1234567.zip" in repairs
    assert "handed in as 'doejane_LATE_12345_678950_s1234567'; graded as student 12345" in repairs
    assert ledger.late(course, "12345") == "late (Canvas)" and ledger.late(course, "23456") is None

    roster = tmp_path / "roster.csv"  # Canvas' gradebook export: matched by its user ID
    with roster.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([*CANVAS_STUDENT, "Lung segmentation (4711)"])
        writer.writerow(["    Points Possible", "", "", "", "", "100"])
        writer.writerow(["Doe, Jane", "12345", "S1", "jdoe", "A", ""])
        writer.writerow(["Smith, Bob", "23456", "S2", "bsmith", "A", ""])
        writer.writerow(["Roe, Ann", "34567", "S3", "aroe", "A", ""])
    export(course, roster=roster)
    students = {row["student"]: row for row in rows(course / "students.csv")}
    assert (students["12345"]["late"], students["23456"]["late"]) == ("late (Canvas)", "")
    assert students["aroe"]["status"] == "no hand-in (in the roster)"
    assert not [row for row in students.values() if "not in the roster" in row["status"]]
    with (course / "canvas.csv").open() as stream:
        canvas = list(csv.reader(stream))
    assert canvas[0] == [*CANVAS_STUDENT, "Lung segmentation (4711)"]
    assert [row[:2] for row in canvas[2:]] == [["Doe, Jane", "12345"], ["Smith, Bob", "23456"], ["Roe, Ann", "34567"]]


def test_a_moodle_download_is_collected_by_participant(course, tmp_path):
    download = tmp_path / "moodle"
    jane = download / "Jane Doe_1234_assignsubmission_file_"
    jane.mkdir(parents=True)
    zipped_release(course, jane / "s1234567.zip")
    shutil.copytree(step_dir(course, "release"), download / "Zoë Ångström_2345_assignsubmission_file_" / ASSIGNMENT)
    assert collect(download, course) == ["1234", "2345"]
    assert "handed in as 'Zoë Ångström_2345_assignsubmission_file_'; graded as student 2345" in \
        ledger.load(course)["2345"]["repairs"]
    assert (step_dir(course, "submitted", "1234") / "01_data.ipynb").is_file()


# Moodle's grading worksheet (View all submissions, Download grading worksheet), its columns in order.
MOODLE_WORKSHEET = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                    "Grade can be changed", "Last modified (submission)", "Last modified (grade)", "Feedback comments"]


def test_the_moodle_worksheet_comes_back_with_the_grades_of_fully_graded_students(tmp_path):
    worksheet = tmp_path / "worksheet.csv"
    with worksheet.open("w", newline="", encoding="utf-8-sig") as stream:  # Moodle writes a BOM
        writer = csv.writer(stream)
        writer.writerow(MOODLE_WORKSHEET)
        for number, name, grade in (("1234", "Jane Doe", ""), ("2345", "Zoë Ångström", "12.00"),
                                    ("3456", "Ann Roe", "")):
            writer.writerow([f"Participant {number}", name, f"{number}@uni.example", "Submitted for grading",
                             grade, "100.00", "Yes", "Monday, 30 November 2026, 9:00 AM", "-", ""])
    roster = rosters.read(worksheet)
    students = [dict(student="1234", total=61.5, max_score=100, status="graded"),
                dict(student="2345", total=40.0, max_score=100, status="to grade by hand"),
                dict(student="3456", total="", max_score="", status="no hand-in (in the roster)")]
    path = rosters.write_import(tmp_path, roster, students)
    with path.open(newline="") as stream:
        written = list(csv.reader(stream))
    print(path.read_text())
    assert path.name == "moodle.csv" and written[0] == MOODLE_WORKSHEET
    assert [row[:2] + row[4:6] for row in written[1:]] == [
        ["Participant 1234", "Jane Doe", "61.5", "100.00"],  # graded: filled in
        ["Participant 2345", "Zoë Ångström", "12.00", "100.00"],  # still to grade by hand: left as it was
        ["Participant 3456", "Ann Roe", "", "100.00"]]
    assert roster.name(roster.rows[1]) == ("Zoë", "Ångström")


def test_another_lms_is_one_more_roster_class(tmp_path):
    """The extension point (grading/output/rosters/): a Roster subclass, as one more module there would hold, is
    read and written like Canvas' and Moodle's."""
    class Blackboard(rosters.Roster):
        EXPORT = "Blackboard's grade centre download"
        REQUIRED = ("Username", "Blackboard Total")

        @classmethod
        def is_student(cls, row):
            return bool(row["Username"])

        def key(self, row, ids):
            return row["Username"]

        def name(self, row):
            return row["First Name"], row["Last Name"]

        def write(self, writer, by_id):
            writer.writerow(["Username", "Blackboard Total"])
            for row in self.rows:
                writer.writerow([row["Username"], self.total(by_id[self.key(row, by_id)])])

    download = tmp_path / "gc.csv"
    download.write_text("Last Name,First Name,Username,Blackboard Total\nRoe,Ann,aroe,\n")
    roster = rosters.read(download)
    assert isinstance(roster, Blackboard) and roster.name(roster.rows[0]) == ("Ann", "Roe")
    path = rosters.write_import(tmp_path, roster, [dict(student="aroe", total=61.5, max_score=100, status="graded")])
    assert path.name == "blackboard.csv" and path.read_text().splitlines() == ["Username,Blackboard Total", "aroe,61.5"]
