"""The instructor's browser, headless Chromium, on the graded class of tests/graded_class.py: the
hostile hand-in's scripts never run in the formgrader or in a feedback page, and the formgrader's
Generate, Release and Generate Feedback buttons make exactly what the kit's commands make."""
import shutil
import time

import pytest
from nbgrader.api import Gradebook

from grading import ledger
from grading.course import COURSE_ID, course_api, step_dir
from grading.course_folder import ASSIGNMENT
from grading.output.leaks import HIDDEN_TESTS, find_leaks, secret_lines
from grading.output.release import STUDENT_SCRIPTS, check_release
from tests.attacks import XSS_NAMES
from tests.conftest import grades_of
from tests.graded_class import graded_students

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
SETTLE = 3  # seconds for a page's scripts to run: an image's onerror fires at once


def submission_id(course, student, notebook):
    coursedir = course_api(course).coursedir
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        return gradebook.find_submission_notebook(notebook, ASSIGNMENT, student).id


def what_ran(browser, beacon_paths):
    """The payloads that called the listener, and the ``javascript:`` links on the page."""
    time.sleep(SETTLE)
    links = browser.execute_script(
        "return [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"
        ".filter(href => href.replace(/\\s/g, '').toLowerCase().startsWith('javascript:'))")
    return [path for path in beacon_paths if path.startswith("/xss/")], links


def test_student_scripts_never_run_in_the_formgrader_or_the_feedback(formgrader, browser, beacon):
    from selenium.webdriver.common.by import By

    course, base, token = formgrader
    port, paths = beacon
    before = grades_of(course, "hostile")
    browser.get(f"{base}/formgrader?token={token}")
    browser.get(f"{base}/formgrader/submissions/{submission_id(course, 'hostile', '03_unet')}/?index=0")
    assert browser.find_element(By.ID, "answer_how_unet_works")  # the score box: the page has loaded
    page = browser.page_source
    assert "The U-Net encodes the slice" in page, "the student's answer is shown, as text"
    assert what_ran(browser, paths) == ([], []) and browser.title == "03_unet"
    assert f"xss/{XSS_NAMES[0]}" in page, "the payloads are on the page, inert"
    assert grades_of(course, "hostile") == before, "no grade changed"

    browser.get(step_dir(course, "feedback", "hostile").joinpath("03_unet.html").as_uri())
    assert "The U-Net encodes the slice" in browser.page_source
    assert what_ran(browser, paths) == ([], [])

    # The listener is reachable from this browser: a script that does run is seen.
    browser.execute_script(f"new Image().src = 'http://127.0.0.1:{port}/xss/control'")
    for _ in range(50):
        if "/xss/control" in paths:
            break
        time.sleep(0.1)
    assert "/xss/control" in paths


def click(browser, icon):
    """Click the formgrader's button showing ``icon``; return the id and text of the dialog it opens."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.find_element(By.CSS_SELECTOR, f"span.{icon}").find_element(By.XPATH, "..").click()
    dialogs = WebDriverWait(browser, 300, poll_frequency=1).until(lambda driver: [
        dialog for dialog in driver.find_elements(By.CSS_SELECTOR, "#success-modal, #error-modal")
        if dialog.is_displayed()])
    found = dialogs[0].get_attribute("id"), dialogs[0].text
    browser.execute_script("$('.modal').modal('hide').remove(); $('.modal-backdrop').remove();")
    return found


def test_the_formgrader_buttons_make_what_the_kit_makes(formgrader, browser):
    course, base, token = formgrader
    source, release = step_dir(course, "source"), step_dir(course, "release")
    (course / f"{ASSIGNMENT}.zip").unlink()
    for folder in (release, course / "feedback"):  # what the buttons must make again
        shutil.rmtree(folder)
    browser.get(f"{base}/formgrader/manage_assignments?token={token}")

    assert click(browser, "glyphicon-education")[0] == "success-modal"  # Generate
    check_release(course)  # no solution or hidden test: helpers/ stripped
    assert {"README.md", "requirements.txt", *STUDENT_SCRIPTS} <= {p.name for p in release.iterdir()}
    assert (course / f"{ASSIGNMENT}.zip").is_file()

    assert click(browser, "glyphicon-cloud-upload")[0] == "success-modal"  # Release
    outbound = course.parent / "exchange" / COURSE_ID / "outbound" / ASSIGNMENT  # the hub's exchange
    assert not find_leaks(outbound, secret_lines(source))
    assert {"README.md", *STUDENT_SCRIPTS} <= {p.name for p in outbound.iterdir()}

    assert click(browser, "glyphicon-comment")[0] == "success-modal"  # Generate Feedback
    for student in graded_students():
        folder = step_dir(course, "feedback", student)
        assert sorted(p.suffix for p in folder.iterdir()) == [".html"] * 5, student
        assert "feedback" not in ledger.problems(course, student), student
    assert not find_leaks(course / "feedback", secret_lines(source, kinds=("hidden tests",)), HIDDEN_TESTS)
    assert "Your hand-in was repaired before grading" in (step_dir(course, "feedback", "damaged") /
                                                           "04_training.html").read_text()
