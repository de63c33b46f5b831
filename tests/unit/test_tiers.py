"""The tests' tiers (README, tests/conftest.py): every test module in one of tests/unit, tests/sandbox and
tests/e2e, marked by its folder; ``make test-quick`` runs the unit tier, which a test that needs the
dataset, trained weights, the graded class or a browser cannot join."""
import os
import re
import subprocess
import sys
from types import SimpleNamespace

import pytest

from grading.course import KIT
from tests.conftest import TIERS, tier_problems


def collected(*options):
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", *options], cwd=KIT,
                          capture_output=True, text=True)
    return done, [line for line in done.stdout.splitlines() if "::" in line]


def test_make_test_quick_runs_the_unit_tier_alone():
    command = re.search(r"^test-quick:.*\n\t(.*)$", (KIT / "Makefile").read_text(), re.MULTILINE)[1]
    assert command.split()[-1] == "tests/unit" and "notebooks" not in command


def test_every_test_is_marked_with_the_folder_of_its_tier():
    """The unit tier's mark, on every test of tests/unit and no other (the other tiers' marks come from the
    same line of conftest.py); and no test module beside the tiers."""
    marked, unit = collected("-m", "unit", "tests")
    others, rest = collected("-m", "not unit", "tests")
    assert marked.returncode == others.returncode == 0 and unit and rest, marked.stderr + others.stderr
    assert all(test.startswith("tests/unit/") for test in unit)
    assert not any(test.startswith("tests/unit/") for test in rest)
    assert {test.split("/")[1] for test in rest} == set(TIERS) - {"unit"}
    assert not list((KIT / "tests").glob("test_*.py")), "a test module outside the tiers"


def item(nodeid, fixtures=(), marks=()):
    """A stand-in of a collected test: what ``tier_problems`` reads of one."""
    return SimpleNamespace(nodeid=nodeid, fixturenames=list(fixtures),
                           iter_markers=lambda: [SimpleNamespace(name=mark) for mark in marks])


@pytest.mark.parametrize("test, complaint", [
    (item("tests/unit/test_x.py::test_a", ["tmp_path", "real_dataset"]), "needs real_dataset: move it"),
    (item("tests/unit/test_x.py::test_b", ["graded_class", "formgrader"]), "needs formgrader, graded_class"),
    (item("tests/unit/test_x.py::test_c", marks=["fresh_venv"]), "needs fresh_venv"),
    (item("tests/test_x.py::test_d"), "not in a tier; move it to tests/unit, tests/sandbox or tests/e2e"),
])
def test_a_test_in_the_wrong_tier_is_refused_naming_where_it_goes(test, complaint):
    [problem] = tier_problems([test])
    assert problem.startswith(test.nodeid) and complaint in problem


def test_the_same_needs_are_fine_in_the_other_tiers():
    assert tier_problems([item("tests/e2e/test_x.py::test_a", ["real_dataset", "graded_class"], ["fresh_venv"]),
                          item("tests/sandbox/test_x.py::test_b", ["real_dataset"], ["grades_hand_in"]),
                          item("notebooks/01_data.ipynb::Cell 0"),
                          item("tests/unit/test_x.py::test_c", ["released_course", "tmp_path"])]) == []


def test_pytest_refuses_a_unit_test_that_needs_the_dataset(tmp_path):
    """As a maintainer meets it: a test written into tests/unit that asks for the real dataset stops the run
    at collection, named, with where it goes."""
    (tmp_path / "tests" / "unit").mkdir(parents=True)
    for name in ("__init__.py", "conftest.py"):
        (tmp_path / "tests" / name).write_text((KIT / "tests" / name).read_text())
    (tmp_path / "tests" / "unit" / "__init__.py").write_text("")
    (tmp_path / "tests" / "unit" / "test_new.py").write_text("def test_slices(real_dataset):\n    pass\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
                          cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(KIT)})
    assert done.returncode != 0
    assert "tests/unit/test_new.py::test_slices needs real_dataset: move it to tests/sandbox or tests/e2e" in done.stderr
