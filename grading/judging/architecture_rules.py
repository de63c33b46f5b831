"""Question 1b.6's rules for the U-Net, judged on the facts the trusted evaluator derives from its graph.

``grading/judging/sandboxed/evaluate_model.py`` writes the facts (``architecture.json``) and has already
refused any graph with another layer than Conv2D, MaxPool2D, UpSampling2D, Dropout and
concatenation; these rules judge how those layers are put together, and their sizes, which hold for
the trained model as for a fresh one: a network of huge kernels can store the public slices' masks
instead of learning to find lungs.
"""
import math
from collections import Counter

# 1b.6's kernels: 3x3 convolutions, 2x2 or 3x3 up-convolutions, a 1x1 output convolution.
KERNELS = {(3, 3), (2, 2), (1, 1)}
MAX_LEVELS = 5  # 128 pixels pooled five times are 4
MAX_WEIGHTS = 10_000_000  # the kit's largest recipe has 1.9 million


def architecture_problems(facts):
    """What breaks question 1b.6's rules in ``facts``, as sentences for the student; empty when nothing does."""
    problems = []
    pooling, upsampling = facts["pooling"], facts["upsampling"]
    if len(pooling) < 2:
        problems.append(f"the contracting path has {len(pooling)} max-pooling level(s): a U-Net needs 2 or more")
    if len(upsampling) != len(pooling):
        problems.append(f"the expanding path has {len(upsampling)} upsampling(s) for {len(pooling)} max-pooling(s): "
                        "it needs one per pooling level")
    skips = Counter(concatenation["heights"][0] for concatenation in facts["concatenations"] if concatenation["skip"])
    for height, count in sorted(Counter(upsampling).items()):
        if skips[height] < count:
            problems.append(f"the upsampled {height}x{height} maps are not concatenated with the contracting path's "
                            f"{height}x{height} maps (the skip connection)")
    kernels = sorted({f"{h}x{w}" for h, w, *_ in facts["convolutions"] if (h, w) not in KERNELS})
    if kernels:
        problems.append(f"convolutions with {', '.join(kernels)} kernels: 1b.6's are 3x3, 2x2 or 3x3 for the "
                        "up-convolutions and 1x1 for the output")
    if len(pooling) > MAX_LEVELS:
        problems.append(f"{len(pooling)} max-pooling levels: at most {MAX_LEVELS} for 128x128 slices")
    weights = sum(math.prod(shape) + shape[-1] for shape in facts["convolutions"])
    if weights > MAX_WEIGHTS:
        problems.append(f"{weights:,} weights: at most {MAX_WEIGHTS:,}")
    output = facts["output"]
    if output["op"] != "Sigmoid":
        problems.append(f"the output is not a sigmoid (its last operation is {output['op']}): end with a 1x1 "
                        "Conv2D with activation='sigmoid'")
    if output["channels"] != 1:
        problems.append(f"the output has {output['channels']} channels: it needs 1, the lung probability")
    if not facts["dropout"]:
        problems.append("there is no Dropout layer (none is active in training mode)")
    if facts["dropout_at_inference"]:
        problems.append("Dropout is active at inference too: pass `training` on to it, never training=True")
    if not facts["training_matches_inference"]:
        problems.append("the model is another network in training mode than at inference (besides Dropout)")
    return problems
