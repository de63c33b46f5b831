"""Evidence gathered ahead: while the kernels run a hand-in's notebooks, a thread of the grader gathers
the evidence of its test cells, one question after another in notebook order, so that a verdict is
ready, or nearly, when the kernel reaches its cell.

The evidence is what it was when gathered at the cell (``evidence.py``): each question's process is
fresh and sandboxed, the inputs are the grader's, drawn at grading time, and a cell question's
answer is the cell handed in. Only the time moves: a hand-in's evidence processes overlap its
kernels instead of following them, one process at a time beside the kernel, each forked by the
hand-in's warm parent (``warm.py``) when sandboxed.
"""
import concurrent.futures
from pathlib import Path

import nbformat

from . import evidence, questions
from .cell_questions import drawn_inputs
from .sandbox import Limits
from .verdicts import requested_names, split_test
from .warm import WarmParent


class EvidenceAhead:
    """The evidence of every test cell of the hand-in ``submission``, gathered by a thread of its own.

    ``source``: the assignment's source folder (its test cells); ``time_left()``: seconds left of the
    hand-in's time, read as each process starts; ``environment()``: the processes' environment;
    ``limits``: the sandbox's, for each of them.
    """

    def __init__(self, source, submission, time_left, environment, sandbox=True, private_data=None, limits=Limits()):
        self.submission = Path(submission)
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="lungkit-evidence")
        self._warm = WarmParent(self.submission, environment(), limits) if sandbox else None
        self._gather = dict(submission=self.submission, sandbox=sandbox, warm=self._warm, limits=limits)
        self._time_left, self._environment = time_left, environment
        self._futures, self._cells = {}, {}
        self._model = None
        evidence.reference()  # here, once, before the thread needs it
        for path in sorted(Path(source).glob("*.ipynb")):
            answers = _answers(self.submission / path.name)
            for cell in nbformat.read(path, as_version=4).cells:
                if questions.is_autograder_test(cell):
                    self._plan(cell, answers, private_data)

    def _plan(self, cell, answers, private_data):
        """Queue the evidence of the test cell ``cell`` (and the model's, before the first cell needing it)."""
        grade_id = cell.metadata.nbgrader.grade_id
        question = questions.question(grade_id)
        if self._model is None and question.needs_model:
            self._model = self._pool.submit(self._call, evidence.model_evidence, private_data=private_data)
        if question.kind == "function":
            probe, checks = split_test(cell.source)
            self._futures[grade_id] = self._pool.submit(self._call, evidence.function_values, probe,
                                                        requested_names(checks))
        elif question.kind == "cell":
            self._cells[grade_id] = drawn_inputs(question), answers.get(question.cell)
            self._futures[grade_id] = self._pool.submit(self._call, evidence.cell_effect, question,
                                                        answers.get(question.cell), self._cells[grade_id][0])

    def _call(self, gather, *args, **kwargs):
        """``gather(*args, ...)``, one of evidence.py's, with the hand-in, the environment and the time left now."""
        return gather(*args, environment=self._environment(), timeout=self._time_left(), **self._gather, **kwargs)

    def function_values(self, grade_id):
        """The function question's ``{name: value}``, as ``evidence.function_values`` gives them (or raises)."""
        return self._futures[grade_id].result()

    def cell_effect(self, grade_id, answer):
        """``(inputs, effect)`` of the cell question, for ``answer``, the answer cell of the notebook being
        graded: gathered now, in this thread, if it is not the cell handed in."""
        inputs, handed_in = self._cells[grade_id]
        if answer == handed_in:
            return inputs, self._futures[grade_id].result()
        question = questions.question(grade_id)
        inputs = drawn_inputs(question)
        return inputs, self._call(evidence.cell_effect, question, answer, inputs)

    def model_evidence(self):
        """The trusted evaluator's ModelEvidence on the hand-in's models."""
        return self._model.result()

    def close(self):
        """Stop gathering: what has not started is dropped; what runs ends within its time."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._warm is not None:
            self._warm.close()


def _answers(path):
    """``{grade_id: source}`` of the answer cells of the handed-in notebook at ``path`` ({} if unreadable:
    the kernel's run of it says what is wrong)."""
    try:
        cells = nbformat.read(path, as_version=4).cells
    except Exception:  # noqa: BLE001
        return {}
    return {cell.metadata.nbgrader.grade_id: cell.source for cell in cells
            if cell.get("metadata", {}).get("nbgrader", {}).get("solution") and "grade_id" in cell.metadata.nbgrader}

