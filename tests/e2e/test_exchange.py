"""Hand-ins submitted through nbgrader's exchange, collected through the kit's intake, and their feedback
released back there (grading/intake/exchange.py), with real unix users owning their submissions (made here,
as root, as a hub's students are); the last test is a whole hub round trip with nbgrader's own
commands run by those users."""
import importlib.metadata
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from nbgrader.utils import notebook_hash

from grading import ledger
from grading.__main__ import main
from grading.autograding.autograde import autograde
from grading.course import COURSE_ID, KIT, step_dir
from grading.course_folder import ASSIGNMENT
from grading.output.feedback import feedback
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
    root.mkdir()
    root.chmod(0o1777)  # as a hub's admin makes it
    ann, bob = STUDENTS
    submit(root, course, ann, users[ann], "2026-12-01 09:00:00.000000 UTC")
    latest = submit(root, course, ann, users[ann], "2026-12-01 10:00:00.000000 UTC")
    (latest / "shadow").symlink_to("/etc/shadow")
    (latest / "zeros").symlink_to("/dev/zero")
    os.mkfifo(latest / "stall")  # a reader waits on it for ever
    for path in ("shadow", "zeros", "stall"):
        os.lchown(latest / path, users[ann], users[ann])
    submit(root, course, bob, users[bob], "2026-12-01 09:30:00.000000 UTC")
    submit(root, course, ann, users[bob], "2026-12-01 11:00:00.000000 UTC")  # bob, as ann, later than ann
    submit(root, course, bob, users[bob], "2026-12-01 12:00:00.000000 UTC", secret=False)
    return course, root, latest


def collect_command(course, *options):
    """``python -m grading collect --exchange ...`` as the instructor runs it, in a process of its own: a
    submission that made it wait (a FIFO) or write without end (/dev/zero) fails the test, not the run."""
    return subprocess.run([sys.executable, "-m", "grading", "--course", str(course), "collect", "--exchange", *options],
                          cwd=KIT, capture_output=True, text=True, timeout=300)


def test_collect_takes_each_students_latest_own_submission_through_the_intake(exchange):
    course, root, latest = exchange
    ann, bob = STUDENTS
    done = collect_command(course, str(root))
    assert done.returncode == 1, "the refusals are named"
    assert f"made by {bob}, not by the student {ann} it names" in done.stderr
    assert "incomplete (no timestamp.txt or submission_secret.txt" in done.stderr
    submitted = step_dir(course, "submitted", ann)
    assert (submitted / "timestamp.txt").read_text() == "2026-12-01 10:00:00.000000 UTC", "ann's own latest"
    assert (submitted / "submission_secret.txt").read_text() == (latest / "submission_secret.txt").read_text()
    assert {"shadow", "zeros", "stall"}.isdisjoint(path.name for path in submitted.iterdir())
    assert (submitted / "01_data.ipynb").is_file()
    assert sum(path.stat().st_size for path in submitted.rglob("*")) < 5e6, "nothing read from /dev/zero"
    repairs = " | ".join(ledger.load(course)[ann]["repairs"])
    assert "an earlier submission, not graded" in repairs
    assert all(name in repairs for name in ("shadow", "zeros", "stall")), repairs
    assert (step_dir(course, "submitted", bob) / "timestamp.txt").read_text() == "2026-12-01 09:30:00.000000 UTC"
    for path in [course, *(course / "submitted").rglob("*")]:
        assert not stat.S_IMODE(path.stat().st_mode) & 0o022, f"{path}: others could change it"
    assert not stat.S_IMODE(course.stat().st_mode) & 0o077, "students cannot reach the course folder"


def test_collect_with_a_due_time_takes_the_last_submission_before_it(exchange):
    course, root, _ = exchange
    ann, bob = STUDENTS
    done = collect_command(course, str(root), "--due", "2026-12-01 09:45 UTC")
    assert done.returncode == 1, done.stderr  # bob's folder under ann's name is still refused
    assert (step_dir(course, "submitted", ann) / "timestamp.txt").read_text() == "2026-12-01 09:00:00.000000 UTC"
    assert "submitted after the due time, not graded" in " | ".join(ledger.load(course)[ann]["repairs"])
    done = collect_command(course, str(root), "--due", "2026-12-01 09:15 UTC")
    assert f"{bob} submitted after the due time only (1 submission(s))" in done.stderr
    bad = collect_command(course, str(root), "--due", "after lunch")
    assert bad.returncode == 2 and "'after lunch' is not a time: give it as '2026-12-01 17:00 UTC'" in bad.stderr


def test_an_exchange_students_could_rearrange_is_refused_naming_the_fix(exchange):
    course, root, _ = exchange
    root.chmod(0o777)  # nbgrader made the kit's old exchange so: a student could rename another's folder
    done = collect_command(course, str(root))
    assert done.returncode == 1 and f"run `chmod 1777 {root}`" in done.stderr
    assert not (course / "submitted").exists(), "nothing collected from it"
    inside = root.rename(course / "exchange")  # where the kit used to make it
    inside.chmod(0o1777)
    done = collect_command(course, str(inside))
    assert done.returncode == 1 and f"is inside the course folder {course}" in done.stderr


@pytest.mark.grades_hand_in
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


def as_student(name, home, python, *command):
    """Run nbgrader ``command`` as the student ``name`` in ``home``, with the hub's Python and settings."""
    user = pwd.getpwnam(name)
    return subprocess.run(
        ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", "--", "env", "-i",
         f"HOME={home}", f"USER={name}", f"LOGNAME={name}", "PATH=/usr/bin:/bin", f"JUPYTER_CONFIG_PATH={home.parent / 'etc'}",
         str(python), "-m", "nbgrader", *command], cwd=home, capture_output=True, text=True, timeout=300)


@pytest.mark.fresh_venv
def test_a_hub_round_trip_with_nbgrader_run_by_its_students(users, released_course, tmp_path):
    """A hub on one machine: a 1777 exchange and its settings in a Jupyter configuration folder, the students'
    Python with grading/hub-requirements.txt. The instructor releases with nbgrader; ann and bob fetch and
    submit with nbgrader, as themselves; bob then plants a link to /etc/shadow, a FIFO and a link to
    /dev/zero in his submission, and a later folder under ann's name. The kit collects from the hub's
    exchange (no --exchange ROOT given), grades, releases the feedback; both fetch it with nbgrader."""
    require_tool("setpriv", "util-linux", "the students run nbgrader as themselves")
    pin = f"nbgrader=={importlib.metadata.version('nbgrader')}"
    assert pin in (KIT / "grading" / "hub-requirements.txt").read_text().splitlines(), "the instructor's version"
    ann, bob = STUDENTS
    hub = Path(tempfile.mkdtemp(prefix="lungkit-hub-"))
    try:
        hub.chmod(0o755)
        root, settings = hub / "exchange", hub / "etc"
        root.mkdir(mode=0o1777)
        root.chmod(0o1777)
        settings.mkdir()
        (settings / "nbgrader_config.py").write_text(f"c.Exchange.root = {str(root)!r}\nc.CourseDirectory.course_id = 'lungs101'\n")
        python = hub / "venv" / "bin" / "python"
        for command in (["/usr/bin/python3", "-m", "venv", hub / "venv"],
                        [python, "-m", "pip", "install", "--quiet", "-r", KIT / "grading" / "hub-requirements.txt"]):
            subprocess.run(list(map(str, command)), check=True, timeout=600)
        env = {**os.environ, "JUPYTER_CONFIG_PATH": str(settings)}
        course = tmp_path / "course"
        shutil.copytree(released_course, course)
        released = subprocess.run([sys.executable, "-m", "nbgrader", "release_assignment", ASSIGNMENT],
                                  cwd=course, env=env, capture_output=True, text=True)
        assert released.returncode == 0, released.stderr[-2000:]
        for name in STUDENTS:
            home = hub / name
            home.mkdir(mode=0o700)
            os.chown(home, users[name], users[name])
            for step in ("fetch_assignment", "submit"):
                done = as_student(name, home, python, step, ASSIGNMENT)
                assert done.returncode == 0, (name, step, done.stderr[-2000:])
        inbound = root / "lungs101" / "inbound"
        bobs = next(inbound.glob(f"{bob}+*"))
        (bobs / "shadow").symlink_to("/etc/shadow")
        (bobs / "zeros").symlink_to("/dev/zero")
        os.mkfifo(bobs / "stall")
        fake = inbound / f"{ann}+{ASSIGNMENT}+2099-01-01 00:00:00.000000 UTC+forged"
        shutil.copytree(bobs, fake, symlinks=True, ignore=shutil.ignore_patterns("stall"))
        for path in [*bobs.iterdir(), fake, *fake.rglob("*")]:
            os.lchown(path, users[bob], users[bob])

        def kit(*command):
            return subprocess.run([sys.executable, "-m", "grading", "--course", str(course), *command],
                                  cwd=KIT, env=env, capture_output=True, text=True, timeout=1200)

        graded = kit("grade", "--exchange", "--no-sandbox", "--jobs", "2")
        assert graded.returncode == 1, graded.stderr[-3000:]
        assert f"made by {bob}, not by the student {ann} it names" in graded.stderr
        assert {"shadow", "zeros", "stall"}.isdisjoint(p.name for p in step_dir(course, "submitted", bob).iterdir())
        assert kit("release-feedback", "--exchange").returncode == 0
        shadow = Path("/etc/shadow").read_text().splitlines()[0]
        for name in STUDENTS:
            done = as_student(name, hub / name, python, "fetch_feedback", ASSIGNMENT)
            assert done.returncode == 0, (name, done.stderr[-2000:])
            pages = list((hub / name / ASSIGNMENT / "feedback").glob("*/*.html"))
            assert len(pages) == 5, (name, pages)
            assert not any(shadow in page.read_text() for page in pages)
    finally:
        shutil.rmtree(hub, ignore_errors=True)


def test_nbgraders_own_collect_goes_through_the_kits_intake(exchange):
    """``nbgrader collect``, which the formgrader's Collect button runs, collects as the kit does."""
    course, root, _ = exchange
    ann, bob = STUDENTS
    done = subprocess.run([sys.executable, "-m", "nbgrader", "collect", ASSIGNMENT, f"--Exchange.root={root}"],
                          cwd=course, capture_output=True, text=True, timeout=300)
    assert f"made by {bob}, not by the student {ann} it names" in done.stderr, done.stderr[-3000:]
    assert "collected 2 submission(s) through the kit's intake" in done.stderr
    submitted = step_dir(course, "submitted", ann)
    assert (submitted / "timestamp.txt").read_text() == "2026-12-01 10:00:00.000000 UTC"
    assert {"shadow", "zeros", "stall"}.isdisjoint(path.name for path in submitted.iterdir())
    assert ledger.collected(course, ann) and ledger.collected(course, bob), "autograde will take them"
