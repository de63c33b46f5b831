"""The grader's NumPy replay of its small model (grading/judging/replay.py), against values worked out by
hand; tests/sandbox/test_cell_questions.py holds it against Keras' own training."""
import numpy as np
import pytest

from grading.judging import replay

IMAGES = np.array([[-1.0, 2.0], [0.5, 0.0]])
MASKS = np.array([[0.0, 1.0], [1.0, 0.0]])


def test_keras_weights_become_w_and_b():
    assert replay.parameters([np.full((1, 1, 1, 1), 0.25, np.float32), np.array([-2.0], np.float32)]).tolist() == [
        0.25, -2.0]


def test_at_zero_weights_every_pixel_is_a_coin_toss():
    assert replay.cross_entropy((0.0, 0.0), IMAGES, MASKS) == pytest.approx(np.log(2))
    # 0.5 is not above 0.5: every pixel is called background, right for the two that are.
    assert replay.accuracy((0.0, 0.0), IMAGES, MASKS) == 0.5
    assert replay.accuracy((1.0, 0.0), IMAGES, MASKS) == 1.0  # w = 1: lung where a pixel is positive, as MASKS


def test_adams_first_step_moves_each_weight_by_the_rate_against_its_gradient():
    """Adam's bias correction makes its first step rate * g / |g| (up to epsilon)."""
    [after] = replay.adam((0.0, 0.0), [(IMAGES, MASKS)], [0.01])
    error = 0.5 - MASKS
    gradient = np.array([np.mean(error * IMAGES), np.mean(error)])
    assert after == pytest.approx(-0.01 * np.sign(gradient), rel=1e-4)


def test_each_step_takes_its_own_rate():
    trail = replay.adam((0.0, 0.0), [(IMAGES, MASKS)] * 3, [0.01, 0.0, 0.02])
    assert len(trail) == 3 and np.array_equal(trail[0], trail[1]) and not np.array_equal(trail[1], trail[2])
