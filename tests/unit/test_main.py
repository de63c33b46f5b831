"""The instructor's command line (grading/__main__.py) refuses options that do not go together, saying
what to give, before anything runs."""
import subprocess
import sys

import pytest

from grading.course import KIT


@pytest.mark.parametrize("arguments, message", [
    (["collect"], "collect: give a folder of hand-ins or --exchange ROOT, one of the two"),
    (["grade", "hand_ins", "--exchange", "/srv/exchange"], "grade: give a folder of hand-ins or --exchange ROOT"),
    (["release-feedback"], "release-feedback: give --exchange [ROOT], the exchange the students submitted to"),
    (["collect", "hand_ins", "--due", "2026-12-01 17:00 UTC"], "collect: --due goes with --exchange"),
])
def test_options_that_do_not_go_together_are_refused_saying_what_to_give(tmp_path, arguments, message):
    done = subprocess.run([sys.executable, "-m", "grading", "--course", str(tmp_path / "course"), *arguments],
                          cwd=KIT, capture_output=True, text=True)
    assert done.returncode == 2 and message in done.stderr and not (tmp_path / "course").exists(), done.stderr
