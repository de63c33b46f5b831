"""The closing summary of the instructor's commands (grading/workflow.py): each hand-in repaired, graded
without the sandbox or stopped by a step is named with why, and the exit status says whether any was."""
import logging

from grading import ledger
from grading.workflow import UNSANDBOXED, Options, summarize


def test_the_summary_names_each_hand_in_with_a_problem_and_fails(tmp_path, caplog):
    ledger.set_repairs(tmp_path, "ann", ["03_unet.ipynb: cell 4 restored"])
    ledger.set_repairs(tmp_path, "bob", [])
    ledger.set_problem(tmp_path, "bob", "autograde", "nbgrader could not autograde it")
    ledger.set_problem(tmp_path, "bob", "sandbox", UNSANDBOXED)
    with caplog.at_level(logging.INFO, logger="grading"):
        assert summarize(tmp_path, tmp_path / "grading.log") == 1
    assert "summary: 2 hand-in(s), 1 repaired, 1 with a problem" in caplog.text
    assert "ann repaired (also listed in the feedback): 03_unet.ipynb: cell 4 restored" in caplog.text
    assert "1 hand-in(s) graded with --no-sandbox, their code unconfined: bob" in caplog.text
    assert "bob: autograde: nbgrader could not autograde it" in caplog.text
    assert "sandbox:" not in caplog.text, "graded without the sandbox is a warning, not a problem"


def test_a_class_without_problems_passes(tmp_path, caplog):
    ledger.set_repairs(tmp_path, "ann", [])
    with caplog.at_level(logging.INFO, logger="grading"):
        assert summarize(tmp_path, tmp_path / "grading.log") == 0
    assert f"all messages in {tmp_path / 'grading.log'}" in caplog.text


def test_options_a_step_does_not_take_keep_their_defaults(tmp_path):
    options = Options(step="export", course=tmp_path)
    assert options.sandbox and options.jobs == 1 and options.submissions is None and options.roster is None
