"""Evidence gathered ahead (grading/judging/ahead.py): every test cell's evidence is gathered by the grader's
evidence thread, in notebook order, the model's before the first question that needs it, on the
answer cells handed in; an answer cell that differs in the notebook graded is gathered again for it."""
import shutil
import threading

import nbformat
import pytest

from grading.judging import ahead as ahead_module
from grading.judging import evidence
from grading.course import KIT


@pytest.fixture
def gathered(tmp_path, monkeypatch):
    """An EvidenceAhead over the kit's notebooks, with evidence.py's gatherers replaced by recorders:
    ``(ahead, calls)``, each call ``(what, detail, thread name)``."""
    calls = []

    def recorder(what):
        def record(*args, **kwargs):
            detail = args[1] if what == "cell" else None
            calls.append((what, detail, threading.current_thread().name))
            return f"{what} evidence"
        return record

    monkeypatch.setattr(evidence, "reference", dict)
    for what in ("function_values", "cell_effect", "model_evidence"):
        monkeypatch.setattr(evidence, what, recorder(what.split("_")[0]))
    submission = shutil.copytree(KIT / "notebooks", tmp_path / "submission", ignore=shutil.ignore_patterns("*.py"))
    ahead = ahead_module.EvidenceAhead(KIT / "notebooks", submission, lambda: 60, dict, sandbox=False)
    yield ahead, calls
    ahead.close()


def test_each_questions_evidence_is_gathered_by_the_evidence_thread_in_notebook_order(gathered):
    ahead, calls = gathered
    assert ahead.function_values("test_load_data_shapes") == "function evidence"
    assert ahead.model_evidence() == "model evidence"
    ahead.function_values("test_choose_on_validation")  # the last queued: one thread, so every other one is done
    assert {thread for *_, thread in calls} == {"lungkit-evidence_0"}, "none in the grader's main thread"
    kinds = [what for what, *_ in calls]
    assert kinds.count("function") == 9 and kinds.count("cell") == 2 and kinds.count("model") == 1
    assert kinds.index("model") == 4, "after 1a's and 1b.2's four, before test_u_net_shapes, which needs it"


def test_a_cell_answer_other_than_the_one_handed_in_is_gathered_for_what_is_graded(gathered):
    ahead, calls = gathered
    notebook = nbformat.read(KIT / "notebooks" / "04_training.ipynb", as_version=4)
    handed_in = next(cell.source for cell in notebook.cells
                     if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "compile_model")
    inputs, effect = ahead.cell_effect("test_compile", handed_in)
    assert effect == "cell evidence" and ("cell", handed_in, "lungkit-evidence_0") in calls
    ahead.cell_effect("test_compile", "model.compile(optimizer='sgd')")
    assert calls[-1] == ("cell", "model.compile(optimizer='sgd')", "MainThread")
