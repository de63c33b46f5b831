"""A class with damaged hand-ins and one broken one, graded as an instructor does it:
``python -m grading grade HAND_INS --roster ROSTER``, one batch. Every good hand-in must be graded
with exactly the points its answers earn, the broken one named, and every output written.
Needs the real data (the kernels train and evaluate on it).
"""
import csv
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest

from grading import ledger
from grading.course import KIT, step_dir
from grading.feedback import feedback
from grading.grades import CANVAS_ASSIGNMENT, CANVAS_STUDENT, export
from tests.conftest import require_tool
from tests.hand_in_damage import DAMAGES, LOST_ANSWERS, add_own_cell, write_damaged_hand_ins, zip_of_zips

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

TIMEOUT = 60  # seconds per cell, as in test_grading
# The four damages of issue 11's table, and the others combined where they touch different notebooks.
TABLE = ["duplicated_answer", "stripped_metadata", "browser_rename", "deleted_test"]
COMBINED = ["nbformat_4_4", "markdown_as_code", "editor_copy_and_case", "reordered"]
GOOD = TABLE + ["combined", "empty_notebook", "zipped"]
# The autograded tests each hand-in loses: those whose answer cell is really gone.
LOST_TESTS = {"empty_notebook": {"test_compile", "test_fit"}}
NOISE = ("oneDNN", "absl", "tensorflow", "[Autograde", "[GenerateFeedback", "Traceback", "nbconvert")
# A line written straight to the kernel's stderr, as TensorFlow's C++ start-up lines are (which ones
# TensorFlow writes depends on the CPU, so the test writes its own).
KERNEL_LINE = "kernel-stderr: a start-up line of a C++ library"


@pytest.fixture(scope="module")
def graded_class(released_course, fast_weights, tmp_path_factory):
    """The class graded in one command: ``(course, hand-ins folder, completed process)``."""
    course = tmp_path_factory.mktemp("class") / "course"
    shutil.copytree(released_course, course)
    hand_ins = tmp_path_factory.mktemp("class_hand_ins")
    write_damaged_hand_ins(hand_ins, step_dir(course, "source"), step_dir(course, "release"), fast_weights,
                           students=TABLE + COMBINED + ["empty_notebook"])
    shutil.copytree(hand_ins / COMBINED[0], hand_ins / "combined")
    for student in COMBINED:  # each damages another notebook: apply them all to one hand-in
        for function, *arguments in DAMAGES[student]:
            if student != COMBINED[0]:
                function(hand_ins / "combined", *arguments)
        shutil.rmtree(hand_ins / student)
    add_own_cell(hand_ins / "deleted_test", "01_data.ipynb", "data_setup", f"import os; os.write(2, b'{KERNEL_LINE}\\n')")
    shutil.copytree(hand_ins / "browser_rename", hand_ins / "lung_segmentation")
    (hand_ins / "lung_segmentation" / "02_augmentation (1).ipynb").rename(
        hand_ins / "lung_segmentation" / "02_augmentation.ipynb")
    zip_of_zips(hand_ins / "lung_segmentation", hand_ins / "zipped.zip")
    shutil.rmtree(hand_ins / "lung_segmentation")
    (hand_ins / "broken.zip").write_bytes(b"PK\x03\x04 cut off in the upload")
    roster = hand_ins.parent / "roster.csv"
    with roster.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([*CANVAS_STUDENT, "Quiz 1 (123)"])
        writer.writerow(["    Points Possible", "", "", "", "", "10"])
        for number, student in enumerate(sorted(set(GOOD) - {"zipped"} | {"broken", "absent"})):
            writer.writerow([f"Student {student}", 1000 + number, f"S{number}", student, "A", "7"])
    command = [sys.executable, "-m", "grading", "--course", str(course), "grade", str(hand_ins), "--roster", str(roster),
               "--timeout", str(TIMEOUT)]
    done = subprocess.run(command, cwd=KIT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""})
    print(done.stdout, done.stderr)
    return course, hand_ins, done


def read_csv(path):
    with path.open() as stream:
        return list(csv.DictReader(stream))


def test_one_broken_hand_in_never_stops_the_others(graded_class):
    course, _, done = graded_class
    assert done.returncode == 1, "a hand-in could not be graded"
    students = {row["student"]: row for row in read_csv(course / "students.csv")}
    assert set(students) == set(GOOD) | {"broken", "absent"}
    assert students["broken"]["status"].startswith("not graded: collect: not a readable zip archive")
    assert students["absent"]["status"] == "no hand-in (in the roster)"
    assert students["zipped"]["status"].endswith("not in the roster, so not in canvas.csv")
    for student in GOOD:
        assert students[student]["status"].startswith("to grade by hand"), students[student]
        assert len(list(step_dir(course, "feedback", student).glob("*.html"))) == 5, student
    broken = [row for row in read_csv(course / "grades.csv") if row["student"] == "broken"]
    assert len(broken) == 1 and broken[0]["status"].startswith("not graded: collect: not a readable zip")


def test_every_question_whose_answer_is_there_keeps_its_points(graded_class):
    course, _, _ = graded_class
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
        assert lost == LOST_TESTS.get(student, set()), f"{student} lost {sorted(lost)}"
        to_grade = {q for nb, q in answers if mine[nb, q]["needs_manual_grade"] == "True"}
        assert to_grade == {q for _, q in answers} - LOST_ANSWERS.get(student, set()), student
        table[student] = sum(float(mine[key]["score"]) for key in tests)
    print("autograded points:", table, "of", sum(source[q]["points"] for q in tests))


def test_the_instructor_reads_a_line_per_student_and_a_summary(graded_class):
    course, _, done = graded_class
    console = (done.stdout + done.stderr).splitlines()
    assert not [line for line in console if any(word in line for word in NOISE)], console
    for student in GOOD:
        assert len([line for line in console if re.match(rf"{student}: [\d.]+ of [\d.]+ points in \d+ s", line)]) == 1
    assert any(line.startswith("not collected: ") and "broken.zip" in line for line in console)
    summary = f"summary: {len(GOOD) + 1} hand-in(s), {len(GOOD) - 1} repaired, 1 with a problem"
    assert summary in console, console
    assert any("duplicated_answer repaired" in line and "fit_model found 2 times" in line for line in console)
    log = (course / "grading.log").read_text()
    assert KERNEL_LINE in log and not [line for line in console if KERNEL_LINE in line], "kernel lines go to the log"
    assert "Attribute 'checksum'" in log, "nbgrader's warnings go to the log"


def test_feedback_lists_the_repairs(graded_class):
    course, _, _ = graded_class
    page = (step_dir(course, "feedback", "duplicated_answer") / "04_training.html").read_text()
    assert "Your hand-in was repaired before grading" in page and "fit_model found 2 times" in page
    assert "repaired before grading" not in (step_dir(course, "feedback", "zipped") / "01_data.html").read_text()


def test_canvas_file_has_the_roster_and_the_graded_totals(graded_class):
    course, _, _ = graded_class
    with (course / "canvas.csv").open() as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == [*CANVAS_STUDENT, CANVAS_ASSIGNMENT] and rows[1][0].strip() == "Points Possible"
    by_login = {row[3]: row for row in rows[2:]}
    assert set(by_login) == set(GOOD) - {"zipped"} | {"broken", "absent"}
    assert by_login["broken"][0] == "Student broken" and by_login["broken"][1].isdigit()
    # Written answers are still to grade by hand: no total goes to Canvas yet.
    assert all(row[5] == "" for row in by_login.values())


def test_feedback_goes_on_when_one_student_fails(graded_class, tmp_path):
    course, _, _ = graded_class
    copy = tmp_path / "course"
    shutil.copytree(course, copy)
    (step_dir(copy, "autograded", "deleted_test") / "03_unet.ipynb").write_text("{ cut off")
    shutil.rmtree(copy / "feedback")
    files = feedback(copy)
    assert {f.parent.parent.name for f in files} == set(GOOD) - {"deleted_test"}
    assert ledger.problems(copy, "deleted_test") == ["feedback: nbgrader could not write it (its log is in the grading log)"]


# The formgrader, driven as an instructor does it, in headless Chromium: one written answer of the graded class.
SCREENSHOT = KIT / "artifacts" / "test_output" / "formgrader_manual_grading.png"
MANUAL = ("stripped_metadata", "03_unet", "answer_how_unet_works", 4.5, "Clear on the skip connections; say why they help.")


@pytest.fixture
def formgrader(graded_class, tmp_path):
    """The course's Jupyter server on 127.0.0.1 over a copy of the graded class: ``(course, base URL)``."""
    require_tool("chromium", "chromium", "the formgrader test drives the system's Chromium")
    require_tool("chromedriver", "chromium-driver", "Selenium drives Chromium through it")
    course = tmp_path / "course"
    shutil.copytree(graded_class[0], course)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = secrets.token_hex(16)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"],
        cwd=course, stdout=subprocess.DEVNULL, stderr=(tmp_path / "server.log").open("w"))
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "server.log").read_text()
                time.sleep(0.5)
        yield course, base, token
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def browser(tmp_path, monkeypatch):
    """Headless Chromium, the system's, with a fresh profile and no network of its own."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must never download a browser or driver
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--window-size=1280,1600",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    driver.implicitly_wait(20)
    yield driver
    driver.quit()


def test_formgrader_manual_grade_reaches_feedback_and_grades(formgrader, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    course, base, token = formgrader
    student, notebook, question, points, comment = MANUAL
    browser.get(f"{base}/formgrader?token={token}")
    browser.find_element(By.LINK_TEXT, "Manual Grading").click()
    browser.find_element(By.LINK_TEXT, "lung_segmentation").click()
    browser.find_element(By.LINK_TEXT, notebook).click()
    browser.find_element(By.LINK_TEXT, "Submission #1")  # the table has loaded
    browser.find_element(By.ID, "toggle_names").click()
    browser.find_element(By.LINK_TEXT, student).click()
    score = browser.find_element(By.ID, question)
    score.clear()
    score.send_keys(str(points), Keys.TAB)
    text = browser.find_element(By.ID, f"{question}-comment")
    text.send_keys(comment, Keys.TAB)
    wait = WebDriverWait(browser, 30)
    wait.until(lambda driver: driver.execute_script("return jQuery.active === 0"))  # the saves are done
    browser.refresh()  # what the formgrader shows now comes from the gradebook
    wait.until(lambda driver: driver.find_element(By.ID, question).get_attribute("value") == f"{points:g}")
    score = browser.find_element(By.ID, question)
    assert browser.find_element(By.ID, f"{question}-comment").get_attribute("value") == comment
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", score)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT))
    print("formgrader screenshot:", SCREENSHOT)

    feedback(course)
    page = (step_dir(course, "feedback", student) / f"{notebook}.html").read_text()
    assert comment in page and f"{points:g} / 6" in page.replace(".0 ", " ")
    export(course)
    row = next(row for row in read_csv(course / "grades.csv") if (row["student"], row["question"]) == (student, question))
    assert (float(row["score"]), row["needs_manual_grade"]) == (points, "False")
