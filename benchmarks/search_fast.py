"""Benchmark: search for a `fast` recipe, judged on the validation slices only.

    python benchmarks/search_fast.py [--only NAME ...] [--out benchmarks/search.json]
    python benchmarks/search_fast.py --seeds 220 1 2 --only NAME   # one configuration, several seeds
    python benchmarks/search_fast.py --env TF_ENABLE_ONEDNN_OPTS=0 --only NAME   # under other settings

Each configuration in ``CONFIGURATIONS`` trains in a fresh process (thread settings only take
effect before TensorFlow starts) on the kit's split, with the assignment's augmentation, binary
cross-entropy, Adam and the kit's schedule family (``scheduler``, shifted so that the rate stays at
1e-3 for ``constant`` epochs instead of 21, then decays by ``exp(-0.1)`` an epoch). It records the
training time (``fit``, validation included) and the validation mean IoU at threshold 0.5, per image
then mean. The test slices are not touched here: ``train_recipes.py`` judges the chosen recipe on
them once. Results are appended to the output file as they come, so an interrupted search resumes
where it stopped, on this machine or another: a run is known by its name, seed, ``--env`` settings
(environment variables of the training processes: oneDNN on or off, say) and the machine it ran on
(compare timings of one machine only). Run it on an otherwise idle machine: the timings are
wall-clock.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

BASE = dict(base_filters=16, depth=3, convs_per_level=2, epochs=60, constant=21, batch_size=16, threads=0, prefetch=False, jit=False)

# name: what differs from BASE (U-Net width/depth/convolutions per level, epochs, ...). ``threads``
# 0 is TensorFlow's default (every core); ``prefetch`` feeds the augmentation generator through
# tf.data with prefetching, so that it runs while the model trains; ``jit`` turns on XLA
# compilation, which Keras 3 leaves off on a machine with no GPU.
CONFIGURATIONS = {
    # Speed first, on 8 epochs: settings that change the time per epoch, not what is learned.
    "speed: 16/3/2, 8 epochs": dict(epochs=8),
    "speed: XLA": dict(epochs=8, jit=True),
    "speed: prefetch": dict(epochs=8, prefetch=True),
    "speed: 1 intra-op thread": dict(epochs=8, threads=1),
    # The kit's recipes (helpers.config.RECIPES), 4 epochs each: their time per epoch.
    "speed: default recipe, 4 epochs": dict(base_filters=64, depth=2, convs_per_level=1, epochs=4),
    "speed: fast recipe, 4 epochs": dict(base_filters=32, depth=2, convs_per_level=1, epochs=4),
    "speed: best recipe, 4 epochs": dict(base_filters=32, depth=3, convs_per_level=2, epochs=4),
    # Quality against time, with the fastest settings above.
    "16/3/2, 60 epochs": {},
    "16/3/2, 50 epochs": dict(epochs=50),
    "16/3/2, 40 epochs": dict(epochs=40),
    "16/3/2, 40 epochs, constant 11": dict(epochs=40, constant=11),
    "16/3/2, 50 epochs, batch 8": dict(epochs=50, batch_size=8),
    "16/3/2, 50 epochs, batch 32": dict(epochs=50, batch_size=32),
    "16/4/2, 50 epochs": dict(depth=4, epochs=50),
    "16/3/1, 60 epochs": dict(convs_per_level=1),
    "24/3/2, 40 epochs": dict(base_filters=24, epochs=40),
    "32/2/1, 40 epochs (the old fast)": dict(base_filters=32, depth=2, convs_per_level=1, epochs=40),
}


def train(settings, seed):
    """Train one configuration from ``seed``; return its time and validation figures."""
    import helpers  # noqa: F401: the kit's TensorFlow settings (oneDNN), before TensorFlow starts
    import tensorflow as tf

    if settings["threads"]:
        tf.config.threading.set_intra_op_parallelism_threads(settings["threads"])
    import keras

    from helpers.augmentation import create_generator
    from helpers.data import load_data
    from helpers.dataset import IMAGE_SUBDIR, MASK_SUBDIR, find_dataset
    from helpers.metrics import per_image_scores
    from helpers.model import U_Net
    from helpers.training import scheduler
    from reference.pipeline import compile_model, fit_model

    folder = find_dataset()
    train_set, val, _ = load_data(folder / IMAGE_SUBDIR, folder / MASK_SUBDIR)
    keras.utils.set_random_seed(seed)
    unet = {key: settings[key] for key in ("base_filters", "depth", "convs_per_level")}
    model = compile_model(U_Net(**unet))
    model.jit_compile = settings["jit"]
    batch_size = settings["batch_size"]
    batches = source = create_generator(*train_set, batch_size=batch_size, seed=seed)
    if settings["prefetch"]:
        spec = tf.TensorSpec((None, 128, 128, 1), tf.float32)
        batches = tf.data.Dataset.from_generator(lambda: source, output_signature=(spec, spec)).prefetch(2)
    shift = 21 - settings["constant"]  # scheduler keeps 1e-3 for epochs 0 to 20
    start = time.perf_counter()
    history = fit_model(model, batches, len(train_set[0]), val, epochs=settings["epochs"], batch_size=batch_size,
                        schedule=lambda epoch, lr=None: scheduler(epoch + shift))
    seconds = time.perf_counter() - start
    scores = per_image_scores(val[1], model.predict(val[0], verbose=0))
    return {
        "training_seconds": round(seconds, 1),
        "seconds_per_epoch": round(seconds / settings["epochs"], 2),
        "val_mean_iou": round(float(scores.mean()), 4),
        "val_median_iou": round(float(sorted(scores)[len(scores) // 2]), 4),
        "val_accuracy": round(float(history.history["val_accuracy"][-1]), 4),
        "parameters": model.count_params(),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=CONFIGURATIONS, help="configurations to run (default: all)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[220], help="seeds (default: the kit's, 220)")
    parser.add_argument("--env", nargs="+", default=[], metavar="NAME=VALUE",
                        help="environment of the training processes, e.g. TF_ENABLE_ONEDNN_OPTS=0")
    parser.add_argument("--out", type=Path, default=HERE / "search.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # one run, in a fresh process: NAME:SEED
    args = parser.parse_args(argv)
    if args.child:
        name, seed = args.child.rsplit(":", 1)
        print(json.dumps(train({**BASE, **CONFIGURATIONS[name]}, int(seed))))
        return
    done = json.loads(args.out.read_text()) if args.out.exists() else {"runs": []}
    for run in done["runs"]:  # the runs of a file from before each run said its machine
        run.setdefault("machine", done.get("machine"))
    done.pop("machine", None)
    from train_recipes import machine  # not in the child: TensorFlow starts there, after its thread settings

    here = machine()
    settings = dict(setting.split("=", 1) for setting in args.env)
    for name in args.only or CONFIGURATIONS:
        for seed in args.seeds:
            if any((run["name"], run["seed"], run.get("env", {}), run["machine"]) == (name, seed, settings, here)
                   for run in done["runs"]):
                continue
            child = subprocess.run([sys.executable, __file__, "--child", f"{name}:{seed}"], capture_output=True, text=True,
                                   env={**os.environ, **settings})
            if child.returncode:
                raise SystemExit(f"{name} (seed {seed}) failed:\n{child.stderr[-3000:]}")
            run = {"name": name, "seed": seed, "machine": here, **BASE, **CONFIGURATIONS[name],
                   **json.loads(child.stdout.splitlines()[-1])}
            if settings:
                run["env"] = settings
            done["runs"].append(run)
            args.out.write_text(json.dumps(done, indent=1) + "\n")
            print(f"{name:40s} seed {seed:3d} {' '.join(args.env)}: {run['training_seconds']:6.0f} s, "
                  f"{run['seconds_per_epoch']:5.1f} s an epoch, validation mean IoU {run['val_mean_iou']:.4f}", flush=True)


if __name__ == "__main__":
    main()
