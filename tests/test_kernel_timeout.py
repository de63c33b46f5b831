"""A notebook kernel that never comes back from a cell costs that notebook's remaining cells, never the
hand-in: GradingExecute (grading/preprocessors.py) fails the cell, stops the kernel and goes on."""
import time

from nbformat.v4 import new_code_cell, new_notebook

from grading.preprocessors import GradingExecute
from tests.grading_submissions import HANG_IGNORING_THE_INTERRUPT


def test_a_cell_that_ignores_the_interrupt_fails_with_the_rest_of_its_notebook(tmp_path):
    notebook = new_notebook(cells=[new_code_cell("print('before')"), new_code_cell(HANG_IGNORING_THE_INTERRUPT),
                                   new_code_cell("print('after')")])
    grader = GradingExecute(sandbox=False, timeout=3, iopub_timeout=2)
    grader.nb, grader.resources, grader._hidden = notebook, {"metadata": {"path": str(tmp_path)}}, set()
    started = time.monotonic()
    with grader.setup_kernel():
        outputs = [grader._run(cell, index).outputs for index, cell in enumerate(notebook.cells)]
    assert outputs[0][0].text == "before\n"
    assert outputs[1][0].ename == "CellTimeoutError", outputs[1]
    assert "did not come back from this cell" in outputs[1][0].evalue and "was stopped" in outputs[1][0].evalue
    assert outputs[2][0].ename == "DeadKernelError", outputs[2]
    assert time.monotonic() - started < 30, "the cell after the hang failed at once, without its own time limit"
