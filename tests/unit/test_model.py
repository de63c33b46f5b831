"""The U-Net's shape, size and layer rules, for the assignment's design and the optional one."""
import numpy as np
import pytest
from keras import layers

from helpers import RECIPES, U_Net

ALLOWED = (layers.Conv2D, layers.MaxPool2D, layers.UpSampling2D, layers.Dropout)


def built(**unet):
    model = U_Net(**unet)
    model(np.zeros((1, 128, 128, 1), np.float32))
    return model


def expected_parameters(f, depth=2, convs_per_level=1):
    """Count the weights of the U-Net described in notebook 3, layer by layer."""
    convs = []  # (inputs, outputs, kernel size)
    inputs = 1
    for level in range(depth + 1):  # the contracting levels, then the bottom
        width = f * 2**level
        convs += [(inputs, width, 3)] + [(width, width, 3)] * (convs_per_level - 1)
        inputs = width
    for level in reversed(range(depth)):
        width = f * 2**level
        convs += [(2 * width, width, 2), (2 * width, width, 3)] + [(width, width, 3)] * (convs_per_level - 1)
    convs.append((f, 1, 1))
    return sum(k * k * i * o + o for i, o, k in convs)


def test_suggested_unet_has_902593_parameters():
    assert built().count_params() == expected_parameters(64) == 902_593


@pytest.mark.parametrize("unet", [dict(base_filters=8), dict(base_filters=8, depth=3, convs_per_level=2), dict(base_filters=4, depth=4, convs_per_level=3)])
def test_depth_and_convolutions_per_level_follow_the_design(unet):
    model = built(**unet)
    assert model.count_params() == expected_parameters(unet["base_filters"], unet.get("depth", 2), unet.get("convs_per_level", 1))


def test_output_is_one_probability_per_pixel():
    model = U_Net(base_filters=8, depth=3, convs_per_level=2)
    output = np.asarray(model(np.random.default_rng(0).random((2, 128, 128, 1), np.float32)))
    assert output.shape == (2, 128, 128, 1)
    assert 0.0 <= output.min() and output.max() <= 1.0


@pytest.mark.parametrize("recipe", RECIPES)
def test_every_recipe_uses_only_the_assignments_layers(recipe):
    model = built(**RECIPES[recipe]["unet"])
    assert model.count_params() == RECIPES[recipe]["parameters"], "notebook 4 checks a student's U_Net against it"
    assert model.layers and all(isinstance(layer, ALLOWED) for layer in model.layers)
    assert model.layers[-1].activation.__name__ == "sigmoid"
