"""Shared fixtures: synthetic CT-like slices in the dataset's real layout, the real data, a
released course, fast-trained and untrained weights, the class of hand-ins graded once per session
(tests/graded_class.py), and ``require_tool`` for tests that need a system tool.

``make test`` runs the tests on two pytest-xdist workers, by groups (``GroupScheduling``): the tests
that read the graded class go to one of them (it is graded once per run, by that worker), the
notebooks' cells to one worker in order, each other module to whichever worker is free; the released
course and the fast weights are made once per run and shared (``made_once``).

The tests live in three tiers, one folder each, marked by it (``tier_problems`` refuses a test in
the wrong one): ``unit/`` (the kit's modules on their own: no dataset, trained weights, graded
class or browser; ``make test-quick``), ``sandbox/`` (bubblewrap, kernels, one hand-in at most) and
``e2e/`` (the graded class, browsers, fresh venvs, the cluster, the real dataset)."""
import fcntl
import glob
import hashlib
import http.server
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

# Tests train in fast mode unless told otherwise; set before helpers is imported.
os.environ.setdefault("LUNGKIT_FAST", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers.dataset import DATA_ENV, write_manifest  # noqa: E402


def synthetic_slice(rng, size=96):
    """A CT-like int16 slice in HU (padding, body, two lungs) and its {0, 255} lung mask."""
    yy, xx = np.mgrid[:size, :size] / size
    body = ((xx - 0.5) / 0.42) ** 2 + ((yy - 0.5) / 0.32) ** 2 < 1
    lungs = np.zeros_like(body)
    for centre in (0.32, 0.68):
        lungs |= ((xx - centre) / rng.uniform(0.1, 0.15)) ** 2 + ((yy - 0.5) / rng.uniform(0.18, 0.24)) ** 2 < 1
    padding = rng.integers(-2600, -1000)
    ct = np.where(body, 40, padding) + np.where(lungs, -850, 0) + rng.normal(0, 20, body.shape)
    return ct.astype(np.int16), (lungs * 255).astype(np.uint8)


def write_dataset(folder, count=10, seed=0):
    """Write ``count`` synthetic pairs as TIFFs in the Kaggle layout, with their manifest."""
    rng = np.random.default_rng(seed)
    (folder / "2d_images").mkdir(parents=True)
    (folder / "2d_masks").mkdir()
    for i in range(count):
        ct, mask = synthetic_slice(rng)
        name = f"ID_{i:04d}_Z_{100 + i:04d}.tif"
        cv2.imwrite(str(folder / "2d_images" / name), ct)
        cv2.imwrite(str(folder / "2d_masks" / name), mask)
    (folder / "lung_stats.csv").write_text("img_id,lung_area_px\n")
    write_manifest(folder, folder / "manifest.sha256")
    return folder


# Where the workers of a pytest-xdist run write each test's group, for the controller's scheduler.
GROUPS_FILE = "LUNGKIT_TEST_GROUPS"


def pytest_configure(config):
    if not hasattr(config, "workerinput") and getattr(config.option, "numprocesses", None):  # an xdist controller
        os.environ[GROUPS_FILE] = str(Path(tempfile.mkdtemp(prefix="lungkit-test-groups-")) / "groups.json")


def pytest_unconfigure(config):
    if not hasattr(config, "workerinput") and os.environ.get(GROUPS_FILE):
        shutil.rmtree(Path(os.environ.pop(GROUPS_FILE)).parent, ignore_errors=True)


TIERS = ("unit", "sandbox", "e2e")
# What a unit test may not use: the real dataset, weights trained on it, the graded class, a browser.
NOT_IN_UNIT = {"real_dataset", "fast_weights", "other_u_net_weights", "graded_class", "formgrader", "browser",
               "listener", "beacon"}
COSTLY = {"graded_class", "fresh_venv", "cluster", "grades_hand_in"}  # pyproject.toml's markers


def tier_of(item):
    """The tier folder of a test under tests/ (None for nbval's notebook cells or a test beside the tiers)."""
    parts = Path(item.nodeid.split("::")[0]).parts
    return parts[1] if len(parts) > 2 and parts[0] == "tests" and parts[1] in TIERS else None


def tier_problems(items):
    """One line per test in the wrong place: a test of tests/ outside the tier folders, or a unit test
    that uses what the unit tier leaves out (a fixture of NOT_IN_UNIT or a marker of COSTLY)."""
    problems = []
    for item in items:
        if item.nodeid.startswith("tests/") and tier_of(item) is None:
            problems.append(f"{item.nodeid}: not in a tier; move it to tests/unit, tests/sandbox or tests/e2e")
        elif tier_of(item) == "unit":
            needs = sorted(NOT_IN_UNIT & set(item.fixturenames) | COSTLY & {mark.name for mark in item.iter_markers()})
            if needs:
                problems.append(f"{item.nodeid} needs {', '.join(needs)}: move it to tests/sandbox or tests/e2e")
    return problems


def pytest_collection_modifyitems(config, items):
    """Refuse a test in the wrong tier (``tier_problems``); mark each with its tier, and each test that needs
    the graded class, whichever fixture brings it in. Under pytest-xdist, tell the controller each test's
    group (``GroupScheduling``)."""
    problems = tier_problems(items)
    if problems:
        raise pytest.UsageError("tests in the wrong tier:\n" + "\n".join(problems))
    groups = {}
    for item in items:
        if tier_of(item):
            item.add_marker(tier_of(item))
        if "graded_class" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.graded_class)
            groups[item.nodeid] = "graded class"
        elif item.nodeid.startswith("notebooks/"):
            groups[item.nodeid] = "notebooks"  # in order: notebook 5 evaluates the model notebook 4 saved
        else:
            groups[item.nodeid] = item.nodeid.split("::")[0]
    if hasattr(config, "workerinput") and os.environ.get(GROUPS_FILE):  # a worker of the run that set it
        written = Path(f"{os.environ[GROUPS_FILE]}.{config.workerinput['workerid']}")
        written.write_text(json.dumps(groups))
        written.replace(os.environ[GROUPS_FILE])


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` by the groups above: the graded class's readers on one worker (the class is
    graded once, by it), the notebooks in order on one, each other module on whichever worker is free.
    (pytest-xdist's own loadgroup reads groups from node ids, which it can no longer change on pytest 9.)"""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            if not hasattr(self, "groups"):
                self.groups = json.loads(Path(os.environ[GROUPS_FILE]).read_text())
            return self.groups[nodeid]

    return GroupScheduling(config, log) if config.getvalue("dist") == "loadgroup" else None


def made_once(tmp_path_factory, name, make):
    """The folder ``name``, made by ``make(folder)`` once per test run: with pytest-xdist, by the first
    worker that asks for it, while the others wait for it (a lock beside it)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the workers of this run
    folder, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a worker that failed left
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


@pytest.fixture
def synthetic_dataset(tmp_path):
    """A folder of 10 synthetic pairs; its manifest is ``manifest.sha256`` inside it."""
    return write_dataset(tmp_path / "finding-lungs-in-ct-data")


@pytest.fixture(scope="session")
def real_dataset():
    """The real dataset folder named by $LUNGKIT_DATA; the test is skipped without it."""
    if not os.environ.get(DATA_ENV):
        pytest.skip(f"set {DATA_ENV} to the real dataset folder to run this test")
    from helpers.dataset import find_dataset

    return find_dataset(download=False)


@pytest.fixture(scope="session")
def released_course(tmp_path_factory):
    """A course folder with the kit's assignment released (read it; copy it before changing it)."""
    from grading.output.release import release

    return made_once(tmp_path_factory, "course", release)


@pytest.fixture(scope="session")
def fast_weights(real_dataset, tmp_path_factory):
    """Weights trained once by the kit's fast pipeline, as notebook 4 would hand them in."""
    from grading.course import KIT

    def train(out):
        env = {**os.environ, "LUNGKIT_FAST": "1", "LUNGKIT_DATA": str(real_dataset)}
        subprocess.run([sys.executable, "-m", "reference.pipeline", "--out", str(out)], cwd=KIT, env=env, check=True)

    return made_once(tmp_path_factory, "weights", train)


@pytest.fixture(scope="session")
def other_u_net_weights(real_dataset, tmp_path_factory):
    """Weights for the right answers' U-Net (3x3 up-convolutions), trained by the fast pipeline on it."""
    from grading.course import KIT
    from tests.grading_submissions import THREE_BY_THREE_UP_CONVOLUTIONS, replace_solution

    variant = tmp_path_factory.mktemp("variant")
    shutil.copytree(KIT / "helpers", variant / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    replace_solution(variant / "helpers" / "model.py", "__init__", THREE_BY_THREE_UP_CONVOLUTIONS)
    # The variant's helpers come first (the working folder), the kit's reference run after them.
    env = {**os.environ, "LUNGKIT_FAST": "1", "LUNGKIT_DATA": str(real_dataset), "PYTHONPATH": str(KIT)}
    subprocess.run([sys.executable, "-m", "reference.pipeline", "--out", str(variant / "out")], cwd=variant, env=env,
                   check=True)
    return variant / "out"


@pytest.fixture(scope="session")
def untrained_weights(tmp_path_factory):
    """The fast recipe's U-Net as initialised, saved as notebook 4 saves a trained one."""
    from helpers import U_Net, save_training
    from helpers.config import FAST_MODE_UNET

    out = tmp_path_factory.mktemp("untrained")
    model = U_Net(**FAST_MODE_UNET)
    model(np.zeros((1, 128, 128, 1), np.float32))
    save_training(model, {"loss": [0.7]}, FAST_MODE_UNET, folder=out, recipe="fast", epochs=1, training_seconds=0.0,
                  fast_mode=False)
    return out


@pytest.fixture(scope="session")
def listener():
    """A TCP listener on 127.0.0.1 that counts connections; no sandboxed process may reach it."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)
    state = {"connections": 0, "stop": False}

    def serve():
        for _ in range(100_000):  # bounded: about 14 hours at most, stopped long before
            if state["stop"]:
                return
            try:
                server.accept()[0].close()
                state["connections"] += 1
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], state
    state["stop"] = True
    thread.join(timeout=5)
    server.close()


@pytest.fixture(scope="session")
def beacon():
    """An HTTP listener on 127.0.0.1 that records the paths asked of it: the hostile hand-in's scripts
    call it if they run in a browser. Yields ``(port, paths)``."""
    paths = []

    class Record(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            paths.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Record)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True)
    thread.start()
    yield server.server_address[1], paths
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture(scope="session")
def graded_class(released_course, fast_weights, other_u_net_weights, untrained_weights, listener, beacon,
                 tmp_path_factory):
    """The class of tests/graded_class.py, graded by ``python -m grading grade --roster --jobs 2``.

    The grader's environment puts the instructor's helpers and weights within reach (PYTHONPATH,
    LUNGKIT_ARTIFACTS): grading must use neither. Returns a namespace: ``course``, ``hand_ins``,
    ``done`` (the completed command), and ``before`` and ``after``, digests of what grading must
    not change (source, release, settings).
    """
    from grading.course import KIT
    from tests.graded_class import write_class

    require_tool("bwrap", "bubblewrap", "the class is graded in the sandbox")
    course = tmp_path_factory.mktemp("class") / "course"
    shutil.copytree(released_course, course)
    hand_ins = tmp_path_factory.mktemp("class_hand_ins")
    roster = write_class(hand_ins, course, fast_weights, other_u_net_weights, untrained_weights, listener[0],
                         beacon[0])
    before = course_digest(course)
    command = [sys.executable, "-m", "grading", "--course", str(course), "grade", str(hand_ins), "--roster",
               str(roster), "--timeout", "60", "--jobs", "2"]
    env = {**os.environ, "PYTHONPATH": str(KIT), "LUNGKIT_ARTIFACTS": str(fast_weights)}
    done = subprocess.run(command, cwd=KIT, capture_output=True, text=True, env=env)
    print(done.stdout, done.stderr)
    return SimpleNamespace(course=course, hand_ins=hand_ins, done=done, before=before, after=course_digest(course))


@pytest.fixture
def formgrader(graded_class, tmp_path):
    """The course's Jupyter server on 127.0.0.1 over a copy of the graded class, with a hub's exchange beside
    the course folder (``tmp_path/exchange``): ``(course, base URL, token)``."""
    require_tool("chromium", "chromium", "the formgrader test drives the system's Chromium")
    require_tool("chromedriver", "chromium-driver", "Selenium drives Chromium through it")
    course = tmp_path / "course"
    shutil.copytree(graded_class.course, course)
    exchange, settings = tmp_path / "exchange", tmp_path / "etc-jupyter"  # the hub's, outside the course folder
    exchange.mkdir()
    exchange.chmod(0o1777)
    settings.mkdir()
    (settings / "nbgrader_config.py").write_text(f"c.Exchange.root = {str(exchange)!r}\n")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = secrets.token_hex(16)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"],
        cwd=course, env={**os.environ, "JUPYTER_CONFIG_PATH": str(settings)}, stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "server.log").open("w"))
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


def grades_of(course, student):
    """``{question: (auto score, manual score)}`` of the student's submission, from the gradebook."""
    from grading.course import course_api
    from grading.course_folder import ASSIGNMENT
    from nbgrader.api import Gradebook

    coursedir = course_api(course).coursedir
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        submission = gradebook.find_submission(ASSIGNMENT, student)
        return {grade.name: (grade.auto_score, grade.manual_score) for notebook in submission.notebooks
                for grade in notebook.grades}


def course_digest(course):
    """sha256 of every file that grading must not change: source, release, settings."""
    digest = hashlib.sha256()
    for folder in ("source", "release"):
        for path in sorted(p for p in (course / folder).rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(course)).encode() + path.read_bytes())
    digest.update((course / "nbgrader_config.py").read_bytes())
    return digest.hexdigest()


def require_python(version, why):
    """The interpreter of Python ``version``, on PATH or pyenv's; without it, skip saying why, or fail in CI."""
    pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    installed = sorted(glob.glob(f"{pyenv}/versions/{version}.*/bin/python{version}"))
    for candidate in filter(None, [shutil.which(f"python{version}"), *installed]):
        if subprocess.run([candidate, "-c", "pass"], capture_output=True).returncode == 0:
            return candidate
    message = f"Python {version} not found: {why}; install it (pyenv install {version})"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def require_tool(command, package, why):
    """The path of ``command``; without it, skip saying why and how to install it, or fail in CI.

    CI (``CI=true``) installs every tool the tests need (``.ci/run``), so a missing one there is
    an error, never a silent skip.
    """
    path = shutil.which(command)
    if path is None:
        message = f"{command} not found: {why}; install it with `apt-get install {package}` (Debian/Ubuntu)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + " (CI must install it: see .ci/run)")
        pytest.skip(message)
    return path
