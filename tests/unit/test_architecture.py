"""Notebook 3's layer table: every call of a layer in order, with shapes and the skip connections marked."""
import keras
from keras import layers

from helpers import U_Net, layer_table


def test_a_u_net_shows_each_call_with_its_shape_and_a_skip_at_every_level():
    lines = layer_table(U_Net(base_filters=8, depth=3))
    rows = lines[1:]
    assert len(rows) == 3 * 2 + 1 + 3 * 4 + 2, "each pooling and upsampling call is a row, though one layer does them all"
    assert "128x128x8" in rows[0] and "the image" in rows[0]
    assert "16x16x64" in rows[6], "the bottom, 3 poolings down, with 8 * 2**3 channels"
    skips = [row for row in rows if "skip connection" in row]
    assert len(skips) == 3 and all("Concatenate" in row for row in skips)
    assert "step 1" in skips[-1], "the last concatenation joins the first convolution's map"
    assert rows[-1].split()[-3] == "128x128x1"


def test_a_network_without_skips_shows_none():
    class Plain(keras.Model):
        def __init__(self):
            super().__init__()
            self.convs = [layers.Conv2D(4, 3, padding="same"), layers.Conv2D(1, 1, activation="sigmoid")]

        def call(self, inputs):
            return self.convs[1](self.convs[0](inputs))

    lines = layer_table(Plain(), input_shape=(16, 16, 1))
    assert len(lines) == 3 and not any("skip" in line for line in lines)
    assert "16x16x4" in lines[1] and "step 1" in lines[2]
    assert keras.layers.Layer.__call__.__name__ == "__call__", "the recording is undone"
