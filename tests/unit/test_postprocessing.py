"""The open experiment's library: keeping the largest regions, the protocol that chooses on validation,
and HD95; the instructor's figures that notebook 5 shows beside the student's, and their benchmark."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import helpers
from helpers import CANDIDATES, choose_postprocessing, hausdorff_95, keep_largest_components

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))  # postprocessing_reference


def blobs(*sizes, shape=(32, 32)):
    """A mask with one square region of each side in ``sizes``, apart from each other, on a diagonal."""
    mask, corner = np.zeros(shape, np.uint8), 0
    for side in sizes:
        mask[corner:corner + side, corner:corner + side] = 1
        corner += side + 1
    return mask


@pytest.mark.parametrize("count, kept", [(0, 6 * 6 + 4 * 4 + 1), (1, 6 * 6), (2, 6 * 6 + 4 * 4), (3, 6 * 6 + 4 * 4 + 1)])
def test_keeps_the_largest_regions(count, kept):
    mask = blobs(4, 6, 1)[..., None]  # (H, W, 1), as a model's output
    result = keep_largest_components(mask, count)
    assert result.shape == mask.shape and result.dtype == bool and result.sum() == kept
    assert not (result & (mask == 0)).any()  # nothing added


def test_regions_touching_at_a_corner_are_one():
    mask = np.zeros((8, 8), np.uint8)
    mask[1:3, 1:3] = mask[3:5, 3:5] = 1  # diagonal neighbours: 8-connected
    mask[6, 7] = 1
    assert keep_largest_components(mask, 1).sum() == 8


def test_choice_is_made_on_validation_and_only_the_choice_is_scored_on_test():
    # Validation: two lungs and a speck the model adds, so keeping 2 regions wins. Test: three true regions,
    # where keeping everything would win: a protocol that looked at test would choose 0 or 3.
    val_truth, val_prediction = blobs(8, 10), blobs(8, 10, 2)
    test_truth = blobs(8, 10, 3)
    probabilities = {"val": [np.stack([val_prediction] * 2)[..., None] * 0.9] * 2,
                     "test": [np.stack([test_truth] * 3)[..., None] * 0.9] * 2}
    masks = {"val": np.stack([val_truth] * 2)[..., None], "test": np.stack([test_truth] * 3)[..., None]}
    result = choose_postprocessing(probabilities, masks)
    speck_iou = 164 / 168
    assert result["choice"] == 2
    np.testing.assert_allclose(result["validation"], [[speck_iou] * 2, [100 / 164] * 2, [1.0] * 2, [speck_iou] * 2])
    np.testing.assert_allclose(result["test"], [164 / 173] * 2)


def test_a_tie_goes_to_the_first_candidate():
    truth = np.stack([blobs(8)])[..., None]
    result = choose_postprocessing({"val": [truth * 0.9], "test": [truth * 0.9]}, {"val": truth, "test": truth})
    assert result["choice"] == CANDIDATES[0] == 0


def test_hd95_is_the_shift_of_a_moved_square_and_symmetric():
    square = blobs(10)
    moved = np.roll(square, 3, axis=1)
    assert hausdorff_95(square, moved) == pytest.approx(3.0)
    assert hausdorff_95(moved, square) == hausdorff_95(square, moved)
    assert hausdorff_95(square, square) == 0.0


def test_hd95_sees_a_far_speck_that_iou_barely_notices():
    truth, speckled = blobs(20, shape=(64, 64)), blobs(20, shape=(64, 64))
    speckled[60:63, 60:63] = 1  # 9 pixels, 40 away: IoU 0.98, yet a tenth of the boundary is far off
    assert hausdorff_95(truth, speckled) > 30


def test_hd95_of_empty_masks():
    square = blobs(4)
    assert hausdorff_95(0 * square, 0 * square) == 0.0
    assert hausdorff_95(square, 0 * square) == np.inf and hausdorff_95(0 * square, square) == np.inf


def test_the_instructor_figures_ship_with_three_seeds_of_every_candidate():
    # Notebook 5 places the student's two seeds among these (benchmarks/postprocessing_reference.py).
    runs = json.loads((Path(helpers.__file__).with_name("postprocessing_reference.json")).read_text())["runs"]
    assert sorted(run["seed"] for run in runs) == [1, 2, 220]
    for run in runs:
        assert sorted(run["candidates"]) == sorted(map(str, CANDIDATES))
        assert all(0.5 < c["val_iou"] <= 1 and c["val_hd95"] > 0 for c in run["candidates"].values())


def test_the_reference_benchmark_goes_on_with_the_seeds_it_had_not_run(tmp_path, monkeypatch):
    import postprocessing_reference

    trained = []
    monkeypatch.setattr(postprocessing_reference, "run",
                        lambda seed: trained.append(seed) or {"seed": seed, "training_seconds": 1.0, "candidates": {}})
    monkeypatch.setattr(postprocessing_reference, "machine", lambda: "this machine")
    out = tmp_path / "reference.json"
    out.write_text(json.dumps({"runs": [{"seed": 220}]}))
    postprocessing_reference.main(["--seeds", "220", "1", "--out", str(out)])
    assert trained == [1] and [run["seed"] for run in json.loads(out.read_text())["runs"]] == [220, 1]
