"""The nbgrader steps the course swaps in: sandboxed grading kernels whose tests are judged
outside them, and feedback without hidden tests."""
import collections
import dataclasses
import os
import secrets
import time

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_code_cell, new_output
from nbgrader.preprocessors import ClearHiddenTests, Execute
from traitlets import Bool, Dict, Integer, List, TraitError, Unicode, validate

from ..judging import evidence, questions
from .. import ledger
from ..judging.ahead import EvidenceAhead
from ..errors import GradingError
from ..output.inert import MAX_CELL_OUTPUT, RECEIVED
from ..judging.kit_helpers import dataset_or_none
from ..output.leaks import _strings, secret_lines
from ..course import DEFAULT_SUBMISSION_TIMEOUT
from ..course_folder import Course
from ..judging.sandbox import Limits, SandboxedKernelManager
from ..judging.verdicts import Failure, decode_report, report_code, run_checks, split_test, visible

# What the kernel must not inherit from the grader's environment: another helpers on the
# import path (PYTHONPATH), code run at start-up, or an artifacts folder outside the submission.
SCRUBBED = ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME", "PYTHONUSERBASE", "LUNGKIT_ARTIFACTS")
# Fast mode trains in seconds; grading mode makes notebook 5 use the submitted weights only.
# JPY_PARENT_PID=1 keeps ipykernel from printing its start-up banner into the grader's log.
GRADING_ENV = {"LUNGKIT_FAST": "1", "LUNGKIT_GRADING": "1", "PYTHONNOUSERSITE": "1", "JPY_PARENT_PID": "1"}
REMOVED = "[output removed by the grader: it quoted a hidden test]\n"
# What C and C++ libraries write straight to the kernel's stdout and stderr (TensorFlow's start-up
# lines: "oneDNN custom operations are on" on many CPUs, whatever TF_CPP_MIN_LOG_LEVEL says) goes
# to the grading log, not into the notebooks and their feedback pages. Python's own prints stay.
KERNEL_ARGUMENTS = ["--IPKernelApp.capture_fd_output=False"]
MAX_MESSAGE = 2000
# What the grader keeps of a cell's outputs while it runs: twice what a page shows (inert.py cuts the
# rest when the notebook is written, with a line saying so). Past that, outputs are dropped as they
# arrive, so that a student's flood costs that cell its outputs, never the grader's memory.
MAX_RECEIVED = 2 * MAX_CELL_OUTPUT


def kernel_environment():
    """The grading kernel's environment: this process's, scrubbed, in grading mode, with ``LUNGKIT_DATA``
    naming the grader's dataset, so the notebooks find it; in the sandbox only the variables that
    ``sandbox.PASSED_ON`` names reach the kernel.
    """
    data = dataset_or_none()
    return {**{k: v for k, v in os.environ.items() if k not in SCRUBBED}, **GRADING_ENV,
            **({"LUNGKIT_DATA": str(data)} if data else {})}


@dataclasses.dataclass
class SubmissionRun:
    """What grading one submission carries from one notebook's GradingExecute to the next (nbgrader makes
    one per notebook): the submission, the exporter of the autograde run, the deadline, the evidence."""

    folder: object  # the collected hand-in's folder
    exporter: object
    deadline: float  # time.monotonic() by which all its notebooks must be graded
    ahead: EvidenceAhead = None

    def time_left(self):
        """Seconds left of the submission's time, at least 1."""
        return max(1, int(self.deadline - time.monotonic()))


def finish_submission():
    """Stop gathering the evidence of the last submission graded, if any (``grade_one`` calls it after each)."""
    if GradingExecute.current is not None:
        GradingExecute.current.ahead.close()
        GradingExecute.current = None


def failure_output(ename, message):
    """An error output, the only thing that makes nbgrader score a test cell 0."""
    message = message[:MAX_MESSAGE]
    return new_output("error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"])


class GradingExecute(Execute):
    """nbgrader's Execute with sandboxed kernels, tests judged here on trusted evidence, and a
    deadline per submission.

    Answer and other cells run in the kernel as usual, and so does the visible part of every
    test cell, as the student saw it. The verdict of a test cell comes from the evidence its
    kind of question calls for (``questions.py``): the student's functions called in a process
    of their own, the handed-in model run by the trusted evaluator, or the student's answer cell
    run again in a process of its own on the grader's model; that evidence is gathered ahead, while
    the kernels run (``ahead.py``). The verdict is decided in this process, and decides the cell's only output: none when they pass (a note when the grader measured something itself), one error
    when they fail. Outputs that quote a hidden test are removed. The kernel runs in the
    submission's folder (a scratch copy of it, in the sandbox), so ``import helpers`` finds the
    student's. When student code kills the kernel, that cell and the rest of its notebook fail,
    and grading goes on; so it does when the submission's time (``submission_timeout``, from its
    first notebook on, whether ``grade`` or the formgrader autogrades it) runs out.
    """

    sandbox = Bool(True, help="start each kernel in the bubblewrap sandbox").tag(config=True)
    private_data = Unicode("", help="an instructor's folder of slices the class never saw, for the trained "
                                    "model").tag(config=True)
    iopub_timeout = Integer(15, help="seconds to wait for a cell's last outputs after its reply: a student's "
                                     "flood of output may take that long to drain on a loaded machine").tag(config=True)
    submission_timeout = Integer(DEFAULT_SUBMISSION_TIMEOUT, help="seconds for all the notebooks of one submission; "
                                 "past that, its remaining cells fail without running").tag(config=True)
    limits = Dict(help="what each sandboxed process (a kernel, a question's process) may use, by the names of "
                       "grading/judging/sandbox.py's Limits (memory_bytes, processes, file_bytes, cpu_seconds, "
                       "home_bytes, tmp_bytes, niceness); those left out keep their defaults").tag(config=True)
    current = None  # the SubmissionRun being graded

    @validate("limits")
    def _known_limits(self, proposal):
        try:
            Limits.of(proposal.value)
        except ValueError as error:
            raise TraitError(f"GradingExecute.limits: {error}") from None
        return proposal.value

    @property
    def sandbox_limits(self):
        """The Limits of each sandboxed process: the defaults, with those of ``limits`` over them."""
        return Limits.of(self.limits)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.sandbox:
            self.kernel_manager_class = SandboxedKernelManager
        self.extra_arguments = [*self.extra_arguments, *KERNEL_ARGUMENTS]
        self._received = collections.Counter()
        self.timeout_func = self._cell_timeout

    def preprocess(self, nb, resources, km=None):
        course, _, student = Course.holding(resources["metadata"]["path"])
        source = course.step("source")
        self._hidden = secret_lines(source, kinds=("hidden tests",)) if source.is_dir() else set()
        self._verdicts = {}
        self._submission = course.step("submitted", student)
        why = ledger.not_gradable(course, student, self._submission)
        if why:  # the formgrader's Autograde button, on a folder the kit did not collect
            raise GradingError(f"{self._submission}: not autograded: {why}")
        run = self._submission_run(source)
        self.submission_run, self.ahead = run, run.ahead
        self._received = collections.Counter()  # output bytes per cell
        nb, resources = super().preprocess(nb, resources, km=km)
        for index, outputs in self._verdicts.items():  # what the kernel sent later cannot change them
            nb.cells[index].outputs = outputs
        return nb, resources

    def _submission_run(self, source):
        """The current SubmissionRun when this notebook is of it (the same submission, in the same autograde
        run: the formgrader's button pressed again starts afresh), else a new one, whose time starts now."""
        run = GradingExecute.current
        if run is None or run.folder != self._submission or run.exporter is not self.parent:
            finish_submission()
            run = SubmissionRun(self._submission, self.parent, time.monotonic() + self.submission_timeout)
            run.ahead = EvidenceAhead(source, self._submission, run.time_left, kernel_environment, self.sandbox,
                                      self.private_data or None, self.sandbox_limits)
            GradingExecute.current = run
        return run

    def create_kernel_manager(self):
        manager = super().create_kernel_manager()
        if isinstance(manager, SandboxedKernelManager):
            manager.submission = self._submission  # what the student handed in, never the autograded notebooks
            manager.limits = self.sandbox_limits
        return manager

    def start_new_kernel(self, **kwargs):
        kwargs["env"] = kernel_environment()
        return super().start_new_kernel(**kwargs)

    async def async_start_new_kernel_client(self):
        client = await super().async_start_new_kernel_client()
        if isinstance(self.km, SandboxedKernelManager):
            self.km.lock_ipc_folder()
        return client

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if questions.is_autograder_test(cell):
            outputs = self._judge(cell, index)
            self.nb.cells[index] = cell  # nbclient put each cell the probe ran in its place
            cell.outputs = self._verdicts[index] = outputs
        else:
            cell.outputs = self._run(cell, index).outputs
        return cell, resources

    def _judge(self, cell, index):
        """The test cell's outputs: none (or a note) when its checks pass on trusted evidence, else one error."""
        grade_id = cell.metadata.nbgrader.grade_id
        try:
            question = questions.question(grade_id)
            self._run(new_code_cell(visible(cell.source)), index)  # as the student saw it; not evidence
            if question.kind == "function":
                _, checks = split_test(cell.source)
                run_checks(checks, self.ahead.function_values(grade_id), where=f"checks of {grade_id}")
                if question.network:
                    questions.require_network(self.ahead.model_evidence(), question.network)
                return []
            if question.kind == "cell":
                question.judge(*self.ahead.cell_effect(grade_id, self._answer(question.cell)))
                return []
            answers = self._report(question.answers, index) if question.answers else {}
            note = question.judge(answers, self.ahead.model_evidence(), evidence.reference())
            return [new_output("stream", name="stdout", text=note + "\n")] if note else []
        except Failure as failure:
            return [failure_output(failure.ename, self._scrubbed(str(failure)))]
        except ValueError as error:  # a test cell the grader cannot judge: the instructor's to fix
            return [failure_output("GradingError", str(error))]

    def _answer(self, grade_id):
        """The source of the answer cell ``grade_id`` in the notebook being graded."""
        for cell in self.nb.cells:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
                return cell.source
        raise Failure(f"the answer cell {grade_id} is not in this notebook", "AssertionError")

    def _report(self, names, index):
        """Have the kernel report the values of ``names``, as plain data."""
        nonce = secrets.token_hex(16)
        report = self._run(new_code_cell(report_code(names, nonce)), index, store_history=False)
        return decode_report(report.outputs, nonce)

    def _run(self, cell, index, store_history=True):
        """Execute ``cell`` in the kernel; on a dead kernel, a spent deadline or a kernel that never comes back
        from its cell (it ignored the interrupt, or its outputs never finished arriving), an error output
        instead; that kernel is stopped, so the rest of its notebook fails at once instead of waiting too."""
        if time.monotonic() >= self.submission_run.deadline:
            cell.outputs = [failure_output("TimeoutError", "the submission's time limit was spent; this cell did not run")]
            return cell
        try:
            self.execute_cell(cell, index, store_history=store_history)
        except DeadKernelError:
            message = "the kernel died (the code crashed Python or hit a limit); the rest of this notebook did not run"
            cell.outputs = [failure_output("DeadKernelError", message)]
        except CellTimeoutError:
            run_sync(self.km.shutdown_kernel)(now=True)
            message = ("the kernel did not come back from this cell (it ran past its time limit and ignored the "
                       "interrupt, or its outputs never finished arriving); it was stopped, and the rest of this "
                       "notebook did not run")
            cell.outputs = [failure_output("CellTimeoutError", message)]
        cell.outputs = [o if not self._quotes_hidden_test(o) else new_output("stream", name="stdout", text=REMOVED)
                        for o in cell.outputs]
        return cell

    def output(self, outs, msg, display_id, cell_index):
        """nbclient's handling of one output message, until the cell's outputs pass MAX_RECEIVED; then
        only their size is counted, for the note that InertNotebook writes."""
        self._received[cell_index] += _size(msg.get("content", {}))
        if self._received[cell_index] > MAX_RECEIVED:
            self.nb.cells[cell_index].metadata[RECEIVED] = self._received[cell_index]
            return None
        return super().output(outs, msg, display_id, cell_index)

    def _cell_timeout(self, cell):
        return min(self.timeout, self.submission_run.time_left())

    def _quotes_hidden_test(self, output):
        text = "\n".join(_strings(output))
        return any(line in text for line in self._hidden)

    def _scrubbed(self, text):
        return REMOVED.strip() if any(line in text for line in self._hidden) else text


def _size(value):
    """The characters of a kernel message's ``content``, counted without copying its strings."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(len(str(key)) + _size(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return sum(_size(item) for item in value)
    return 8


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
