"""Question 1b.6: the U-Net, from the layers the assignment allows."""
import keras
from keras import layers

from .config import BASE_FILTERS


class U_Net(keras.Model):
    """A small U-Net for 128x128x1 slices (question 1b.6).

    Contracting path: a 3x3 convolution then 2x2 max pooling, twice, down to a
    bottleneck with 4 * ``base_filters`` channels (64/128/256 by default). Expanding
    path: upsampling, a 2x2 "up-convolution" halving the channels, concatenation with
    the contracting level of the same resolution (the skip connection) and a 3x3
    convolution, twice. Dropout 0.5 and a 1x1 convolution with a sigmoid give the
    per-pixel lung probability. ``base_filters=64`` has 902,593 parameters.
    """

    def __init__(self, base_filters=BASE_FILTERS, dropout=0.5, **kwargs):
        super().__init__(**kwargs)
        ### BEGIN SOLUTION
        f = base_filters

        def conv(filters, size=3):
            return layers.Conv2D(filters, size, activation="relu", padding="same")

        self.down1, self.down2, self.bottom = conv(f), conv(2 * f), conv(4 * f)
        self.pool = layers.MaxPool2D(2)
        self.upsample = layers.UpSampling2D(2)
        self.upconv2, self.up2 = conv(2 * f, 2), conv(2 * f)
        self.upconv1, self.up1 = conv(f, 2), conv(f)
        self.dropout = layers.Dropout(dropout)
        self.classify = layers.Conv2D(1, 1, activation="sigmoid")
        ### END SOLUTION

    def call(self, inputs, training=False):
        ### BEGIN SOLUTION
        skip1 = self.down1(inputs)
        skip2 = self.down2(self.pool(skip1))
        x = self.bottom(self.pool(skip2))
        x = self.up2(layers.concatenate([self.upconv2(self.upsample(x)), skip2]))
        x = self.up1(layers.concatenate([self.upconv1(self.upsample(x)), skip1]))
        return self.classify(self.dropout(x, training=training))
        ### END SOLUTION
