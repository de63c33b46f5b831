"""The evidence verdicts are judged on, gathered so that student code cannot touch it.

- ``reference()``: the assignment's data as the kit's own ``load_data`` makes it, in this process.
- ``function_values``: a function question's probe, run here, its calls of the student's ``helpers``
  answered by a fresh sandboxed process of that question's own (``student_calls``).
- ``cell_effect``: what an answer cell did to the grader's small model, run again by a fresh
  sandboxed process of that question's own (``sandboxed/run_cell.py``, ``cell_questions``).
- ``model_evidence``: the handed-in model, exported as a frozen graph where the student's code
  runs (``sandboxed/export_model.py``), then run on the reference data and inspected by a process
  that runs none of it (``sandboxed/evaluate_model.py``), each in a sandbox of its own.

Everything that comes back is decoded as plain data, within size limits. Given ``warm``, the hand-in's
``warm.WarmParent``, the processes that run student code are forked by it, as fresh and sandboxed,
without starting TensorFlow again; the evaluator is always a process of its own.
"""
import functools
import io
import json
import secrets
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import GradingError
from .kit_helpers import grader_dataset, kit_helpers
from .perturb import perturbed
from .sandbox import Limits, last_line, run_script
from .sandboxed.plain_data import encode
from .student_calls import Remote, student_process
from .verdicts import MAX_REPORT_CHARS, Failure, requested_names, trusted_namespace

DATA_NAMES = ("train_images", "train_masks", "val_images", "val_masks", "test_images", "test_masks")
MAX_GRAPHS_BYTES = 512 * 2**20
MODELS = ("untrained", "trained")
GRAPHS = ("inference.pb", "training.pb")
NOT_EXPORTED = {"untrained": "U_Net(base_filters=8) of your helpers/ could not be built and exported",
                "trained": "no trained model: artifacts/ could not be loaded with your helpers/"}


@functools.cache
def private_reference(folder):
    """``(images, masks)`` of every slice in an instructor's own ``folder`` (the dataset's layout, slices
    the class never saw), prepared as the kit's ``load_data`` prepares the dataset; GradingError naming
    the folder when it cannot be read."""
    try:
        splits = kit_helpers("data").load_data(Path(folder) / "2d_images", Path(folder) / "2d_masks")
    except kit_helpers("dataset").DatasetError as error:
        raise GradingError(f"--private-data {folder}: {error}; it needs 2d_images/ and 2d_masks/ as the dataset "
                           "has them") from None
    return tuple(np.concatenate([split[part] for split in splits]) for part in (0, 1))


@functools.cache
def reference():
    """``{name: array}`` for DATA_NAMES: the dataset loaded by the kit's reference ``load_data``."""
    data = grader_dataset()
    splits = kit_helpers("data").load_data(data / "2d_images", data / "2d_masks")
    return dict(zip(DATA_NAMES, (array for split in splits for array in split)))


def function_values(probe, names, submission, environment, timeout, sandbox=True, warm=None, limits=Limits()):
    """``{name: value}`` of ``names`` after the function question's ``probe`` ran here, in the grader.

    The probe's calls of the student's functions go to a fresh sandboxed process of this question's
    alone (``student_calls``), with the arguments the probe gives them (the reference arrays it
    names, the dataset folder, its own hidden inputs); what comes back is plain data. Failure when
    the student's code raised, or when the probe could not go on with what it returned.
    """
    needed = requested_names(probe)  # what the probe reads and does not bind: data, or the student's functions
    with student_process(submission, environment, timeout, sandbox, warm=warm, limits=limits) as process:
        namespace = trusted_namespace()
        namespace.update({name: reference()[name] if name in DATA_NAMES else Remote(process, name, f"your {name}")
                          for name in needed})
        try:
            exec(compile(probe, "<test>", "exec"), namespace)
        except Failure:
            raise
        except Exception as error:  # noqa: BLE001: what the student's functions returned did not fit the test
            raise Failure(f"{type(error).__name__}: {error}"[:2000], "AssertionError") from None
    return {name: namespace[name] for name in names if name in namespace}


def cell_effect(question, source, inputs, submission, environment, timeout, sandbox=True, warm=None,
                limits=Limits()):
    """What the answer cell ``source`` did to the grader's model, run in ``question``'s setting on
    ``inputs`` by a fresh sandboxed ``run_cell.py``: plain data. Failure when the cell raised."""
    with student_process(submission, environment, timeout, sandbox, script="run_cell.py", warm=warm,
                         limits=limits) as process:
        try:
            return process.request({"setting": question.setting, "source": source, "inputs": encode(inputs)},
                                   f"your {question.cell} cell")
        except Failure as failure:
            raise Failure(f"your {question.cell} cell, run again by the grader on a small model and data of its "
                          f"own: {failure}", failure.ename) from None


@dataclass
class ModelEvidence:
    """What the trusted evaluator found of the hand-in's ``untrained`` U_Net(base_filters=8) and
    ``trained`` model: for each, its architecture facts, or the problem that kept it from being
    judged; and the trained model's probabilities on the reference validation and test images."""

    facts: dict = field(default_factory=dict)  # {"untrained": facts, "trained": facts}
    problems: dict = field(default_factory=dict)  # {"untrained": why, "trained": why}
    # {"val", "test", "moved", and "private" with --private-data: array}
    probabilities: dict = field(default_factory=dict)
    masks: dict = field(default_factory=dict)  # the masks of "moved" and "private"


def model_evidence(submission, environment, timeout, sandbox=True, private_data=None, warm=None, limits=Limits()):
    """Export the hand-in's models in one sandbox, evaluate their graphs in another; a ModelEvidence.

    The trained model runs on the reference validation and test images, on the test images moved
    within the assignment's augmentation by a draw made now (``perturb.py``), and on the slices of
    ``private_data``, an instructor's folder of slices the class never saw, if given."""
    started = time.monotonic()
    status, out, err = run_script("export_model.py", environment, submission=submission, timeout=timeout,
                                  sandbox=sandbox, warm=warm, limits=limits)
    evidence = ModelEvidence()
    try:
        if status != 0:
            raise ValueError("it ran out of time" if status is None else last_line(err))
        if len(out) > MAX_GRAPHS_BYTES:
            raise ValueError(f"its output is over {MAX_GRAPHS_BYTES // 2**20} MiB")
        graphs = _npz(out)
    except ValueError as why:
        evidence.problems = dict.fromkeys(MODELS, f"your model could not be exported from your helpers/ ({why})")
        return evidence
    ref = reference()
    moved = perturbed(ref["test_images"], ref["test_masks"], np.random.default_rng(secrets.randbits(64)))
    parts = {"val": ref["val_images"], "test": ref["test_images"], "moved": moved[0]}
    masks = {"moved": moved[1]}
    if private_data:
        parts["private"], masks["private"] = private_reference(private_data)
    images = {"untrained": ref["val_images"][:8], "trained": np.concatenate(list(parts.values()))}
    exported = [name for name in MODELS if f"{name}_error" not in graphs]
    for name in MODELS:
        if name not in exported:
            evidence.problems[name] = f"{NOT_EXPORTED[name]} ({str(graphs[f'{name}_error'])[:500]})"
    if not exported:
        return evidence
    with tempfile.TemporaryDirectory(prefix="lungkit-inputs-") as inputs, \
            tempfile.TemporaryDirectory(prefix="lungkit-outputs-") as outputs:
        args = []
        for name in exported:
            (Path(inputs) / name).mkdir()
            for graph in GRAPHS:
                (Path(inputs) / name / graph).write_bytes(graphs[f"{name}_{graph}"].tobytes())
            np.save(Path(inputs) / name / "images.npy", images[name].astype(np.float32), allow_pickle=False)
            args += [Path(inputs) / name, Path(outputs) / name]
        _readable(inputs)
        status, _, err = run_script("evaluate_model.py", environment, args=args, inputs=inputs, outputs=outputs,
                                    timeout=max(1, timeout - (time.monotonic() - started)), sandbox=sandbox,
                                    limits=limits)
        for name in exported:
            _read_evaluation(evidence, name, Path(outputs) / name, status, err, len(images[name]))
    if "trained" in evidence.facts:
        ends = np.cumsum([len(part) for part in parts.values()])
        evidence.probabilities = dict(zip(parts, np.split(evidence.probabilities.pop("trained"), ends[:-1])))
        evidence.masks = masks
    return evidence


def _read_evaluation(evidence, name, folder, status, err, count):
    """Put what the evaluator wrote to ``folder`` for the model ``name`` into ``evidence``."""
    refusal = folder / "error.txt"
    try:
        if refusal.is_file():
            evidence.problems[name] = f"the grader refused your model's graph: {refusal.read_text()[:500].strip()}"
            return
        facts = json.loads((folder / "architecture.json").read_text()[:MAX_REPORT_CHARS])
        probabilities = np.load(folder / "probabilities.npy", allow_pickle=False)
    except (OSError, ValueError):
        why = "it ran out of time" if status is None else last_line(err)
        evidence.problems[name] = f"the grader could not evaluate your model's graph ({why})"
        return
    if probabilities.shape != (count, 128, 128, 1) or probabilities.dtype != np.float32:
        evidence.problems[name] = f"your model's output has shape {probabilities.shape}, not ({count}, 128, 128, 1)"
        return
    evidence.facts[name] = facts
    evidence.probabilities[name] = probabilities


def _readable(folder):
    """Let the sandbox user read ``folder`` and everything in it."""
    for path in [Path(folder), *Path(folder).rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def _npz(data):
    """The arrays of an ``.npz`` file's bytes (no pickles); ValueError saying why when it is not one,
    or when its members declare more than MAX_GRAPHS_BYTES: that is checked before any is inflated."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(info.file_size for info in archive.infolist())
        if declared > MAX_GRAPHS_BYTES:
            raise ValueError(f"its output would expand to {declared / 2**20:,.0f} MiB; the limit is "
                             f"{MAX_GRAPHS_BYTES // 2**20} MiB")
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ValueError(f"its output is not an archive of arrays ({error})") from None
