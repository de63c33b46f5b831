"""Labelled figures for the notebooks and the main job."""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

# How plot_errors colours each pixel of a thresholded prediction against the true mask: Okabe and Ito's
# colour-blind-safe blue, orange and reddish purple (no red against green).
ERROR_COLOURS = {"true positive": "#0072B2", "false positive": "#E69F00", "false negative": "#CC79A7"}


def plot_pairs(images, masks, titles=None, overlay=True):
    """Each image above its mask; with ``overlay`` the mask's outline is drawn on the image."""
    count = len(images)
    fig, axes = plt.subplots(2, count, figsize=(3 * count, 6), squeeze=False)
    for i in range(count):
        image, mask = np.squeeze(images[i]), np.squeeze(masks[i])
        axes[0, i].imshow(image, cmap="gray")
        if overlay:
            axes[0, i].contour(mask, levels=[0.5], colors="tab:orange", linewidths=1)
        axes[0, i].set_title(titles[i] if titles else f"image {i}")
        axes[1, i].imshow(mask, cmap="gray", vmin=0, vmax=1)
        axes[1, i].set_title("lung mask")
    for axis in axes.flat:
        axis.axis("off")
    fig.tight_layout()
    return fig


HISTORY_PANELS = {"loss": "binary cross-entropy", "accuracy": "pixel accuracy", "iou": "IoU of the lung, pixels pooled"}


def plot_history(history, no_lung_accuracy=None):
    """Loss, pixel accuracy and, when recorded, mean IoU per epoch from a Keras history dict.

    Training figures are averaged over an epoch's augmented batches with dropout on; validation
    figures come from the plain validation slices with dropout off, after the epoch: the two
    are not measured alike. ``no_lung_accuracy``, when given, is drawn on the accuracy panel:
    the score of predicting "no lung" everywhere.
    """
    names = [name for name in HISTORY_PANELS if name in history]
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 4), squeeze=False)
    for axis, name in zip(axes[0], names):
        epochs = np.arange(1, len(history[name]) + 1)
        axis.plot(epochs, history[name], label="training (augmented, dropout on)")
        if f"val_{name}" in history:
            axis.plot(epochs, history[f"val_{name}"], label="validation")
        if name == "accuracy" and no_lung_accuracy is not None:
            axis.axhline(no_lung_accuracy, color="gray", linestyle=":", label=f'"no lung" everywhere: {no_lung_accuracy:.4f}')
        if name == "iou":  # zoom on the band where the curves differ, not on the epochs before the lungs are found
            late = np.concatenate([history[key][len(epochs) // 4:] for key in (name, f"val_{name}") if key in history])
            axis.set_ylim(max(0.0, late.min() - 0.02), min(1.0, late.max() + 0.01))
        axis.set_xlabel("epoch (1 = after the first)")
        axis.set_ylabel(HISTORY_PANELS[name])
        axis.set_title(HISTORY_PANELS[name])
        axis.legend()
    fig.tight_layout()
    return fig


def plot_predictions(images, masks, probabilities, scores, threshold=0.5):
    """One row per image: the CT slice, the true mask, the thresholded prediction and its IoU."""
    fig, axes = plt.subplots(len(images), 3, figsize=(9, 3 * len(images)), squeeze=False)
    for row, (image, mask, prob, score) in enumerate(zip(images, masks, probabilities, scores)):
        panels = [(image, "CT slice"), (mask, "true mask"), (prob > threshold, f"prediction, IoU {score:.3f}")]
        for axis, (picture, title) in zip(axes[row], panels):
            axis.imshow(np.squeeze(picture), cmap="gray")
            axis.set_title(title)
            axis.axis("off")
    fig.tight_layout()
    return fig


def plot_errors(images, masks, probabilities, titles, threshold=0.5):
    """One row per image: the CT slice with true positives, false positives and false negatives
    coloured (prediction thresholded at ``threshold``), beside the predicted probability map."""
    fig, axes = plt.subplots(len(images), 2, figsize=(9, 4.2 * len(images)), squeeze=False)
    for row, (image, mask, prob, title) in enumerate(zip(images, masks, probabilities, titles)):
        truth, found = np.squeeze(mask) > 0.5, np.squeeze(prob) > threshold
        axes[row, 0].imshow(np.squeeze(image), cmap="gray")
        for colour, where in zip(ERROR_COLOURS.values(), (truth & found, found & ~truth, truth & ~found)):
            axes[row, 0].imshow(np.ma.masked_where(~where, where), cmap=ListedColormap([colour]), alpha=0.5)
        axes[row, 0].set_title(title)
        shown = axes[row, 1].imshow(np.squeeze(prob), cmap="magma", vmin=0, vmax=1)
        axes[row, 1].set_title("predicted probability of lung")
        fig.colorbar(shown, ax=axes[row, 1], fraction=0.046)
        for axis in axes[row]:
            axis.axis("off")
    handles = [Patch(color=colour, alpha=0.5, label=name) for name, colour in ERROR_COLOURS.items()]
    axes[0, 0].legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize="small")
    fig.tight_layout()
    return fig
