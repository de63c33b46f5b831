"""The kit's reference run: train the U-Net on the real data, evaluate it, write artifacts.

Instructors' and benchmarks' code: the student release leaves this package out, since it
answers the notebooks' compile, fit and evaluate questions.

    python -m reference.pipeline [--recipe default|fast|best] [--out artifacts] [--data DATASET_FOLDER]

Writes ``metrics.json``, the trained weights with ``training.json`` (loadable with
``helpers.load_training``) and figures to ``--out``: ``artifacts/`` by default, or
``artifacts/fast/`` with ``LUNGKIT_FAST=1``, which shortens the training.
"""
import argparse
import json
import math
import time
from pathlib import Path

import helpers  # noqa: F401: the kit's TensorFlow settings (oneDNN), before Keras starts TensorFlow
import keras
import matplotlib

from helpers.artifacts import save_training, training_dir
from helpers.augmentation import create_generator
from helpers.config import BATCH_SIZE, EPOCHS, FAST_MODE, RECIPE, RECIPES, SEED, VERBOSE, training_settings
from helpers.data import load_data
from helpers.dataset import IMAGE_SUBDIR, MASK_SUBDIR, find_dataset
from helpers.metrics import mean_score, per_image_scores
from helpers.model import U_Net
from helpers.plots import plot_history, plot_predictions
from helpers.training import scheduler
from reference.metrics import compute_dice


def compile_model(model, learning_rate=1e-3):
    """Adam, binary cross-entropy on the sigmoid output, pixel accuracy and the lung's IoU (1b.7): Keras'
    ``BinaryIoU`` of the lung class, all pixels of an epoch pooled.

    Keywords matter in Keras 3: ``compile(optimizer, loss, metrics)`` passes the metrics
    list as ``loss_weights`` and raises a ValueError.
    """
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy",
                  metrics=["accuracy", keras.metrics.BinaryIoU(target_class_ids=[1], name="iou")])
    return model


def fit_model(model, batches, train_count, validation_data, epochs=EPOCHS, batch_size=BATCH_SIZE, schedule=scheduler):
    """Train on an endless batch source with the learning rate schedule (question 1b.9)."""
    return model.fit(
        batches,
        steps_per_epoch=math.ceil(train_count / batch_size),  # each image once per epoch
        epochs=epochs,
        validation_data=validation_data,
        callbacks=[keras.callbacks.LearningRateScheduler(schedule)],
        shuffle=False,  # the batch source shuffles; Keras cannot shuffle a generator
        verbose=VERBOSE,
    )


def train_and_evaluate(data_dir=None, normalization="window", recipe=RECIPE, schedule=scheduler, seed=SEED):
    """Train ``recipe`` (see ``config.RECIPES``) from ``seed`` (the kit's by default); return the model, its
    history, test metrics and ``(test, probabilities)``."""
    epochs, unet = training_settings(recipe)
    keras.utils.set_random_seed(seed)
    folder = find_dataset(data_dir)
    train, val, test = load_data(folder / IMAGE_SUBDIR, folder / MASK_SUBDIR, normalization)
    model = compile_model(U_Net(**unet))
    start = time.perf_counter()
    history = fit_model(model, create_generator(*train), len(train[0]), val, epochs=epochs, schedule=schedule)
    seconds = time.perf_counter() - start
    test_accuracy = model.evaluate(*test, verbose=0, return_dict=True)["accuracy"]
    probabilities = model.predict(test[0], verbose=0)
    metrics = {
        "test_accuracy": float(test_accuracy),
        "test_mean_iou": mean_score(test[1], probabilities, 0.5),
        "test_mean_dice": mean_score(test[1], probabilities, 0.5, compute_dice),
        "val_accuracy": float(history.history["val_accuracy"][-1]),
        "threshold": 0.5,
        "epochs": epochs,
        "train_images": len(train[0]),
        "training_seconds": round(seconds, 1),
        "normalization": normalization,
        "recipe": recipe,
        "seed": seed,
        "unet": unet,
        "fast_mode": FAST_MODE,
    }
    return model, history.history, metrics, (test, probabilities)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=training_dir(), help="artifacts folder (default: %(default)s)")
    parser.add_argument("--data", help="dataset folder (default: $LUNGKIT_DATA, the cache, or Kaggle)")
    parser.add_argument("--recipe", choices=RECIPES, default=RECIPE, help="training recipe (default: %(default)s)")
    args = parser.parse_args(argv)
    matplotlib.use("Agg")
    model, history, metrics, (test, probabilities) = train_and_evaluate(args.data, recipe=args.recipe)
    save_training(model, history, folder=args.out, **metrics)  # the record holds the metrics too
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    plot_history(history).savefig(args.out / "history.png", dpi=100)
    scores = per_image_scores(test[1], probabilities)
    shown = scores.argsort()[[0, len(scores) // 2, -1]]  # worst, median and best test slices
    plot_predictions(test[0][shown], test[1][shown], probabilities[shown], scores[shown]).savefig(
        args.out / "predictions.png", dpi=100
    )
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
