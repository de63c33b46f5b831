"""The kit's reference run (instructors and benchmarks): ``python -m reference.pipeline``.

Not part of the student release: it answers the notebooks' compile, fit and evaluate questions.
It imports whichever ``helpers`` comes first on ``sys.path``: the kit's, or a variant's when run
from a folder holding its own ``helpers/``.
"""
