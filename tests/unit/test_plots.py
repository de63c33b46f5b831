"""The notebooks' figures: learning curves with their baseline, and each pixel's verdict coloured."""
import matplotlib
import numpy as np
import pytest

from helpers import plot_errors, plot_history
from helpers.plots import ERROR_COLOURS

matplotlib.use("Agg")
HISTORY = {"loss": [0.6, 0.3], "val_loss": [0.5, 0.2], "accuracy": [0.7, 0.9], "val_accuracy": [0.78, 0.95],
           "iou": [0.1, 0.8], "val_iou": [0.0, 0.9], "learning_rate": [1e-3, 1e-3]}


def test_learning_curves_show_loss_accuracy_and_iou_with_the_no_lung_baseline():
    axes = plot_history(HISTORY, no_lung_accuracy=0.7755).axes
    assert [axis.get_title() for axis in axes] == ["binary cross-entropy", "pixel accuracy", "IoU of the lung, pixels pooled"]
    baseline = [line for line in axes[1].get_lines() if "no lung" in line.get_label()]
    assert len(baseline) == 1 and list(baseline[0].get_ydata()) == [0.7755, 0.7755]
    assert "0.7755" in baseline[0].get_label()
    assert list(axes[2].get_lines()[1].get_ydata()) == HISTORY["val_iou"]
    assert list(axes[0].get_lines()[0].get_xdata()) == [1, 2]  # epochs counted from 1, as Keras prints them


def test_the_iou_panel_zooms_on_the_later_epochs_where_the_curves_could_part():
    history = {"loss": [0.6] * 8, "accuracy": [0.8] * 8, "iou": [0.0, 0.2, 0.9, 0.92, 0.93, 0.94, 0.95, 0.95],
               "val_iou": [0.0, 0.3, 0.91, 0.93, 0.95, 0.95, 0.96, 0.96]}
    low, high = plot_history(history).axes[2].get_ylim()
    assert low == pytest.approx(0.88) and high == pytest.approx(0.97), "from the epochs after the first quarter"


def test_a_history_without_iou_still_plots_loss_and_accuracy():
    history = {name: values for name, values in HISTORY.items() if "iou" not in name}
    axes = plot_history(history).axes
    assert [axis.get_title() for axis in axes] == ["binary cross-entropy", "pixel accuracy"]
    assert not [line for line in axes[1].get_lines() if "no lung" in line.get_label()]


def test_error_colours_are_colour_blind_safe():
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    assert set(ERROR_COLOURS.values()) <= okabe_ito and len(set(ERROR_COLOURS.values())) == 3
    assert not {"#009E73", "#D55E00"} <= set(ERROR_COLOURS.values()), "not green beside vermillion"


def test_errors_colour_true_and_false_positives_and_false_negatives():
    mask = np.zeros((1, 8, 8, 1), np.int16)
    mask[0, :4, :4] = 1  # 16 lung pixels
    probabilities = np.zeros((1, 8, 8, 1), np.float32)
    probabilities[0, :4, :2] = 0.9  # 8 found
    probabilities[0, 6:, 6:] = 0.7  # 4 predicted outside the lung
    image_axis, probability_axis = plot_errors(np.zeros((1, 8, 8, 1)), mask, probabilities, ["slice"]).axes[:2]
    ct, *overlays = image_axis.get_images()
    coloured = {tuple(overlay.get_cmap().colors): int(np.sum(~np.ma.getmaskarray(overlay.get_array()))) for overlay in overlays}
    expected = {"true positive": 8, "false positive": 4, "false negative": 8}
    assert coloured == {(ERROR_COLOURS[name],): count for name, count in expected.items()}
    assert [patch.get_label() for patch in image_axis.get_legend().get_patches()] == list(ERROR_COLOURS)
    assert image_axis.get_title() == "slice"
    np.testing.assert_array_equal(probability_axis.get_images()[0].get_array(), probabilities[0, ..., 0])


@pytest.mark.parametrize("threshold, found", [(0.5, 12), (0.8, 8)])
def test_errors_threshold_the_prediction_as_asked(threshold, found):
    mask = np.ones((1, 4, 4, 1), np.int16)
    probabilities = np.zeros((1, 4, 4, 1), np.float32)
    probabilities[0, :2] = 0.9
    probabilities[0, 2, :] = 0.6
    image_axis = plot_errors(np.zeros((1, 4, 4, 1)), mask, probabilities, ["slice"], threshold=threshold).axes[0]
    true_positive = image_axis.get_images()[1]
    assert int(np.sum(~np.ma.getmaskarray(true_positive.get_array()))) == found
