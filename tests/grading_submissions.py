"""Building blocks of hand-ins for the grading round trip: wrong answers, and answers that differ
from the reference but are right (the class itself: tests/graded_class.py).

Each such hand-in is the solution (source notebooks, reference helpers, trained weights) with
changes: a helpers function's solution region replaced, a notebook answer replaced, or a folder
left out.
"""
import re
import shutil
import textwrap

import nbformat

# A cell that hangs and ignores the interrupt nbgrader sends at its time limit.
HANG_IGNORING_THE_INTERRUPT = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(3600)"
MIN_MAX = """
size = IMAGE_SIZE[::-1]
scaled = [(ct - ct.min()) / (ct.max() - ct.min()) for ct in ct_slices]
images = [cv2.resize(ct, size, interpolation=cv2.INTER_LANCZOS4) for ct in scaled]
masks = [cv2.resize((m > 0).astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) for m in lung_masks]
images = np.clip(np.stack(images), 0, 1)[..., np.newaxis].astype(np.float32)
return split_dataset(images, np.stack(masks)[..., np.newaxis].astype(np.int16))
"""
MASKS_WITH_ANOTHER_SEED = """
augment = tf.keras.preprocessing.image.ImageDataGenerator(**AUGMENTATION)
image_flow = augment.flow(train_images, batch_size=batch_size, shuffle=True, seed=seed)
mask_flow = augment.flow(train_masks.astype(np.float32), batch_size=batch_size, shuffle=True, seed=seed + 1)
for images, masks in zip(image_flow, mask_flow):
    yield images, (masks > 0.5).astype(np.float32)
"""
NO_SKIP_CONNECTIONS = """
def apply(stack, x):
    for layer in stack:
        x = layer(x)
    return x

x = inputs
for level in self.down:
    x = self.pool(apply(level, x))
x = apply(self.bottom, x)
for upconv, level in reversed(list(zip(self.upconv, self.up))):
    x = apply(level, upconv(self.upsample(x)))
return self.classify(self.dropout(x, training=training))
"""
# Right, though not the reference: float64 images, a U-Net with 3x3 up-convolutions, tf.concat in call.
FLOAT64_IMAGES = """
size = IMAGE_SIZE[::-1]
low, high = HU_WINDOW
windowed = [(np.clip(ct, low, high) - low) / (high - low) for ct in ct_slices]
images = [np.clip(cv2.resize(w, size, interpolation=cv2.INTER_LANCZOS4), 0, 1) for w in windowed]
masks = [cv2.resize((m > 0).astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) for m in lung_masks]
images = np.stack(images)[..., np.newaxis].astype(np.float64)
return split_dataset(images, np.stack(masks)[..., np.newaxis].astype(np.int16))
"""
THREE_BY_THREE_UP_CONVOLUTIONS = """
def convs(filters):
    return [layers.Conv2D(filters, 3, activation="relu", padding="same") for _ in range(convs_per_level)]

widths = [base_filters * 2**level for level in range(depth)]
self.down = [convs(width) for width in widths]
self.bottom = convs(base_filters * 2**depth)
self.pool = layers.MaxPool2D(2)
self.upsample = layers.UpSampling2D(2)
self.upconv = [layers.Conv2D(width, 3, activation="relu", padding="same") for width in widths]
self.up = [convs(width) for width in widths]
self.dropout = layers.Dropout(dropout)
self.classify = layers.Conv2D(1, 1, activation="sigmoid")
"""
COLLAPSING_SCHEDULE = "return 1e-3 if epoch < 20 else 1e-3 * 0.1 ** (epoch - 20)"
NAN_ON_EMPTY_MASKS = """
mask, pred = np.asarray(mask).astype(bool), np.asarray(pred).astype(bool)
return float(np.logical_and(mask, pred).sum() / np.logical_or(mask, pred).sum())
"""

TF_CONCAT = """
import tensorflow as tf

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
    x = apply(level, tf.concat([upconv(self.upsample(x)), skip], axis=-1))
return self.classify(self.dropout(x, training=training))
"""
# The open experiment's protocol done as a student who peeked would: every candidate scored on test too,
# and the choice made there.
CHOOSING_ON_TEST = """
def score(split, seed, count):
    return np.mean([compute_IoU(mask, keep_largest_components(probability > threshold, count))
                    for mask, probability in zip(masks[split], probabilities[split][seed])])

seeds = range(len(probabilities["val"]))
validation = np.array([[score("val", seed, count) for seed in seeds] for count in candidates])
on_test = [np.mean([score("test", seed, count) for seed in seeds]) for count in candidates]
choice = candidates[int(np.argmax(on_test))]
return {"choice": choice, "validation": validation, "test": np.array([score("test", seed, choice) for seed in seeds])}
"""
# The scheduler and compute_IoU wrong, and the experiment's choice made on test: the hand-in the attacks build on.
WRONG = [("training.py", "scheduler", COLLAPSING_SCHEDULE), ("metrics.py", "compute_IoU", NAN_ON_EMPTY_MASKS),
         ("postprocessing.py", "choose_postprocessing", CHOOSING_ON_TEST)]


def write_hand_in(hand_in, source, weights, changes):
    """The solution in ``source`` with ``weights``, and ``changes`` made, as the folder ``hand_in``."""
    shutil.copytree(source, hand_in)
    (hand_in / "artifacts").mkdir()
    for name in ("unet.weights.h5", "training.json"):
        shutil.copy2(weights / name, hand_in / "artifacts")
    for change in changes:
        if isinstance(change, str):
            shutil.rmtree(hand_in / change)
        elif change[0].endswith(".ipynb"):
            replace_cell(hand_in / change[0], *change[1:])
        else:
            replace_solution(hand_in / "helpers" / change[0], *change[1:])


def replace_solution(path, function, code):
    """Replace the first solution region after ``def function`` in ``path`` with ``code``, indented alike."""
    lines = path.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if re.match(rf"\s*def {function}\(", line))
    begin = next(i for i in range(start, len(lines)) if "### BEGIN SOLUTION" in lines[i])
    end = next(i for i in range(begin, len(lines)) if "### END SOLUTION" in lines[i])
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
    lines[begin : end + 1] = [textwrap.indent(textwrap.dedent(code).strip() + "\n", indent)]
    path.write_text("".join(lines))


def replace_cell(path, grade_id, source):
    """Replace the source of the notebook cell ``grade_id`` (a student's answer)."""
    notebook = nbformat.read(path, as_version=4)
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    cell.source = source
    nbformat.write(notebook, path)
