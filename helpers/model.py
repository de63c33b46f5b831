"""Question 1b.6: the U-Net, from the layers the assignment allows."""
import keras
from keras import layers


class U_Net(keras.Model):
    """A U-Net for 128x128x1 slices (question 1b.6).

    The assignment's U-Net (the defaults): a contracting path of a 3x3 convolution then 2x2
    max pooling, twice, down to a bottleneck with 4 * ``base_filters`` channels (64/128/256
    by default). An expanding path of upsampling, a 2x2 "up-convolution" halving the
    channels, concatenation with the contracting level of the same resolution (the skip
    connection) and a 3x3 convolution, twice. Dropout 0.5 and a 1x1 convolution with a
    sigmoid give the per-pixel lung probability. ``base_filters=64`` has 902,593 parameters.

    Optional, for the "fast" and "best" training recipes: ``depth`` pooling levels instead of 2, and
    ``convs_per_level`` 3x3 convolutions wherever the assignment has one (the original
    U-Net has 2).

    ``dropout`` is the rate of the dropout before the output (notebook 4's memorisation check sets it to 0).
    """

    def __init__(self, base_filters=64, depth=2, convs_per_level=1, dropout=0.5, **kwargs):
        super().__init__(**kwargs)
        ### BEGIN SOLUTION
        def convs(filters):
            return [layers.Conv2D(filters, 3, activation="relu", padding="same") for _ in range(convs_per_level)]

        widths = [base_filters * 2**level for level in range(depth)]  # one per level, top first
        self.down = [convs(width) for width in widths]
        self.bottom = convs(base_filters * 2**depth)
        self.pool = layers.MaxPool2D(2)
        self.upsample = layers.UpSampling2D(2)
        self.upconv = [layers.Conv2D(width, 2, activation="relu", padding="same") for width in widths]
        self.up = [convs(width) for width in widths]
        self.dropout = layers.Dropout(dropout)
        self.classify = layers.Conv2D(1, 1, activation="sigmoid")
        ### END SOLUTION

    def call(self, inputs, training=False):
        ### BEGIN SOLUTION
        def apply(stack, x):
            for layer in stack:
                x = layer(x)
            return x

        x, skips = inputs, []
        for level in self.down:
            skips.append(apply(level, x))
            x = self.pool(skips[-1])
        x = apply(self.bottom, x)
        for upconv, level, skip in reversed(list(zip(self.upconv, self.up, skips))):
            x = apply(level, layers.concatenate([upconv(self.upsample(x)), skip]))
        return self.classify(self.dropout(x, training=training))
        ### END SOLUTION
