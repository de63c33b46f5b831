"""The class of tests/graded_class.py as the instructor sees it after
``python -m grading grade HAND_INS --roster ROSTER``: damaged hand-ins graded with exactly the
points their answers earn, the broken one named, every output written. Needs the real data.
"""
import csv
import re
import shutil

import nbformat
import pytest

from grading import ledger
from grading.course import KIT, step_dir
from grading.output.feedback import PENDING, feedback
from grading.output.grades import export
from grading.output.rosters import CANVAS_ASSIGNMENT, CANVAS_STUDENT
from tests.conftest import grades_of
from tests.graded_class import ATTACKS, DAMAGED, KERNEL_LINE, LINKS, LOST, NOT_IN_ROSTER, REFUSED, graded_students
from tests.hand_in_damage import LOST_ANSWERS

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

NOISE = ("oneDNN", "absl", "tensorflow", "[Autograde", "[GenerateFeedback", "Traceback", "nbconvert")
GOOD = ["damaged", "combined", "hostile", NOT_IN_ROSTER]
NOTEBOOKS = ("01_data", "02_augmentation", "03_unet", "04_training", "05_evaluation")


def read_csv(path):
    with path.open() as stream:
        return list(csv.DictReader(stream))


def test_hand_ins_that_cannot_be_graded_never_stop_the_others(graded_class):
    course, done = graded_class.course, graded_class.done
    assert done.returncode == 1, "hand-ins could not be graded"
    students = {row["student"]: row for row in read_csv(course / "students.csv")}
    assert set(students) == set(graded_students()) | set(REFUSED) | {"absent"}
    for student, why in REFUSED.items():
        assert students[student]["status"].startswith(why), students[student]
    assert students["absent"]["status"] == "no hand-in (in the roster)"
    assert students[NOT_IN_ROSTER]["status"].endswith("not in the roster, so not in canvas.csv")
    for student in GOOD:
        assert students[student]["status"].startswith("to grade by hand"), students[student]
    for student in graded_students():
        assert len(list(step_dir(course, "feedback", student).glob("*.html"))) == 5, student
    refused = [row for row in read_csv(course / "grades.csv") if row["student"] in REFUSED]
    assert sorted(row["student"] for row in refused) == sorted(REFUSED)
    assert all(row["status"] == students[row["student"]]["status"] for row in refused)


def test_links_special_files_and_debris_never_reach_grading_or_feedback(graded_class):
    course = graded_class.course
    repairs = ledger.load(course)
    for student, path in LINKS:
        assert any(note.endswith(f"{path}: a symbolic link, left out") or note == f"{path}: not a regular file (a "
                   "device, FIFO or socket), left out" for note in repairs[student]["repairs"]), (student, path)
    for student in ("combined", "hostile"):
        for step in ("submitted", "autograded", "feedback"):
            names = {p.relative_to(step_dir(course, step, student)).as_posix()
                     for p in step_dir(course, step, student).rglob("*")}
            assert not names & ({path for _, path in LINKS} | {"._01_data.ipynb", "._03_unet.ipynb", ".DS_Store"})


def test_a_huge_output_is_cut_in_the_autograded_notebook_and_the_feedback(graded_class):
    course = graded_class.course
    notebook = step_dir(course, "autograded", "hostile") / "02_augmentation.ipynb"
    page = step_dir(course, "feedback", "hostile") / "02_augmentation.html"
    print(f"8 MB printed: autograded notebook {notebook.stat().st_size / 2**20:.1f} MiB, "
          f"feedback page {page.stat().st_size / 2**20:.1f} MiB")
    assert notebook.stat().st_size < 3 * 2**20 and page.stat().st_size < 3 * 2**20
    assert "[output cut by the grader: this cell's outputs came to 7.6 MiB" in page.read_text()


def test_every_question_whose_answer_is_there_keeps_its_points(graded_class):
    course = graded_class.course
    source = {(path.stem, cell.metadata.nbgrader.grade_id): cell.metadata.nbgrader
              for path in step_dir(course, "source").glob("*.ipynb")
              for cell in nbformat.read(path, as_version=4).cells if cell.metadata.get("nbgrader", {}).get("grade")}
    tests = {key for key, meta in source.items() if not meta.get("solution")}
    answers = set(source) - tests
    rows = read_csv(course / "grades.csv")
    table = {}
    for student in GOOD:
        mine = {(row["notebook"], row["question"]): row for row in rows if row["student"] == student}
        assert set(mine) == set(source), student
        lost = {q for nb, q in tests if float(mine[nb, q]["score"]) < float(mine[nb, q]["max_score"])}
        assert lost == LOST[student], f"{student} lost {sorted(lost)}"
        lost_answers = set().union(*(LOST_ANSWERS.get(damage, set()) for damage in DAMAGED.get(student, [])))
        to_grade = {q for nb, q in answers if mine[nb, q]["needs_manual_grade"] == "True"}
        assert to_grade == {q for _, q in answers} - lost_answers, student
        table[student] = sum(float(mine[key]["score"]) for key in tests)
    print("autograded points:", table, "of", sum(source[q]["points"] for q in tests))


def test_the_instructor_reads_a_line_per_student_and_a_summary(graded_class):
    course, done = graded_class.course, graded_class.done
    console = (done.stdout + done.stderr).splitlines()
    assert not [line for line in console if any(word in line for word in NOISE)], console
    for student in graded_students():
        assert len([line for line in console if re.match(rf"{student}: [\d.]+ of [\d.]+ points in \d+ s", line)]) == 1
    # Not a terminal: no bar, and each student's line ends with the class's progress.
    progress = [re.search(r" \[(\d+)/(\d+), \d+ an hour, \d+ min left\]$", line) for line in console]
    counts = [(int(found[1]), int(found[2])) for found in progress if found]
    assert counts == [(done, len(counts)) for done in range(1, len(counts) + 1)] and len(counts) >= len(graded_students())
    assert "%|" not in done.stdout + done.stderr, "no bar drawn"
    assert any(line.startswith("not collected: ") and "broken.zip" in line for line in console)
    ledger_entries = ledger.load(course)
    repaired = sum(1 for entry in ledger_entries.values() if entry["repairs"])
    summary = (f"summary: {len(graded_students()) + len(REFUSED)} hand-in(s), {repaired} repaired, "
               f"{len(REFUSED)} with a problem")
    assert summary in console, console
    assert {"damaged", "combined", "forge_verdicts", "hostile"} <= {
        student for student, entry in ledger_entries.items() if entry["repairs"]}
    assert any("damaged repaired" in line and "fit_model found 2 times" in line for line in console)
    log = (course / "grading.log").read_text()
    assert KERNEL_LINE in log and not [line for line in console if KERNEL_LINE in line], "kernel lines go to the log"
    warning = "Alternative text is missing"  # nbconvert's, as it writes the feedback pages
    assert warning in log and not [line for line in console if warning in line], "nbconvert's warnings go to the log"


def test_feedback_lists_the_repairs(graded_class):
    course = graded_class.course
    page = (step_dir(course, "feedback", "damaged") / "04_training.html").read_text()
    assert "Your hand-in was repaired before grading" in page and "fit_model found 2 times" in page
    assert "repaired before grading" not in (step_dir(course, "feedback", NOT_IN_ROSTER) / "01_data.html").read_text()


def test_feedback_holds_the_pages_only_without_tensorflow_start_up_noise(graded_class):
    for student in graded_students():
        folder = step_dir(graded_class.course, "feedback", student)
        assert sorted(p.name for p in folder.iterdir()) == [f"{nb}.html" for nb in NOTEBOOKS], student
        for page in folder.glob("*.html"):
            text = page.read_text()
            # TensorFlow's start-up lines (notebook 4's own text may name oneDNN)
            assert not [word for word in ("oneDNN custom operations", "absl::", "cpu_feature_guard") if word in text], page


def test_canvas_file_has_the_roster_and_the_graded_totals(graded_class):
    with (graded_class.course / "canvas.csv").open() as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == [*CANVAS_STUDENT, CANVAS_ASSIGNMENT] and rows[1][0].strip() == "Points Possible"
    by_login = {row[3]: row for row in rows[2:]}
    assert set(by_login) == set(graded_students()) - {NOT_IN_ROSTER} | set(REFUSED) | {"absent"}
    assert by_login["broken"][0] == "Student broken" and by_login["broken"][1].isdigit()
    # Written answers are still to grade by hand: no total goes to Canvas yet. The blank release's
    # answers, left as released (so in the attacks mounted on it), need no hand-grading: its total (0) goes.
    blank = {"blank", *(attack for attack, twin in ATTACKS.items() if twin == "blank")}
    assert all(row[5] == "" for student, row in by_login.items() if student not in blank)
    assert {by_login[student][5] for student in blank} == {"0.0"}


def test_feedback_goes_on_when_one_student_fails(graded_class, tmp_path):
    copy = tmp_path / "course"
    shutil.copytree(graded_class.course, copy)
    (step_dir(copy, "autograded", "damaged") / "03_unet.ipynb").write_text("{ cut off")
    shutil.rmtree(copy / "feedback")
    files = feedback(copy)
    assert {f.parent.parent.name for f in files} == set(graded_students()) - {"damaged"}
    assert ledger.problems(copy, "damaged") == {"feedback": "nbgrader could not write it (its log is in the grading log)"}


# The formgrader, driven as an instructor does it, in headless Chromium: one written answer of the graded class.
SCREENSHOT = KIT / "artifacts" / "test_output" / "formgrader_manual_grading.png"
MANUAL = ("combined", "03_unet", "answer_how_unet_works", 4.5, "Clear on the skip connections; say why they help.")


def test_formgrader_manual_grade_reaches_feedback_and_grades(formgrader, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    course, base, token = formgrader
    student, notebook, question, points, comment = MANUAL
    page = step_dir(course, "feedback", student) / f"{notebook}.html"
    pending = f'href="#{question}">Written response</a> ({PENDING}, 6 points)'
    assert pending in page.read_text(), "before it is graded by hand, the answer is pending, not 0"
    browser.get(f"{base}/formgrader?token={token}")
    browser.find_element(By.LINK_TEXT, "Manual Grading").click()
    browser.find_element(By.LINK_TEXT, "lung_segmentation").click()
    browser.find_element(By.LINK_TEXT, notebook).click()
    browser.find_element(By.LINK_TEXT, "Submission #1")  # the table has loaded
    browser.find_element(By.ID, "toggle_names").click()
    browser.find_element(By.PARTIAL_LINK_TEXT, f"Student {student}").click()  # the roster's name, not "None, None"
    wait = WebDriverWait(browser, 60, poll_frequency=1)
    # The score boxes save only once the page's script has loaded the grades and comments.
    wait.until(lambda driver: driver.execute_script(
        "return typeof formgrader !== 'undefined' && formgrader.grades !== undefined && formgrader.grades.loaded"
        " && formgrader.comments !== undefined && formgrader.comments.loaded"))
    score = browser.find_element(By.ID, question)
    score.clear()
    score.send_keys(str(points), Keys.TAB)
    text = browser.find_element(By.ID, f"{question}-comment")
    text.send_keys(comment, Keys.TAB)
    wait.until(lambda driver: grades_of(course, student)[question][1] == points)  # the formgrader saved it
    wait.until(lambda driver: driver.execute_script("return jQuery.active === 0"))  # and the comment
    browser.refresh()  # what the formgrader shows now comes from the gradebook
    wait.until(lambda driver: driver.find_element(By.ID, question).get_attribute("value") == f"{points:g}")
    score = browser.find_element(By.ID, question)
    assert browser.find_element(By.ID, f"{question}-comment").get_attribute("value") == comment
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", score)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT))
    print("formgrader screenshot:", SCREENSHOT)

    feedback(course)
    text = page.read_text()
    assert comment in text and f"{points:g} / 6" in text.replace(".0 ", " ") and pending not in text
    export(course)
    row = next(row for row in read_csv(course / "grades.csv") if (row["student"], row["question"]) == (student, question))
    assert (float(row["score"]), row["needs_manual_grade"]) == (points, "False")
