"""Schedule values, the reference run's training functions, and saving and loading a trained model."""
import math

import numpy as np
import pytest

from helpers import U_Net, create_generator, load_training, save_training, scheduler
from helpers.pipeline import bce_dice_loss, compile_model, fit_model


@pytest.mark.parametrize("epoch, rate", [(0, 1e-3), (19, 1e-3), (20, 1e-3), (21, 1e-3 * math.exp(-0.1)), (39, 1e-3 * math.exp(-1.9))])
def test_scheduler_values(epoch, rate):
    assert scheduler(epoch) == pytest.approx(rate)


def test_schedule_never_collapses():
    assert min(scheduler(e) for e in range(40)) > 1e-4  # 0.1 ** (epoch - 20) would reach 1e-22


def test_fit_save_and_load_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.random((8, 128, 128, 1), np.float32)
    masks = (images > 0.5).astype(np.int16)
    model = compile_model(U_Net(base_filters=4))
    history = fit_model(model, create_generator(images, masks, batch_size=4), 8, (images, masks), epochs=2)
    assert set(history.history) >= {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"}
    save_training(model, history.history, 4, tmp_path, note="test")
    loaded, record = load_training(tmp_path)
    assert record["note"] == "test" and len(record["history"]["loss"]) == 2
    np.testing.assert_allclose(loaded.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-6)


def test_loading_without_training_says_run_notebook_4(tmp_path):
    with pytest.raises(FileNotFoundError, match="notebook 4"):
        load_training(tmp_path)


def test_bce_dice_loss_is_low_for_a_match_and_high_for_a_miss():
    masks = np.zeros((2, 8, 8, 1), np.float32)
    masks[:, 2:6, 2:6] = 1
    good = np.asarray(bce_dice_loss(masks, np.clip(masks, 0.01, 0.99)))
    bad = np.asarray(bce_dice_loss(masks, np.clip(1 - masks, 0.01, 0.99)))
    assert good.shape == (2,) and np.all(good < 0.1) and np.all(bad > 1.5)
