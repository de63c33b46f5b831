"""The grader's own process stays bounded whatever a sandbox sends it: the export's archive is checked
for its declared size before anything is inflated, and a cell's outputs are capped as they arrive."""
import io
import re
import tracemalloc
import zipfile

import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grading.judging.evidence import MAX_GRAPHS_BYTES, _npz
from grading.output.inert import RECEIVED, InertNotebook
from grading.autograding.preprocessors import MAX_RECEIVED, GradingExecute
from tests import attacks
from tests.e2e.test_attacks import outputs


def test_an_archive_that_would_inflate_past_the_limit_is_refused_unread():
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("trained_inference.pb.npy", "w", force_zip64=True) as member:
            for _ in range(MAX_GRAPHS_BYTES // 2**20 + 64):
                member.write(bytes(2**20))
    data = packed.getvalue()
    assert len(data) < 2**20, "a bomb: well under a MiB packed"
    tracemalloc.start()
    with pytest.raises(ValueError, match=r"would expand to 576 MiB; the limit is 512 MiB"):
        _npz(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 16 * 2**20, f"{peak / 2**20:.0f} MiB used to refuse it"


def test_an_honest_archive_is_read():
    packed = io.BytesIO()
    np.savez(packed, untrained_error=np.array("no model"), weights=np.ones(3, "float32"))
    arrays = _npz(packed.getvalue())
    assert arrays["weights"].tolist() == [1.0, 1.0, 1.0] and str(arrays["untrained_error"]) == "no model"
    with pytest.raises(ValueError, match="not an archive of arrays"):
        _npz(b"PK\x03\x04 cut off")


def test_a_flood_of_output_is_dropped_as_it_arrives_and_its_size_is_told():
    grader = GradingExecute()
    grader.nb = new_notebook(cells=[new_code_cell(f"print({index})") for index in range(4)])
    grader.reset_execution_trackers()
    grader.clear_before_next_output = False  # as nbclient sets it when a cell starts
    outs, chunk = [], "x" * 2**20
    tracemalloc.start()
    for _ in range(64):  # 64 MiB printed by one cell
        message = {"msg_type": "stream", "header": {"msg_type": "stream"}, "parent_header": {},
                   "content": {"name": "stdout", "text": chunk}}
        grader.output(outs, message, None, 3)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    kept = sum(len(out.text) for out in outs)
    assert MAX_RECEIVED - 2**20 <= kept <= MAX_RECEIVED, kept
    assert peak < MAX_RECEIVED + 16 * 2**20, f"{peak / 2**20:.0f} MiB held"
    cell = grader.nb.cells[3]
    cell.outputs = outs
    InertNotebook().preprocess(grader.nb, {})
    assert "[output cut by the grader: this cell's outputs came to 64.0 MiB" in cell.outputs[-1].text
    assert RECEIVED not in cell.metadata


def grader_memory(course):
    """``{student: (MiB before, peak MiB while grading it)}`` of the grader's process, from the grading log."""
    found = re.findall(r"DEBUG: (\S+): the grader's process held (\d+) MiB before, (\d+) MiB at most",
                       (course / "grading.log").read_text())
    return {student: (int(before), int(peak)) for student, before, peak in found}


def test_a_flood_and_a_bomb_through_grade_cost_the_grader_no_more_than_the_flood_in_flight(graded_class):
    """The solution with a cell printing 384 MiB and an export that declares 1 GiB of zeros, graded by
    ``grade`` beside the solution: each costs its student only what it attacks. The grader keeps none of
    the flood: it grows by less than the flood beyond what grading the solution grows it, however much of
    the flood ZeroMQ read ahead while the grader was busy (on a loaded machine, most of it can be in
    flight at once; kept as it arrived, the flood would be held twice, as messages and as outputs)."""
    memory = grader_memory(graded_class.course)
    growth = {student: peak - before for student, (before, peak) in memory.items()}
    print(f"the grader's growth while grading: the attack {growth['memory_attack']} MiB, "
          f"the solution {growth['solution']} MiB (peaks {memory['memory_attack'][1]} and {memory['solution'][1]} MiB)")
    assert growth["memory_attack"] - growth["solution"] < attacks.FLOOD_MIB
    text = outputs(graded_class.course, "memory_attack")
    assert re.search(r"its output would expand to 1,0\d\d MiB; the limit is 512 MiB", text)
    assert f"[output cut by the grader: this cell's outputs came to {attacks.FLOOD_MIB}.0 MiB" in text
