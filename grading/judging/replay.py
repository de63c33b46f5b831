"""The grader's small model, trained again in NumPy: the reference for the answer-cell questions.

The model is one 1x1 convolution with a sigmoid on one-channel images: a logistic regression per
pixel, whose weights are two numbers ``(w, b)``. Keras trains it as it trains a U-Net (the same
compile, fit, callbacks and optimizer), and its loss, accuracy and Adam's steps are a few lines
of NumPy, so the grader knows what a student's compile or fit must do to it without running
Keras or any student code.
"""
import numpy as np

BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7  # Keras' Adam defaults


def parameters(weights):
    """``(w, b)`` of the Keras weights ``[kernel (1, 1, 1, 1), bias (1,)]``, as float64."""
    kernel, bias = weights
    return np.array([np.ravel(kernel)[0], np.ravel(bias)[0]], dtype=np.float64)


def probabilities(parameters, images):
    w, b = parameters
    return 1 / (1 + np.exp(-(w * np.asarray(images, np.float64) + b)))


def cross_entropy(parameters, images, masks):
    """Binary cross-entropy averaged over every pixel, as Keras computes the loss."""
    p = probabilities(parameters, images)
    return float(np.mean(-(masks * np.log(p) + (1 - masks) * np.log(1 - p))))


def accuracy(parameters, images, masks):
    """Keras' "accuracy" for a sigmoid output: the share of pixels whose probability is on the mask's side of 0.5."""
    return float(np.mean((probabilities(parameters, images) > 0.5) == (np.asarray(masks) > 0.5)))


def adam(parameters, batches, rates):
    """The parameters after each step of Adam on binary cross-entropy, one ``(images, masks)`` batch and
    one learning rate per step, as Keras' Adam takes them."""
    current, m, v = np.array(parameters, np.float64), np.zeros(2), np.zeros(2)
    trail = []
    for step, ((images, masks), rate) in enumerate(zip(batches, rates), start=1):
        error = probabilities(current, images) - masks
        gradient = np.array([np.mean(error * images), np.mean(error)])
        m += (gradient - m) * (1 - BETA_1)
        v += (gradient**2 - v) * (1 - BETA_2)
        size = float(rate) * np.sqrt(1 - BETA_2**step) / (1 - BETA_1**step)
        current = current - m * size / (np.sqrt(v) + EPSILON)
        trail.append(current)
    return trail
