"""The nbgrader steps the course swaps in: an isolated grading kernel, and feedback without hidden tests."""
import os

from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import ClearHiddenTests, Execute
from traitlets import List

# What the kernel must not inherit from the grader's environment: another helpers on the
# import path (PYTHONPATH), code run at start-up, or an artifacts folder outside the submission.
SCRUBBED = ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME", "PYTHONUSERBASE", "LUNGKIT_ARTIFACTS")
# Fast mode trains in seconds; grading mode makes notebook 5 use the submitted weights only.
GRADING_ENV = {"LUNGKIT_FAST": "1", "LUNGKIT_GRADING": "1", "PYTHONNOUSERSITE": "1"}


def kernel_environment():
    """The grading kernel's environment: this process's, scrubbed, in grading mode.

    ``LUNGKIT_DATA`` passes through, so the notebooks find the dataset.
    """
    return {**{k: v for k, v in os.environ.items() if k not in SCRUBBED}, **GRADING_ENV}


class GradingExecute(Execute):
    """nbgrader's Execute, with each kernel started in ``kernel_environment()``.

    The kernel runs in the submission's folder, so ``import helpers`` finds the student's.
    When student code kills the kernel, nbgrader would give up on the whole submission;
    here that cell and the rest of its notebook fail instead, and grading goes on.
    """

    def start_new_kernel(self, **kwargs):
        kwargs["env"] = kernel_environment()
        return super().start_new_kernel(**kwargs)

    def preprocess_cell(self, cell, resources, index):
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            message = "the kernel died (the code crashed Python); the rest of this notebook did not run"
            cell.outputs.append(new_output("error", ename="DeadKernelError", evalue=message, traceback=[message]))
            return cell, resources


class ClearHiddenTestsInFeedback(ClearHiddenTests):
    """nbgrader's ClearHiddenTests, for feedback: it also drops those cells' tracebacks.

    A traceback quotes the source lines around the failure, hidden tests included; the
    error's type and message stay.
    """

    # Declared configurable, as in nbgrader's GetGrades, so nbconvert's HTML settings raise no warning.
    display_data_priority = List().tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        had_hidden_tests = self.begin_test_delimeter in cell.source
        cell, resources = super().preprocess_cell(cell, resources, index)
        if had_hidden_tests:
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue} (raised by the tests of this cell)"]
        return cell, resources
