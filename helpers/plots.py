"""Labelled figures for the notebooks and the main job."""
import matplotlib.pyplot as plt
import numpy as np


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


def plot_history(history, metrics=("loss", "accuracy")):
    """Training and validation curves per epoch from a Keras history dict."""
    fig, axes = plt.subplots(1, len(metrics), figsize=(6 * len(metrics), 4), squeeze=False)
    for axis, name in zip(axes[0], metrics):
        epochs = np.arange(1, len(history[name]) + 1)
        axis.plot(epochs, history[name], label=f"training {name}")
        if f"val_{name}" in history:
            axis.plot(epochs, history[f"val_{name}"], label=f"validation {name}")
        axis.set_xlabel("epoch")
        axis.set_ylabel(name)
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
