"""Hand-ins submitted through nbgrader's exchange, collected through the kit's intake, and their feedback
released back there (grading/exchange.py), with real unix users owning their submissions (made here,
as root, as a hub's students are)."""
import os
import pwd
import secrets
import shutil
import subprocess

import pytest
from nbgrader.utils import notebook_hash

from grading import ledger
from grading.__main__ import main
from grading.autograde import autograde
from grading.course import ASSIGNMENT, COURSE_ID, step_dir
from grading.feedback import feedback
from tests.conftest import require_tool

STUDENTS = ("lungkit-ann", "lungkit-bob")


@pytest.fixture(scope="module")
def users():
    """The hub's students, as unix users: ``{name: uid}``."""
    if os.getuid() != 0:
        pytest.skip("the exchange's submissions are owned by their students: making those users needs root")
    require_tool("useradd", "passwd", "the students are unix users")
    for name in STUDENTS:
        if subprocess.run(["id", name], capture_output=True).returncode:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    return {name: pwd.getpwnam(name).pw_uid for name in STUDENTS}


def submit(exchange, course, student, owner, when, secret=None):
    """What ``nbgrader submit`` leaves in the exchange: the release as ``student`` handed it in at ``when``,
    owned by the user ``owner``; ``secret=None`` draws one, ``secret=False`` writes none (a partial copy)."""
    folder = exchange / COURSE_ID / "inbound" / f"{student}+{ASSIGNMENT}+{when}+{secrets.token_urlsafe(6)}"
    shutil.copytree(step_dir(course, "release"), folder)
    (folder / "timestamp.txt").write_text(when)
    if secret is not False:
        (folder / "submission_secret.txt").write_text(secret or secrets.token_hex(64))
    for path in [folder, *folder.rglob("*")]:
        os.lchown(path, owner, owner)
    return folder


@pytest.fixture
def exchange(users, released_course, tmp_path):
    """A course and an exchange where ann submitted twice (the later with a link to /etc/shadow), bob
    once, bob also under ann's name, and a copy of bob's still in progress."""
    course = tmp_path / "course"
    shutil.copytree(released_course, course)
    root = tmp_path / "exchange"
    ann, bob = STUDENTS
    submit(root, course, ann, users[ann], "2026-12-01 09:00:00.000000 UTC")
    latest = submit(root, course, ann, users[ann], "2026-12-01 10:00:00.000000 UTC")
    (latest / "shadow").symlink_to("/etc/shadow")
    submit(root, course, bob, users[bob], "2026-12-01 09:30:00.000000 UTC")
    submit(root, course, ann, users[bob], "2026-12-01 11:00:00.000000 UTC")  # bob, as ann, later than ann
    submit(root, course, bob, users[bob], "2026-12-01 12:00:00.000000 UTC", secret=False)
    return course, root, latest


def test_collect_takes_each_students_latest_own_submission_through_the_intake(exchange, capfd):
    course, root, latest = exchange
    ann, bob = STUDENTS
    assert main(["--course", str(course), "collect", "--exchange", str(root)]) == 1, "the refusals are named"
    console = capfd.readouterr().err
    assert f"made by {bob}, not by the student {ann} it names" in console
    assert "incomplete (no timestamp.txt or submission_secret.txt" in console
    submitted = step_dir(course, "submitted", ann)
    assert (submitted / "timestamp.txt").read_text() == "2026-12-01 10:00:00.000000 UTC", "ann's own latest"
    assert (submitted / "submission_secret.txt").read_text() == (latest / "submission_secret.txt").read_text()
    assert not (submitted / "shadow").exists() and (submitted / "01_data.ipynb").is_file()
    repairs = " | ".join(ledger.load(course)[ann]["repairs"])
    assert "an earlier submission, not graded" in repairs and "shadow" in repairs
    assert (step_dir(course, "submitted", bob) / "timestamp.txt").read_text() == "2026-12-01 09:30:00.000000 UTC"


def test_the_feedback_goes_back_to_the_exchange_named_as_nbgrader_fetches_it(exchange, capfd):
    """Collect, autograde and feedback ann, then release-feedback: her pages are in the exchange under the
    names ``nbgrader fetch_feedback`` looks for; a student who handed in another way is named."""
    course, root, latest = exchange
    ann = STUDENTS[0]
    main(["--course", str(course), "collect", "--exchange", str(root)])
    assert autograde(course, [ann], timeout=60, sandbox=False)[ann]["success"]
    feedback(course)
    kept = sorted(path.name for path in step_dir(course, "feedback", ann).iterdir())
    assert [name for name in kept if not name.endswith(".html")] == ["submission_secret.txt", "timestamp.txt"]
    elsewhere = step_dir(course, "feedback", "carl")  # collected from a folder: no submission secret
    elsewhere.mkdir(parents=True)
    (elsewhere / "01_data.html").write_text("<html></html>")
    capfd.readouterr()
    assert main(["--course", str(course), "release-feedback", "--exchange", str(root)]) == 0
    assert "carl: not submitted through the exchange" in capfd.readouterr().err
    secret = (latest / "submission_secret.txt").read_text()
    released = {path.name for path in (root / COURSE_ID / "feedback").iterdir()}
    pages = sorted(path.stem for path in step_dir(course, "feedback", ann).glob("*.html"))
    assert len(pages) == 5 and released == {f"{notebook_hash(secret=secret, notebook_id=page)}.html" for page in pages}
