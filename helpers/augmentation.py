"""Question 1b.3: augment image and mask together, so they stay aligned and the mask binary."""
import numpy as np
import tensorflow as tf
import keras

from .config import AUGMENTATION, BATCH_SIZE, SEED


def create_generator(train_images, train_masks, batch_size=BATCH_SIZE, seed=SEED):
    """Yield endless augmented ``(images, masks)`` batches for ``model.fit`` (question 1b.3).

    Two ImageDataGenerator flows share the augmentation settings and the seed, so each
    image and its mask get the same shift, rotation and zoom. Interpolation blurs the
    mask's edge, so masks are thresholded at 0.5 to stay binary (float32 in {0, 1}).
    """
    ### BEGIN SOLUTION
    image_flow = tf.keras.preprocessing.image.ImageDataGenerator(**AUGMENTATION).flow(
        train_images, batch_size=batch_size, shuffle=True, seed=seed
    )
    mask_flow = tf.keras.preprocessing.image.ImageDataGenerator(**AUGMENTATION).flow(
        train_masks.astype(np.float32), batch_size=batch_size, shuffle=True, seed=seed
    )
    # Keras 3's fit does not take a zip of two flows, so yield the pairs from a generator.
    for images, masks in zip(image_flow, mask_flow):
        yield images, (masks > 0.5).astype(np.float32)
    ### END SOLUTION


def augmented_dataset(train_images, train_masks, batch_size=BATCH_SIZE, seed=SEED):
    """The modern equivalent of ``create_generator``: a repeating tf.data pipeline.

    Image and mask are stacked as two channels so that one random transform (Keras
    preprocessing layers) moves both. The dataset repeats, so pass ``steps_per_epoch``
    to ``fit``: rebuilding a tf.data iterator every epoch stalls for seconds on a CPU.
    """
    transform = keras.Sequential(
        [
            keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=seed),
            keras.layers.RandomRotation(10 / 360, fill_mode="constant", seed=seed),
            keras.layers.RandomZoom(0.1, fill_mode="constant", seed=seed),
        ]
    )

    def augment(images, masks):
        moved = transform(tf.concat([images, masks], axis=-1), training=True)
        return moved[..., :1], tf.cast(moved[..., 1:] > 0.5, tf.float32)

    pairs = (train_images.astype(np.float32), train_masks.astype(np.float32))
    return (
        tf.data.Dataset.from_tensor_slices(pairs)
        .shuffle(len(train_images), seed=seed)
        .repeat()
        .batch(batch_size)
        .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )
