"""Test slices moved within the assignment's augmentation (grading/judging/perturb.py), and the mean IoU question
that requires a handed-in model to keep its IoU on them: a lookup table of the public slices' masks
falls, a model that finds lungs does not."""
import numpy as np
import pytest

from grading.judging import perturb, questions
from grading.judging.evidence import ModelEvidence
from grading.judging.kit_helpers import kit_helpers
from grading.judging.verdicts import Failure


def blobs(count=6, size=128, seed=0):
    """``(images, masks)``: a bright ellipse per slice on a darker ground, the ellipse its mask."""
    rng = np.random.default_rng(seed)
    rows, columns = np.mgrid[:size, :size]
    masks = []
    for _ in range(count):
        centre, radii = rng.uniform(40, 88, 2), rng.uniform(15, 30, 2)
        masks.append((((rows - centre[0]) / radii[0]) ** 2 + ((columns - centre[1]) / radii[1]) ** 2) < 1)
    masks = np.stack(masks)[..., None].astype(np.int16)
    return (0.2 + 0.6 * masks + 0.02 * rng.normal(size=masks.shape)).astype(np.float32), masks


def test_moved_slices_keep_their_masks_binary_and_aligned():
    images, masks = blobs()
    moved_images, moved_masks = perturb.perturbed(images, masks, np.random.default_rng(1))
    assert moved_images.shape == images.shape and moved_images.dtype == images.dtype
    assert moved_masks.dtype == masks.dtype and set(np.unique(moved_masks)) <= {0, 1}
    assert not np.array_equal(moved_masks, masks), "the slices moved"
    assert np.mean((moved_images > 0.5) == (moved_masks == 1)) > 0.995, "each mask moved with its image"


def test_without_augmentation_ranges_nothing_moves(monkeypatch):
    for name in ("width_shift_range", "height_shift_range", "rotation_range", "zoom_range"):
        monkeypatch.setitem(kit_helpers("config").AUGMENTATION, name, 0)
    images, masks = blobs()
    moved_images, moved_masks = perturb.perturbed(images, masks, np.random.default_rng(1))
    assert np.array_equal(moved_masks, masks) and np.allclose(moved_images, images, atol=1e-6)


def judged(monkeypatch, moved_prediction):
    """The mean IoU question's verdict for a model perfect on the test slices, which predicts
    ``moved_prediction(original masks, moved masks)`` on the moved ones."""
    monkeypatch.setattr(questions, "architecture_problems", lambda facts: [])  # its rules are tested elsewhere
    images, masks = blobs()
    _, moved_masks = perturb.perturbed(images, masks, np.random.default_rng(2))
    evidence = ModelEvidence(facts={"trained": {}}, masks={"moved": moved_masks},
                             probabilities={"val": masks.astype(np.float32), "test": masks.astype(np.float32),
                                            "moved": moved_prediction(masks, moved_masks).astype(np.float32)})
    answers = {"test_ious": [1.0] * len(masks), "mean_test_iou": 1.0}
    return questions.QUESTIONS["test_trained_mean_iou"].judge(answers, evidence, {"test_masks": masks})


def test_a_model_that_follows_the_moved_lungs_keeps_its_points(monkeypatch):
    assert "1.0000 on moved test slices" in judged(monkeypatch, lambda masks, moved: moved)


def test_a_lookup_table_of_the_public_masks_loses_them(monkeypatch):
    with pytest.raises(Failure, match="on the test slices moved within 1b.3's augmentation"):
        judged(monkeypatch, lambda masks, moved: masks)
