"""Question 1b.8: the learning rate schedule."""
import math


def scheduler(epoch, lr=None):
    """Learning rate for ``epoch`` (0-based), question 1b.8: the schedule notebook 4 describes.

    ``lr``, the current rate that Keras passes in, is not needed.
    """
    ### BEGIN SOLUTION
    if epoch < 20:
        return 1e-3
    return 1e-3 * math.exp(-0.1 * (epoch - 20))
    ### END SOLUTION
