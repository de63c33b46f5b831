"""The U-Net's shape, range and layer rules."""
import numpy as np
from keras import layers

from helpers import U_Net

ALLOWED = (layers.Conv2D, layers.MaxPool2D, layers.UpSampling2D, layers.Dropout)


def test_suggested_unet_has_902593_parameters():
    model = U_Net(base_filters=64)
    model(np.zeros((1, 128, 128, 1), np.float32))
    assert model.count_params() == 902_593


def test_output_is_one_probability_per_pixel():
    model = U_Net(base_filters=8)
    output = np.asarray(model(np.random.default_rng(0).random((2, 128, 128, 1), np.float32)))
    assert output.shape == (2, 128, 128, 1)
    assert 0.0 <= output.min() and output.max() <= 1.0


def test_only_the_assignments_layers_are_used():
    model = U_Net(base_filters=8)
    model(np.zeros((1, 128, 128, 1), np.float32))
    assert model.layers and all(isinstance(layer, ALLOWED) for layer in model.layers)
    assert model.layers[-1].activation.__name__ == "sigmoid"
