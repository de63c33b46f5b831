"""GradingExecute's limits (grading/autograding/preprocessors.py): a notebook kernel that never comes back from a cell
costs that notebook's remaining cells, never the hand-in; a submission's time runs from its first notebook
to its last, and starts again when it is autograded again (the formgrader's button)."""
import time

from nbconvert.exporters import NotebookExporter
from nbformat.v4 import new_code_cell, new_notebook

from grading.autograding import preprocessors
from grading.autograding.preprocessors import GradingExecute
from tests.grading_submissions import HANG_IGNORING_THE_INTERRUPT


def test_a_cell_that_ignores_the_interrupt_fails_with_the_rest_of_its_notebook(tmp_path):
    notebook = new_notebook(cells=[new_code_cell("print('before')"), new_code_cell(HANG_IGNORING_THE_INTERRUPT),
                                   new_code_cell("print('after')")])
    grader = GradingExecute(sandbox=False, timeout=3, iopub_timeout=2)
    grader.nb, grader.resources, grader._hidden = notebook, {"metadata": {"path": str(tmp_path)}}, set()
    grader.submission_run = preprocessors.SubmissionRun(str(tmp_path), None, time.monotonic() + 60)
    with grader.setup_kernel():
        outputs = [grader._run(cell, index).outputs for index, cell in enumerate(notebook.cells)]
    assert outputs[0][0].text == "before\n"
    assert outputs[1][0].ename == "CellTimeoutError", outputs[1]
    assert "did not come back from this cell" in outputs[1][0].evalue and "was stopped" in outputs[1][0].evalue
    assert outputs[2][0].ename == "DeadKernelError", "the kernel was stopped: the next cell fails at once, not hanging too"


def test_a_submissions_time_spans_its_notebooks_and_starts_again_when_it_is_autograded_again(monkeypatch):
    closed = []

    class Ahead:  # the evidence gatherer, which would start processes
        def __init__(self, *args):
            pass

        def close(self):
            closed.append(self)

    monkeypatch.setattr(preprocessors, "EvidenceAhead", Ahead)

    def notebook_of(submission, exporter):
        grader = GradingExecute(parent=exporter, submission_timeout=600)
        grader._submission = submission
        return grader._submission_run("source")

    first_run, again = NotebookExporter(), NotebookExporter()  # each autograde run's, as nbgrader makes them
    one = notebook_of("alice", first_run)
    assert 599 <= one.time_left() <= 600
    one.deadline -= 500  # its first notebooks took 500 s
    assert notebook_of("alice", first_run) is one and one.time_left() <= 100, "one deadline for all its notebooks"
    bob = notebook_of("bob", first_run)
    assert bob is not one and bob.time_left() >= 599 and len(closed) == 1, "alice's evidence stopped, bob's time new"
    assert notebook_of("bob", again) is not bob and len(closed) == 2, "autograded again: its time starts afresh"
    preprocessors.finish_submission()
    assert GradingExecute.current is None and len(closed) == 3
