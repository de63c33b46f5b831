"""``make test-quick`` (README): every test but those that need the graded class, a fresh virtual
environment or a Dask cluster, or grade a hand-in of their own, whichever way a test needs them
(conftest.py marks the graded class's users)."""
import re
import subprocess
import sys

from grading.course import KIT


def test_the_quick_tier_leaves_out_the_graded_class_fresh_venvs_the_cluster_and_grading_runs():
    expression = re.search(r'^test-quick:.*\n\t.* -m "([^"]+)"', (KIT / "Makefile").read_text(), re.MULTILINE)[1]
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", expression, "tests"],
                          cwd=KIT, capture_output=True, text=True, check=True)
    modules = {line.split("::")[0] for line in done.stdout.splitlines() if "::" in line}
    assert not modules & {"tests/test_attacks.py", "tests/test_class_grading.py", "tests/test_student_path.py",
                          "tests/test_student_colab.py", "tests/test_cluster.py"}, modules
    grading = [line for line in done.stdout.splitlines() if line.startswith("tests/test_grading.py::")]
    assert grading and not any("test_autograde_scores" in line for line in grading), "its tests without the class"
    assert not any("test_grade_one_returns_plain_data" in line for line in done.stdout.splitlines()), "a grading run"

