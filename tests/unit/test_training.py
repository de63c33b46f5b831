"""Schedule values, the reference run's training functions, and saving and loading a trained model."""
import math
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from helpers import U_Net, config, create_generator, load_training, save_training, scheduler
from reference.pipeline import compile_model, fit_model


@pytest.mark.parametrize("epoch, rate", [(0, 1e-3), (19, 1e-3), (20, 1e-3), (21, 1e-3 * math.exp(-0.1)), (39, 1e-3 * math.exp(-1.9))])
def test_scheduler_values(epoch, rate):
    assert scheduler(epoch) == pytest.approx(rate)


def test_schedule_never_collapses():
    assert min(scheduler(e) for e in range(40)) > 1e-4  # 0.1 ** (epoch - 20) would reach 1e-22


def test_fit_save_and_load_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.random((8, 128, 128, 1), np.float32)
    masks = (images > 0.5).astype(np.int16)
    unet = dict(base_filters=4, depth=3, convs_per_level=2)  # the record must rebuild any variant
    model = compile_model(U_Net(**unet))
    history = fit_model(model, create_generator(images, masks, batch_size=4), 8, (images, masks), epochs=2)
    assert set(history.history) >= {"loss", "accuracy", "iou", "val_loss", "val_accuracy", "val_iou", "learning_rate"}
    # The recorded validation IoU is the lung's IoU, all pixels pooled, of the model at the end of the epoch
    # (within a few pixels that land on either side of 0.5 as batches are computed in another order).
    found, truth = model.predict(images, verbose=0) > 0.5, masks > 0
    assert history.history["val_iou"][-1] == pytest.approx((found & truth).sum() / (found | truth).sum(), abs=2e-4)
    save_training(model, history.history, unet, tmp_path, note="test")
    loaded, record = load_training(tmp_path)
    assert record["note"] == "test" and record["unet"] == unet and len(record["history"]["loss"]) == 2
    np.testing.assert_allclose(loaded.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-6)


def test_loading_without_training_says_run_notebook_4(tmp_path):
    with pytest.raises(FileNotFoundError, match="notebook 4"):
        load_training(tmp_path)


def test_recipes_set_epochs_and_unet_unless_fast_mode_or_grading(monkeypatch):
    monkeypatch.setattr(config, "FAST_MODE", False)
    monkeypatch.setattr(config, "GRADING", False)
    assert config.training_settings("default") == (40, dict(base_filters=64, depth=2, convs_per_level=1))
    assert config.training_settings("best") == (60, dict(base_filters=32, depth=3, convs_per_level=2))
    monkeypatch.setattr(config, "FAST_MODE", True)
    assert config.training_settings("best") == (10, config.FAST_MODE_UNET)
    monkeypatch.setattr(config, "GRADING", True)
    assert config.training_settings("best")[0] == 1


def test_an_unknown_recipe_names_the_variable_and_the_choices():
    env = {**os.environ, "LUNGKIT_RECIPE": "bestest"}
    run = subprocess.run([sys.executable, "-c", "import helpers.config"], env=env, capture_output=True, text=True, cwd=Path(config.__file__).parent.parent)
    assert run.returncode != 0
    assert "'bestest'" in run.stderr and "LUNGKIT_RECIPE" in run.stderr and "default, fast, best" in run.stderr


def recipe_chosen(tmp_path, with_gpu_tool):
    """helpers.RECIPE in a fresh interpreter without LUNGKIT_RECIPE, with or without an nvidia-smi on PATH."""
    tools = tmp_path / ("gpu" if with_gpu_tool else "none")
    tools.mkdir()
    if with_gpu_tool:
        (tools / "nvidia-smi").write_text("#!/bin/sh\n")
        (tools / "nvidia-smi").chmod(0o755)
    env = {name: value for name, value in os.environ.items() if name != "LUNGKIT_RECIPE"}
    run = subprocess.run([sys.executable, "-c", "import helpers.config; print(helpers.config.RECIPE)"], check=True,
                         env={**env, "PATH": str(tools)}, capture_output=True, text=True, cwd=Path(config.__file__).parent.parent)
    return run.stdout.strip()


def test_without_a_named_recipe_notebook_4_trains_fast_unless_it_finds_a_gpu(tmp_path):
    assert recipe_chosen(tmp_path, with_gpu_tool=True) == "default"
    if Path("/dev/nvidia0").exists():
        pytest.skip("this machine has an NVIDIA GPU: the CPU case cannot be shown here")
    assert recipe_chosen(tmp_path, with_gpu_tool=False) == "fast"


NOTEBOOK_4 = Path(config.__file__).parent.parent / "notebooks" / "04_training.ipynb"


def run_recipe_cell(u_net, capsys):
    """Notebook 4's recipe cell, in full mode, with the recipe ``fast`` and ``u_net`` as the student's U_Net; what
    it prints."""
    cell = next(c for c in nbformat.read(NOTEBOOK_4, as_version=4).cells
                if c.metadata["nbgrader"]["grade_id"] == "training_recipe")
    import helpers

    exec(cell.source.replace("RECIPE = helpers.RECIPE", "RECIPE = 'fast'"), {"helpers": helpers, "U_Net": u_net, "np": np,
                                                                              "FAST_MODE": False})
    return capsys.readouterr().out


def test_notebook_4_warns_when_the_students_u_net_does_not_build_the_recipe(capsys, monkeypatch):
    monkeypatch.setattr(config, "FAST_MODE", False)
    monkeypatch.setattr(config, "GRADING", False)
    assert "your U_Net builds it: 481,745 parameters" in run_recipe_cell(U_Net, capsys)
    ignores_depth = lambda base_filters=64, **_: U_Net(base_filters=base_filters)  # noqa: E731: 1b.6 without its optional part
    printed = run_recipe_cell(ignores_depth, capsys)
    assert "WARNING: your U_Net has 56,689 parameters, the recipe's network 481,745" in printed
    assert "optional part of 1b.6" in printed and 'RECIPE = "default"' in printed
