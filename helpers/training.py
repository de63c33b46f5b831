"""Question 1b.8: the learning rate schedule."""
import math


def scheduler(epoch, lr=None):
    """Learning rate for ``epoch`` (0-based), question 1b.8.

    1e-3 for epochs 0 to 19, then exponential decay 1e-3 * exp(-0.1 * (epoch - 20)), which is
    still 1e-3 at epoch 20 (so the rate is constant for 21 epochs) and about 1.4e-4 at epoch 40. (The original answer's 1e-3 * 0.1 ** (epoch - 20) reaches
    1e-23 by epoch 40 and stops learning two epochs after the decay starts.)
    ``lr``, the current rate that Keras passes in, is not needed.
    """
    ### BEGIN SOLUTION
    if epoch < 20:
        return 1e-3
    return 1e-3 * math.exp(-0.1 * (epoch - 20))
    ### END SOLUTION
